//! The normalized locate request ticket.
//!
//! Both intake formats (native JSON, USA North 811 OneCallAccess XML) are parsed into this one
//! shape. Fields are optional because a ticket that is identified but invalid must still be
//! stored and shown: the validation rules (`validation.rs`) decide whether it is acceptable, and problems the
//! parser met (a string where a number belongs) travel with the ticket in `parse_problems`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// Maximum length of a ticket number, from the contract.
pub const TICKET_NUMBER_MAX: usize = 32;

/// The kind of notice a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    Normal,
    Emergency,
    ShortNotice,
    Update,
    Remark,
    Cancel,
    Design,
    /// The excavator says the member has not marked in the time the law gives (a "no response"
    /// or second notice): digging is due or under way, so it is urgent.
    NoResponse,
}

impl TicketType {
    pub const ALL: [TicketType; 8] = [
        Self::Normal,
        Self::Emergency,
        Self::ShortNotice,
        Self::Update,
        Self::Remark,
        Self::Cancel,
        Self::Design,
        Self::NoResponse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Emergency => "emergency",
            Self::ShortNotice => "short_notice",
            Self::Update => "update",
            Self::Remark => "remark",
            Self::Cancel => "cancel",
            Self::Design => "design",
            Self::NoResponse => "no_response",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Emergency, short-notice and no-response tickets get the tightest alert deadlines and
    /// the standing rule: digging starts within hours, or has started without marks.
    pub fn is_urgent(self) -> bool {
        matches!(self, Self::Emergency | Self::ShortNotice | Self::NoResponse)
    }
}

/// Who is digging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcavatorType {
    Contractor,
    Homeowner,
    Municipality,
    Utility,
    Railroad,
    Other,
}

impl ExcavatorType {
    pub const ALL: [ExcavatorType; 6] = [
        Self::Contractor,
        Self::Homeowner,
        Self::Municipality,
        Self::Utility,
        Self::Railroad,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contractor => "contractor",
            Self::Homeowner => "homeowner",
            Self::Municipality => "municipality",
            Self::Utility => "utility",
            Self::Railroad => "railroad",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// How the ground is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcavationMethod {
    Hand,
    Backhoe,
    Trencher,
    Auger,
    DirectionalDrilling,
    Boring,
    Vacuum,
    Blasting,
    Other,
}

impl ExcavationMethod {
    /// As a person says it: "directional drilling".
    pub fn in_words(self) -> String {
        self.as_str().replace('_', " ")
    }

    pub const ALL: [ExcavationMethod; 9] = [
        Self::Hand,
        Self::Backhoe,
        Self::Trencher,
        Self::Auger,
        Self::DirectionalDrilling,
        Self::Boring,
        Self::Vacuum,
        Self::Blasting,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hand => "hand",
            Self::Backhoe => "backhoe",
            Self::Trencher => "trencher",
            Self::Auger => "auger",
            Self::DirectionalDrilling => "directional_drilling",
            Self::Boring => "boring",
            Self::Vacuum => "vacuum",
            Self::Blasting => "blasting",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Excavator {
    pub name: Option<String>,
    pub company: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ExcavatorType>,
    pub id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Excavator {
    /// A stable key for the excavator's history: its id when the center gives one, otherwise
    /// its company or name, case- and space-folded. `None` when nothing identifies it.
    pub fn history_key(&self) -> Option<String> {
        if let Some(id) = self.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            return Some(format!("id:{}", id.to_lowercase()));
        }
        let who = self
            .company
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                self.name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            })?;
        let folded: Vec<String> = who.split_whitespace().map(str::to_lowercase).collect();
        Some(format!("name:{}", folded.join(" ")))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Work {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub activity: Option<String>,
    pub method: Option<ExcavationMethod>,
    /// Anticipated depth. Ranges from free text keep their deepest value: that is the one that
    /// reaches facilities.
    pub depth_inches: Option<f64>,
    /// The depth as the center wrote it, when it came as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_text: Option<String>,
    pub boring: Option<bool>,
    pub explosives: Option<bool>,
    pub vacuum: Option<bool>,
    pub pavement_only: Option<bool>,
    pub duration_days: Option<f64>,
    pub done_for: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub state: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub cross_street: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub polygon_wkt: Option<String>,
    /// The center's own buffered outline of the dig area (Open Ticket's `bufferedWkt`), kept
    /// for the map; screening measures from the dig area itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_wkt: Option<String>,
}

impl Location {
    /// "123 Main St, Walnut Creek" — the place as a person names it: address and city, else
    /// the coordinates, else that the ticket does not say.
    pub fn in_words(&self) -> String {
        let street: Vec<&str> = [self.address.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !street.is_empty() {
            return street.join(", ");
        }
        match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
            _ => "place not stated".into(),
        }
    }
}

/// A ticket as Aegis understood it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_number: String,
    pub revision: u32,
    #[serde(rename = "type")]
    pub kind: Option<TicketType>,
    /// The center's own word for the ticket type when it is not one of ours (OneCall's
    /// `TicketType`, e.g. `Renew`), kept so an officer sees what the center said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub work_begin_at: Option<DateTime<FixedOffset>>,
    pub legal_start_at: Option<DateTime<FixedOffset>>,
    pub expires_at: Option<DateTime<FixedOffset>>,
    pub response_due_at: Option<DateTime<FixedOffset>>,
    pub excavator: Excavator,
    pub work: Work,
    pub location: Location,
    pub members: Vec<String>,
    pub remarks: Option<String>,
    /// The center marked it a test ticket (Open Ticket's `isTest`): kept, screened and scored,
    /// but it never alerts anyone nor posts a response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_test: bool,
    /// Problems the parser met; validation reports them together with its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parse_problems: Vec<Problem>,
}

/// Why a payload could not be identified as a ticket at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("ticket_number is missing")]
    MissingNumber,
    #[error("ticket_number must be 1-{TICKET_NUMBER_MAX} characters of A-Z, a-z, 0-9 and '-'")]
    BadNumber,
    #[error("revision is missing")]
    MissingRevision,
    #[error("revision must be an integer from 0 to 4294967295")]
    BadRevision,
}

/// Checks a ticket number against the contract's rules. A payload whose number fails this is
/// not identifiable: it cannot be stored under a key, deduplicated or read back by URL.
pub fn check_ticket_number(number: &str) -> Result<(), IdentityError> {
    if number.is_empty() {
        return Err(IdentityError::MissingNumber);
    }
    let ok = number.len() <= TICKET_NUMBER_MAX
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(IdentityError::BadNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_follow_the_contract() {
        assert!(check_ticket_number("2026112200001").is_ok());
        assert!(check_ticket_number("A-1").is_ok());
        assert_eq!(check_ticket_number(""), Err(IdentityError::MissingNumber));
        assert_eq!(check_ticket_number("a b"), Err(IdentityError::BadNumber));
        assert_eq!(
            check_ticket_number(&"9".repeat(33)),
            Err(IdentityError::BadNumber)
        );
        assert_eq!(check_ticket_number("é"), Err(IdentityError::BadNumber));
    }

    #[test]
    fn enums_round_trip_their_names() {
        for t in TicketType::ALL {
            assert_eq!(TicketType::parse(t.as_str()), Some(t));
        }
        for t in ExcavatorType::ALL {
            assert_eq!(ExcavatorType::parse(t.as_str()), Some(t));
        }
        for m in ExcavationMethod::ALL {
            assert_eq!(ExcavationMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(TicketType::parse("Normal"), None);
    }

    #[test]
    fn history_key_prefers_id_then_company_then_name() {
        let mut e = Excavator {
            name: Some("Dana  Ortiz".into()),
            ..Excavator::default()
        };
        assert_eq!(e.history_key().as_deref(), Some("name:dana ortiz"));
        e.company = Some("Ortiz Fence".into());
        assert_eq!(e.history_key().as_deref(), Some("name:ortiz fence"));
        e.id = Some("EX-1".into());
        assert_eq!(e.history_key().as_deref(), Some("id:ex-1"));
        assert_eq!(Excavator::default().history_key(), None);
    }
}
