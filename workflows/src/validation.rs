//! Validation of a normalized ticket: every problem, each with its field path, split into the
//! few that make a ticket unworkable (errors) and the many that are only odd (warnings).
//!
//! A center's ticket is rejected only when Aegis cannot work with it at all: it cannot be
//! identified (a ticket number Aegis can use) or placed (a valid point, a polygon or an
//! address). Everything else a center sends that looks inconsistent — work beginning before
//! submission, a legal start at submission, an expiry before the legal start, a depth that is
//! text, an unknown method, an empty station list — is a warning: the member must still answer
//! the ticket, and a short-notice ticket starting "now" is exactly one an officer must see.
//! Dates in the past are fine: centers replay and resend old tickets.

use std::collections::HashSet;

use crate::geometry::Polygon;
use crate::problem::Problem;
use crate::ticket::{Ticket, check_ticket_number};

/// Deepest anticipated depth we accept as plausible: 200 ft, deeper than any HDD bore near
/// utilities. Beyond that the number is a unit mistake.
pub const MAX_DEPTH_INCHES: f64 = 2_400.0;
/// Longest work duration we accept: a ticket is valid for weeks, projects run for years.
pub const MAX_DURATION_DAYS: f64 = 3_650.0;
const MAX_TEXT: usize = 4_000;
const MAX_MEMBERS: usize = 500;

/// What validation found: `errors` reject the ticket; `warnings` are kept and shown, and the
/// ticket is scored like any other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl Validation {
    pub fn rejects(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Sorts every problem of the ticket into errors and warnings.
pub fn validate(t: &Ticket) -> Validation {
    let problems = problems(t);
    let placeable = placeable(t);
    // Without a place, the problems that explain why (no point, a broken polygon) reject.
    const PLACING: [&str; 5] = [
        "location",
        "location.latitude",
        "location.longitude",
        "location.polygon_wkt",
        "location.address",
    ];
    let (errors, warnings) = problems.into_iter().partition(|p| {
        p.field == "ticket_number" || (!placeable && PLACING.contains(&p.field.as_str()))
    });
    Validation { errors, warnings }
}

/// Whether a locator could find the dig: a point in range, a polygon that parses and is not
/// absurd, or an address.
pub fn placeable(t: &Ticket) -> bool {
    let l = &t.location;
    let point = matches!((l.latitude, l.longitude), (Some(lat), Some(lon))
        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
    let polygon = l
        .polygon_wkt
        .as_deref()
        .is_some_and(|w| Polygon::parse_all(w).is_ok_and(|ps| !ps.iter().any(Polygon::is_absurd)));
    let address = l.address.as_deref().is_some_and(|a| !a.trim().is_empty());
    point || polygon || address
}

/// Every problem with the ticket: those the parser met, then those found here, in the
/// ticket's order.
pub fn problems(t: &Ticket) -> Vec<Problem> {
    let mut out = t.parse_problems.clone();
    // A field the parser already complained about is not reported again as merely missing.
    let seen: HashSet<String> = out.iter().map(|p| p.field.clone()).collect();
    let mut v = Validator {
        out: &mut out,
        seen: &seen,
    };
    if let Err(e) = check_ticket_number(&t.ticket_number) {
        v.push(Problem::new(
            "ticket_number",
            "invalid_format",
            e.to_string(),
        ));
    }
    v.require("type", t.kind.is_some());
    v.require("submitted_at", t.submitted_at.is_some());
    v.require("legal_start_at", t.legal_start_at.is_some());
    check_times(t, &mut v);
    check_excavator(t, &mut v);
    check_work(t, &mut v);
    check_location(t, &mut v);
    check_members(t, &mut v);
    check_text_lengths(t, &mut v);
    out
}

/// The times against each other: nothing before its submission, expiry after the legal start.
fn check_times(t: &Ticket, v: &mut Validator<'_>) {
    let inconsistent = |field: &str, message: String| Problem::new(field, "inconsistent", message);
    if let (Some(sub), Some(legal)) = (t.submitted_at, t.legal_start_at) {
        let urgent = t.kind.is_some_and(|k| k.is_urgent());
        if legal < sub {
            v.push(inconsistent(
                "legal_start_at",
                format!("legal_start_at ({legal}) is before submitted_at ({sub})"),
            ));
        } else if legal == sub && !urgent {
            v.push(inconsistent(
                "legal_start_at",
                format!("legal_start_at ({legal}) is the submission time of a ticket that is not an emergency or short notice"),
            ));
        }
    }
    if let (Some(sub), Some(begin)) = (t.submitted_at, t.work_begin_at)
        && begin < sub
    {
        v.push(inconsistent(
            "work_begin_at",
            format!("work_begin_at ({begin}) is before submitted_at ({sub})"),
        ));
    }
    if let (Some(legal), Some(exp)) = (t.legal_start_at, t.expires_at)
        && exp <= legal
    {
        v.push(inconsistent(
            "expires_at",
            format!("expires_at ({exp}) is not after legal_start_at ({legal})"),
        ));
    }
    if let (Some(sub), Some(due)) = (t.submitted_at, t.response_due_at)
        && due < sub
    {
        v.push(inconsistent(
            "response_due_at",
            format!("response_due_at ({due}) is before submitted_at ({sub})"),
        ));
    }
}

fn check_excavator(t: &Ticket, v: &mut Validator<'_>) {
    let name_ok = t
        .excavator
        .name
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty());
    if t.excavator.name.is_some() && !name_ok {
        v.push(Problem::new(
            "excavator.name",
            "required",
            "excavator.name must not be empty",
        ));
    } else {
        v.require("excavator.name", name_ok);
    }
}

fn check_work(t: &Ticket, v: &mut Validator<'_>) {
    let w = &t.work;
    if let Some(d) = w.depth_inches
        && !(0.0..=MAX_DEPTH_INCHES).contains(&d)
    {
        v.push(Problem::new(
            "work.depth_inches",
            "out_of_range",
            format!("work.depth_inches must be between 0 and {MAX_DEPTH_INCHES}, got {d}"),
        ));
    }
    if let Some(d) = w.duration_days
        && !(0.0..=MAX_DURATION_DAYS).contains(&d)
    {
        v.push(Problem::new(
            "work.duration_days",
            "out_of_range",
            format!("work.duration_days must be between 0 and {MAX_DURATION_DAYS}, got {d}"),
        ));
    }
}

fn check_members(t: &Ticket, v: &mut Validator<'_>) {
    if t.members.is_empty() {
        v.push(Problem::new(
            "members",
            "required",
            "the ticket names no member station",
        ));
    }
    for (i, m) in t.members.iter().enumerate() {
        if m.trim().is_empty() || m.len() > 64 {
            v.push(Problem::new(
                format!("members[{i}]"),
                "invalid_format",
                "a member station code must be 1-64 characters",
            ));
        }
    }
    if t.members.len() > MAX_MEMBERS {
        v.push(Problem::new(
            "members",
            "out_of_range",
            format!("at most {MAX_MEMBERS} members"),
        ));
    }
}

fn check_text_lengths(t: &Ticket, v: &mut Validator<'_>) {
    for (field, text) in [
        ("remarks", t.remarks.as_deref()),
        ("work.type", t.work.kind.as_deref()),
        ("location.address", t.location.address.as_deref()),
    ] {
        if text.is_some_and(|s| s.len() > MAX_TEXT) {
            v.push(Problem::new(
                field,
                "out_of_range",
                format!("{field} is longer than {MAX_TEXT} bytes"),
            ));
        }
    }
}

fn check_location(t: &Ticket, v: &mut Validator<'_>) {
    let l = &t.location;
    if let Some(state) = l.state.as_deref()
        && !(state.len() == 2 && state.bytes().all(|b| b.is_ascii_uppercase()))
    {
        v.push(Problem::new(
            "location.state",
            "invalid_format",
            format!("location.state must be a 2-letter code such as CA, got '{state}'"),
        ));
    }
    check_point(l, v);
    let polygon_ok = check_polygon(l, v);
    // A point counts even when out of range (that has its own problem); a polygon only
    // counts when it parses, because it is the only location given.
    let has_point = l.latitude.is_some() && l.longitude.is_some();
    let has_address = l.address.as_deref().is_some_and(|a| !a.trim().is_empty());
    if !has_point && !polygon_ok && !has_address && !v.seen.contains("location") {
        v.push(Problem::new(
            "location",
            "required",
            "location needs a point (latitude, longitude), a polygon_wkt or an address",
        ));
    }
}

/// Latitude and longitude in range, and given together.
fn check_point(l: &crate::ticket::Location, v: &mut Validator<'_>) {
    if let Some(lat) = l.latitude
        && !(-90.0..=90.0).contains(&lat)
    {
        v.push(Problem::new(
            "location.latitude",
            "out_of_range",
            format!("location.latitude must be between -90 and 90, got {lat}"),
        ));
    }
    if let Some(lon) = l.longitude
        && !(-180.0..=180.0).contains(&lon)
    {
        v.push(Problem::new(
            "location.longitude",
            "out_of_range",
            format!("location.longitude must be between -180 and 180, got {lon}"),
        ));
    }
    match (l.latitude.is_some(), l.longitude.is_some()) {
        (true, false) => v.push(Problem::new(
            "location.longitude",
            "required",
            "location.longitude is required with location.latitude",
        )),
        (false, true) => v.push(Problem::new(
            "location.latitude",
            "required",
            "location.latitude is required with location.longitude",
        )),
        _ => {}
    }
}

/// The dig area's outlines: readable, not absurdly large; one crossing itself is a warning.
/// Whether it places the ticket.
fn check_polygon(l: &crate::ticket::Location, v: &mut Validator<'_>) -> bool {
    let Some(wkt) = l.polygon_wkt.as_deref() else {
        return false;
    };
    match Polygon::parse_all(wkt) {
        Ok(ps) if ps.iter().any(Polygon::is_absurd) => {
            let (w, h) = ps
                .iter()
                .map(Polygon::span_miles)
                .fold((0.0_f64, 0.0_f64), |(a, b), (w, h)| (a.max(w), b.max(h)));
            v.push(Problem::new(
                "location.polygon_wkt",
                "absurd",
                format!(
                    "location.polygon_wkt spans {w:.0} by {h:.0} miles, more than {:.0}: not a dig area (the point, if any, is used instead)",
                    crate::geometry::MAX_SPAN_MILES
                ),
            ));
            false
        }
        Ok(ps) => {
            if ps.iter().any(Polygon::crosses_itself) {
                v.push(Problem::new(
                    "location.polygon_wkt",
                    "self_intersecting",
                    "location.polygon_wkt: an outline crosses itself; it is screened as drawn",
                ));
            }
            true
        }
        Err(e) => {
            v.push(Problem::new(
                "location.polygon_wkt",
                "invalid_format",
                format!("location.polygon_wkt: {e}"),
            ));
            false
        }
    }
}

struct Validator<'a> {
    out: &'a mut Vec<Problem>,
    seen: &'a HashSet<String>,
}

impl Validator<'_> {
    fn push(&mut self, p: Problem) {
        self.out.push(p);
    }

    /// Reports a missing required field, unless the parser already reported that field.
    fn require(&mut self, field: &str, present: bool) {
        if !present && !self.seen.contains(field) && !self.seen.contains(parent(field)) {
            self.out.push(Problem::required(field));
        }
    }
}

fn parent(field: &str) -> &str {
    field.rsplit_once('.').map_or(field, |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{Excavator, Location, TicketType, Work};
    use chrono::DateTime;

    fn at(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap())
    }

    pub(crate) fn valid() -> Ticket {
        Ticket {
            ticket_number: "2026112200001".into(),
            revision: 0,
            kind: Some(TicketType::Normal),
            submitted_at: at("2026-11-20T09:14:02-08:00"),
            legal_start_at: at("2026-11-24T08:00:00-08:00"),
            expires_at: at("2026-12-18T23:59:59-08:00"),
            excavator: Excavator {
                name: Some("Dana Ortiz".into()),
                ..Excavator::default()
            },
            work: Work {
                depth_inches: Some(36.0),
                ..Work::default()
            },
            location: Location {
                state: Some("CA".into()),
                latitude: Some(37.9779),
                longitude: Some(-122.0311),
                ..Location::default()
            },
            members: vec!["PGECCC".into()],
            ..Ticket::default()
        }
    }

    fn fields(t: &Ticket) -> Vec<String> {
        problems(t).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_complete_ticket_is_valid() {
        assert_eq!(problems(&valid()), vec![]);
    }

    #[test]
    fn reports_every_problem_of_the_invalid_example() {
        let mut t = valid();
        t.submitted_at = at("2026-11-22T10:00:00-08:00");
        t.legal_start_at = at("2026-11-20T10:00:00-08:00");
        t.expires_at = None;
        t.excavator.name = Some(String::new());
        t.work.depth_inches = Some(-4.0);
        t.location.state = Some("California".into());
        t.location.latitude = Some(137.2);
        let f = fields(&t);
        for want in [
            "legal_start_at",
            "excavator.name",
            "work.depth_inches",
            "location.state",
            "location.latitude",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        assert_eq!(f.len(), 5, "{f:?}");
    }

    #[test]
    fn missing_required_fields_are_each_reported() {
        let t = Ticket {
            ticket_number: "X1".into(),
            ..Ticket::default()
        };
        let f = fields(&t);
        for want in [
            "type",
            "submitted_at",
            "legal_start_at",
            "excavator.name",
            "location",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
    }

    #[test]
    fn parser_problems_are_not_reported_twice() {
        let mut t = valid();
        t.submitted_at = None;
        t.parse_problems
            .push(Problem::new("submitted_at", "invalid_format", "not a time"));
        assert_eq!(fields(&t), vec!["submitted_at".to_string()]);
    }

    #[test]
    fn a_polygon_alone_locates_the_dig() {
        let mut t = valid();
        t.location.latitude = None;
        t.location.longitude = None;
        t.location.polygon_wkt =
            Some("POLYGON((-122 37, -121.99 37, -121.99 37.01, -122 37.01, -122 37))".into());
        assert_eq!(problems(&t), vec![]);
        t.location.polygon_wkt = Some("POLYGON((oops))".into());
        assert_eq!(fields(&t), vec!["location.polygon_wkt", "location"]);
    }

    #[test]
    fn an_absurd_polygon_places_nothing_and_a_bow_tie_is_only_odd() {
        let mut t = valid();
        // 2 degrees of longitude: over a hundred miles.
        t.location.polygon_wkt =
            Some("POLYGON((-123 37, -121 37, -121 37.01, -123 37.01, -123 37))".into());
        let v = validate(&t);
        assert!(!v.rejects(), "the point still places it");
        assert_eq!(v.warnings[0].code, "absurd");
        assert_eq!(
            crate::geometry::DigArea::of(&t.location),
            Some(crate::geometry::DigArea::Point {
                lon: -122.0311,
                lat: 37.9779
            }),
            "screened at the point"
        );
        t.location.latitude = None;
        t.location.longitude = None;
        t.location.address = None;
        assert!(validate(&t).rejects(), "nothing else places it");
        let mut bow = valid();
        bow.location.polygon_wkt =
            Some("POLYGON((-122 37, -121.99 37.01, -121.99 37, -122 37.01, -122 37))".into());
        let v = validate(&bow);
        assert!(!v.rejects());
        assert_eq!(v.warnings[0].code, "self_intersecting");
        let mut square = valid();
        square.location.polygon_wkt =
            Some("POLYGON((-122 37, -121.99 37, -121.99 37.01, -122 37.01, -122 37))".into());
        assert!(validate(&square).warnings.is_empty());
    }

    #[test]
    fn half_a_point_is_a_problem() {
        let mut t = valid();
        t.location.longitude = None;
        assert!(fields(&t).contains(&"location.longitude".to_string()));
    }

    #[test]
    fn time_order_is_checked() {
        let mut t = valid();
        t.expires_at = at("2026-11-23T00:00:00-08:00");
        t.work_begin_at = at("2026-11-19T00:00:00-08:00");
        t.response_due_at = at("2026-11-19T00:00:00-08:00");
        let f = fields(&t);
        assert!(f.contains(&"expires_at".to_string()));
        assert!(f.contains(&"work_begin_at".to_string()));
        assert!(f.contains(&"response_due_at".to_string()));
    }

    fn fields_of(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_short_notice_ticket_starting_before_submission_is_only_warned_about() {
        let mut t = valid();
        t.kind = Some(TicketType::ShortNotice);
        t.submitted_at = at("2026-11-22T11:13:39-07:00");
        t.work_begin_at = at("2026-11-22T11:12:00-07:00");
        t.legal_start_at = at("2026-11-22T11:13:39-07:00");
        t.members.clear();
        let v = validate(&t);
        assert!(!v.rejects(), "{v:?}");
        assert_eq!(fields_of(&v.warnings), vec!["work_begin_at", "members"]);
    }

    #[test]
    fn only_an_unusable_ticket_number_or_no_place_rejects() {
        // Nearly everything wrong, but the ticket can be placed: warnings only.
        let mut t = valid();
        t.kind = None;
        t.submitted_at = None;
        t.excavator.name = None;
        t.work.depth_inches = Some(-4.0);
        t.location.state = Some("California".into());
        t.location.latitude = Some(137.2);
        t.location.address = Some("2401 Shadelands Dr".into());
        let v = validate(&t);
        assert!(!v.rejects(), "{v:?}");
        assert!(v.warnings.len() >= 5, "{v:?}");
        // The same without an address cannot be placed: the location problems reject it.
        t.location.address = None;
        let v = validate(&t);
        assert_eq!(fields_of(&v.errors), vec!["location.latitude"], "{v:?}");
        // No location at all.
        let mut t = valid();
        t.location = Location::default();
        assert_eq!(fields_of(&validate(&t).errors), vec!["location"]);
        // An address alone places it.
        t.location.address = Some("1 Main St".into());
        assert_eq!(validate(&t), Validation::default());
        // A ticket number Aegis cannot use.
        let mut t = valid();
        t.ticket_number = "no spaces allowed".into();
        assert_eq!(fields_of(&validate(&t).errors), vec!["ticket_number"]);
    }

    #[test]
    fn a_normal_ticket_starting_at_submission_is_odd_but_kept() {
        let mut t = valid();
        t.legal_start_at = t.submitted_at;
        let v = validate(&t);
        assert!(!v.rejects());
        assert_eq!(fields_of(&v.warnings), vec!["legal_start_at"]);
    }

    #[test]
    fn emergencies_may_start_at_submission() {
        let mut t = valid();
        t.kind = Some(TicketType::Emergency);
        t.legal_start_at = t.submitted_at;
        assert_eq!(problems(&t), vec![]);
    }
}
