//! Times as centers write them: RFC 3339, with or without a zone (read in the center's),
//! `YYYY/MM/DD…`, `MM/DD/YYYY`, with AM/PM, or a date alone; each repair a warning.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use super::Reader;
use crate::formats::lenient_json::{section, text, text_of};

/// The time line's times.
#[derive(Debug, Default)]
pub(super) struct Times {
    pub submitted: Option<DateTime<FixedOffset>>,
    pub legal_start: Option<DateTime<FixedOffset>>,
    pub work_begin: Option<DateTime<FixedOffset>>,
    pub expires: Option<DateTime<FixedOffset>>,
    pub response_due: Option<DateTime<FixedOffset>>,
}

impl Reader<'_> {
    /// `timeLine` (or `timeline`); GA811 sends the response deadline as a custom field.
    pub(super) fn timeline(&mut self) -> Times {
        let mut times = match section(self.doc, &["timeLine", "timeline"]) {
            Some(t) => Times {
                submitted: self.time(t, "createdOn", false),
                legal_start: self.time(t, "legalOn", false),
                work_begin: self.time(t, "workOn", false),
                expires: self.time(t, "expiresOn", false),
                response_due: self.time(t, "responseDue", true),
            },
            None => Times::default(),
        };
        if times.response_due.is_none() {
            times.response_due = self.custom_time(&["responseBy", "responseDue"]);
        }
        times
    }

    pub(super) fn custom_time(&mut self, names: &[&str]) -> Option<DateTime<FixedOffset>> {
        let raw = self.custom(names).and_then(text_of)?;
        match read_time(&raw, self.cx.tz, true) {
            Ok(Some((t, zoned))) => {
                if !zoned {
                    self.no_zone("customFieldGroups.responseBy", &raw);
                }
                Some(t)
            }
            _ => None,
        }
    }

    pub(super) fn no_zone(&mut self, field: &str, raw: &str) {
        let tz = self.cx.tz;
        self.warn(
            field,
            "no_time_zone",
            format!("{field} '{raw}' has no time zone: read in the center's, {tz}"),
        );
    }

    pub(super) fn time(
        &mut self,
        section: &Map<String, Value>,
        name: &str,
        whole_day: bool,
    ) -> Option<DateTime<FixedOffset>> {
        let raw = text(section, &[name])?;
        let path = format!("timeLine.{name}");
        match read_time(&raw, self.cx.tz, whole_day) {
            Ok(Some((t, zoned))) => {
                if !zoned {
                    self.no_zone(&path, &raw);
                }
                Some(t)
            }
            Ok(None) => None,
            Err(()) => {
                self.warn(
                    &path,
                    "invalid_format",
                    format!("{path} '{raw}' is not a date or time Aegis can read"),
                );
                None
            }
        }
    }
}

/// Reads a time as centers write it; the flag says whether it carried its zone. A date alone
/// is the start of that day, or its end when `whole_day` (a response due "on 4/1" may be made
/// all that day). `Ok(None)` for an empty text, `Err` for one that is not a time.
pub(super) fn read_time(
    raw: &str,
    tz: chrono_tz::Tz,
    whole_day: bool,
) -> Result<Option<(DateTime<FixedOffset>, bool)>, ()> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some((t, true)));
    }
    const ZONED: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y/%m/%d %H:%M:%S%.f%:z",
        "%Y/%m/%d %H:%M:%S%.f %:z",
    ];
    for f in ZONED {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Ok(Some((t, true)));
        }
    }
    const NAIVE: [&str; 12] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%dT%H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %I:%M%p",
    ];
    let local = NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .and_then(|d| {
                    if whole_day {
                        d.and_hms_opt(23, 59, 59)
                    } else {
                        d.and_hms_opt(0, 0, 0)
                    }
                })
        })
        .ok_or(())?;
    // A time the clocks skip in spring is read an hour later; one they repeat in the
    // autumn, the first time round.
    let zoned = tz
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::TimeDelta::hours(1)))
                .earliest()
        })
        .ok_or(())?;
    Ok(Some((zoned.fixed_offset(), false)))
}
