//! Positive response (contract §9): telling the call center, per ticket and station, what the
//! member did — as one of the center's locate codes. The rules: which codes a member may map its
//! dispositions to (only the center's active ones), which resolution answers the center (a
//! person's, with a mapped disposition; never a score alone), and what each of the center's
//! refusals means.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lifecycle::Disposition;
use crate::problem::Problem;

/// One of the center's locate codes, as its code list gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocateCode {
    pub code: String,
    pub active: bool,
    pub description: String,
}

/// Checks a mapping from dispositions to locate codes: every key a disposition, every code one
/// the center lists as active. Every problem is reported, each under its disposition.
pub fn check_mapping(
    mapping: &BTreeMap<String, String>,
    codes: &[LocateCode],
) -> Result<BTreeMap<Disposition, String>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut checked = BTreeMap::new();
    if codes.is_empty() {
        problems.push(Problem::new(
            "codes",
            "unavailable",
            "the center's locate codes are not known yet: Aegis could not fetch its code list",
        ));
        return Err(problems);
    }
    for (disposition, code) in mapping {
        let Some(d) = Disposition::parse(disposition) else {
            problems.push(Problem::new(
                disposition.clone(),
                "unknown_value",
                format!("'{disposition}' is not a disposition"),
            ));
            continue;
        };
        match codes.iter().find(|c| c.code == *code) {
            None => problems.push(Problem::new(
                disposition.clone(),
                "unknown_value",
                format!("the center does not list the locate code '{code}'"),
            )),
            Some(c) if !c.active => problems.push(Problem::new(
                disposition.clone(),
                "inactive",
                format!("the locate code '{code}' is not active at the center"),
            )),
            Some(_) => {
                checked.insert(d, code.clone());
            }
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// Whether `code` may be posted: the center lists it as active.
pub fn is_active(code: &str, codes: &[LocateCode]) -> bool {
    codes.iter().any(|c| c.code == code && c.active)
}

/// What the center refused a response for, in words, by the reason number its `412` carries
/// (PositiveResponse API Member Functions v1.10).
pub fn rejection_reason(reason: u32) -> &'static str {
    match reason {
        1 => "the locate code is not active",
        2 => "the station was not notified of this ticket or is not subscribed",
        3 => "the ticket was closed by the enquirer",
        4 => "no such request number",
        5 => "no such request number and station pair",
        6 => "free-form request numbers are not accepted",
        7 => "the ticket was cancelled",
        8 => "the locate code is reserved",
        9 => {
            "a response that cannot be overridden exists (a newer revision, or legal start reached)"
        }
        10 => "a note visible to the contractor is required",
        11 => "the code is for design tickets only",
        12 => "the code is not for design tickets",
        _ => "a reason the API documentation does not list",
    }
}

/// The response's state, as the workflow's read-back shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseState {
    /// Waiting to be posted (again).
    Pending,
    /// The center accepted it.
    Posted,
    /// The center refused it (a `412` and its reason), or retries ran out.
    Rejected,
}

impl ResponseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Posted => "posted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Posted, Self::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Vec<LocateCode> {
        [("CODE 1", true), ("CODE 2", true), ("CODE 7", false)]
            .into_iter()
            .map(|(c, active)| LocateCode {
                code: c.into(),
                active,
                description: String::new(),
            })
            .collect()
    }

    #[test]
    fn a_mapping_uses_dispositions_and_active_codes_only() {
        let ok: BTreeMap<String, String> =
            [("no_conflict", "CODE 1"), ("locator_dispatched", "CODE 2")]
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect();
        let m = check_mapping(&ok, &codes()).unwrap();
        assert_eq!(m[&Disposition::NoConflict], "CODE 1");
        let bad: BTreeMap<String, String> = [
            ("no_conflict", "CODE 7"),
            ("sideways", "CODE 1"),
            ("site_standby", "CODE 99"),
        ]
        .into_iter()
        .map(|(a, b)| (a.into(), b.into()))
        .collect();
        let problems = check_mapping(&bad, &codes()).unwrap_err();
        let got: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("no_conflict", "inactive"),
                ("sideways", "unknown_value"),
                ("site_standby", "unknown_value")
            ]
        );
        assert_eq!(check_mapping(&ok, &[]).unwrap_err()[0].code, "unavailable");
    }

    #[test]
    fn rejections_read_as_the_documentation_says() {
        assert!(rejection_reason(9).contains("cannot be overridden"));
        assert!(rejection_reason(42).contains("does not list"));
        assert!(is_active("CODE 1", &codes()) && !is_active("CODE 7", &codes()));
    }
}
