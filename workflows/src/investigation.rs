//! Damage investigations (contract §14): one record per event per facility — a damage, a near
//! miss or downtime — with the vocabularies CGA's DIRT and PHMSA's annual report use (root cause
//! by group, excavator, equipment, work performed), what the ticket already says prefilled, and
//! every change named field by field for the audit trail. Opened by a person or by a center's
//! outcome, edited while open, closed by an operator.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::screening::FacilityClass;
use crate::ticket::{ExcavationMethod, ExcavatorType, Ticket};
use crate::vocabulary;
use crate::vocabulary::read_optional;

vocabulary!(
    /// What happened (DIRT's three kinds of event).
    Kind {
        Damage = "damage", "damage";
        NearMiss = "near_miss", "near miss";
        Downtime = "downtime", "downtime";
    }
);

vocabulary!(
    /// Where an investigation stands.
    InvestigationState {
        Open = "open", "open";
        Closed = "closed", "closed";
    }
);

vocabulary!(
    /// The root cause's group, as PHMSA's 2024 form and DIRT group them.
    RootCauseGroup {
        Notification = "notification", "notification";
        NotMarked = "not_marked", "not marked";
        MarkedInaccurately = "marked_inaccurately", "marked inaccurately";
        Excavation = "excavation", "excavation practices";
        Miscellaneous = "miscellaneous", "miscellaneous";
        Unknown = "unknown", "unknown";
    }
);

vocabulary!(
    /// The four groups of PHMSA's form before 2024 (Part D's totals).
    LegacyGroup {
        OneCallNotification = "one_call_notification", "one-call notification practices not sufficient";
        Locating = "locating", "locating practices not sufficient";
        Excavation = "excavation", "excavation practices not sufficient";
        Other = "other", "other";
    }
);

vocabulary!(
    /// Why a facility was damaged (PHMSA F 7100.1-1 Part D, 2024; the same as DIRT's), each
    /// named with its group.
    RootCause {
        NoNotification = "notification.no_notification", "no one-call notification made";
        OutsideTicketArea = "notification.outside_ticket_area", "excavated outside the area the ticket describes";
        BeforeValidStart = "notification.before_valid_start", "excavated before the ticket's valid start";
        AfterExpiry = "notification.after_expiry", "excavated after the ticket expired";
        IncorrectInformation = "notification.incorrect_information", "incorrect information on the notification";
        NotMarkedAbandoned = "not_marked.abandoned_facility", "not marked: abandoned facility";
        NotMarkedRecords = "not_marked.incorrect_records", "not marked: incorrect facility records or maps";
        NotMarkedLocatorError = "not_marked.locator_error", "not marked: locator error";
        NotMarkedNoResponse = "not_marked.no_response", "not marked: no response from the operator";
        NotMarkedIncomplete = "not_marked.incomplete_marks", "not marked: incomplete marks";
        NotMarkedTracerWire = "not_marked.tracer_wire", "not marked: tracer wire issue";
        NotMarkedUnlocatable = "not_marked.unlocatable", "not marked: unlocatable facility";
        InaccurateAbandoned = "marked_inaccurately.abandoned_facility", "marked inaccurately: abandoned facility";
        InaccurateRecords = "marked_inaccurately.incorrect_records", "marked inaccurately: incorrect facility records or maps";
        InaccurateLocatorError = "marked_inaccurately.locator_error", "marked inaccurately: locator error";
        InaccurateTracerWire = "marked_inaccurately.tracer_wire", "marked inaccurately: tracer wire issue";
        NoTestHole = "excavation.no_test_hole", "no test-hole (pothole) verification";
        FailedClearance = "excavation.failed_clearance", "failed to maintain clearance";
        FailedToProtect = "excavation.failed_to_protect", "failed to protect, shore or support the facility";
        ImproperBackfilling = "excavation.improper_backfilling", "improper backfilling";
        MarksNotMaintained = "excavation.marks_not_maintained", "marks faded or not maintained";
        ExcavationOther = "excavation.other", "excavation practices: other";
        DeterioratedFacility = "miscellaneous.deteriorated_facility", "deteriorated facility";
        CenterError = "miscellaneous.center_error", "one-call center error";
        PreviousDamage = "miscellaneous.previous_damage", "previous damage";
        NotListed = "miscellaneous.not_listed", "root cause not listed";
        Unknown = "unknown", "unknown";
    }
);

impl RootCause {
    pub fn group(self) -> RootCauseGroup {
        let name = self.as_str();
        let group = name.split_once('.').map_or(name, |(g, _)| g);
        RootCauseGroup::parse(group).unwrap_or(RootCauseGroup::Unknown)
    }

    /// The pre-2024 group this cause counts in.
    pub fn legacy_group(self) -> LegacyGroup {
        match self.group() {
            RootCauseGroup::Notification => LegacyGroup::OneCallNotification,
            RootCauseGroup::NotMarked | RootCauseGroup::MarkedInaccurately => LegacyGroup::Locating,
            RootCauseGroup::Excavation => LegacyGroup::Excavation,
            RootCauseGroup::Miscellaneous | RootCauseGroup::Unknown => LegacyGroup::Other,
        }
    }
}

vocabulary!(
    /// Who dug (DIRT's "type of excavator").
    ExcavatorKind {
        Contractor = "contractor", "contractor";
        County = "county", "county";
        Developer = "developer", "developer";
        Farmer = "farmer", "farmer";
        Municipality = "municipality", "municipality";
        Occupant = "occupant", "occupant or homeowner";
        Railroad = "railroad", "railroad";
        State = "state", "state";
        Utility = "utility", "utility";
        Other = "other", "other";
        Unknown = "unknown", "unknown";
    }
);

impl ExcavatorKind {
    /// The ticket's excavator type in DIRT's words.
    pub fn of_ticket(t: ExcavatorType) -> Self {
        match t {
            ExcavatorType::Contractor => Self::Contractor,
            ExcavatorType::Homeowner => Self::Occupant,
            ExcavatorType::Municipality => Self::Municipality,
            ExcavatorType::Utility => Self::Utility,
            ExcavatorType::Railroad => Self::Railroad,
            ExcavatorType::Other => Self::Other,
        }
    }
}

vocabulary!(
    /// What dug (DIRT's "type of excavation equipment").
    Equipment {
        Auger = "auger", "auger";
        Backhoe = "backhoe_trackhoe", "backhoe or trackhoe";
        Boring = "boring", "boring";
        DirectionalDrilling = "directional_drilling", "directional drilling";
        Drilling = "drilling", "drilling";
        Explosives = "explosives", "explosives";
        FarmEquipment = "farm_equipment", "farm equipment";
        Grader = "grader_scraper", "grader or scraper";
        HandTools = "hand_tools", "hand tools";
        Milling = "milling_equipment", "milling equipment";
        Probing = "probing_device", "probing device";
        Trencher = "trencher", "trencher";
        Vacuum = "vacuum_equipment", "vacuum equipment";
        Other = "other", "other";
        Unknown = "unknown", "unknown";
    }
);

impl Equipment {
    /// The ticket's method as equipment.
    pub fn of_method(m: ExcavationMethod) -> Self {
        match m {
            ExcavationMethod::Hand => Self::HandTools,
            ExcavationMethod::Backhoe => Self::Backhoe,
            ExcavationMethod::Trencher => Self::Trencher,
            ExcavationMethod::Auger => Self::Auger,
            ExcavationMethod::DirectionalDrilling => Self::DirectionalDrilling,
            ExcavationMethod::Boring => Self::Boring,
            ExcavationMethod::Vacuum => Self::Vacuum,
            ExcavationMethod::Blasting => Self::Explosives,
            ExcavationMethod::Other => Self::Other,
        }
    }
}

vocabulary!(
    /// The work performed (DIRT's "type of work performed").
    WorkType {
        Agriculture = "agriculture", "agriculture";
        BuildingConstruction = "building_construction", "building construction";
        BuildingDemolition = "building_demolition", "building demolition";
        CableTv = "cable_tv", "cable TV";
        CurbSidewalk = "curb_sidewalk", "curb or sidewalk";
        Drainage = "drainage", "drainage";
        Driveway = "driveway", "driveway";
        Electric = "electric", "electric";
        Surveying = "engineering_surveying", "engineering or surveying";
        Fencing = "fencing", "fencing";
        Grading = "grading", "grading";
        Irrigation = "irrigation", "irrigation";
        Landscaping = "landscaping", "landscaping";
        LiquidPipeline = "liquid_pipeline", "liquid pipeline";
        Milling = "milling", "milling";
        NaturalGas = "natural_gas", "natural gas";
        Pole = "pole", "pole";
        PublicTransit = "public_transit", "public transit";
        Railroad = "railroad", "railroad";
        RoadWork = "road_work", "road work";
        Sewer = "sewer", "sewer";
        SiteDevelopment = "site_development", "site development";
        Steam = "steam", "steam";
        StormDrain = "storm_drain", "storm drain";
        StreetLight = "street_light", "street light";
        Telecommunications = "telecommunications", "telecommunications";
        TrafficSignal = "traffic_signal", "traffic signal";
        TrafficSign = "traffic_sign", "traffic sign";
        Water = "water", "water";
        Waterway = "waterway_improvement", "waterway improvement";
        Other = "other", "other";
        Unknown = "unknown", "unknown";
    }
);

/// Words in a ticket's work description that name a kind of work, most specific first.
const WORK_WORDS: &[(&str, WorkType)] = &[
    ("storm drain", WorkType::StormDrain),
    ("street light", WorkType::StreetLight),
    ("traffic signal", WorkType::TrafficSignal),
    ("traffic sign", WorkType::TrafficSign),
    ("sidewalk", WorkType::CurbSidewalk),
    ("curb", WorkType::CurbSidewalk),
    ("driveway", WorkType::Driveway),
    ("demoli", WorkType::BuildingDemolition),
    ("fiber", WorkType::Telecommunications),
    ("fibre", WorkType::Telecommunications),
    ("telecom", WorkType::Telecommunications),
    ("phone", WorkType::Telecommunications),
    ("cable tv", WorkType::CableTv),
    ("catv", WorkType::CableTv),
    ("sewer", WorkType::Sewer),
    ("water", WorkType::Water),
    ("hydrant", WorkType::Water),
    ("gas", WorkType::NaturalGas),
    ("electric", WorkType::Electric),
    ("power", WorkType::Electric),
    ("pole", WorkType::Pole),
    ("fenc", WorkType::Fencing),
    ("landscap", WorkType::Landscaping),
    ("tree", WorkType::Landscaping),
    ("irrigat", WorkType::Irrigation),
    ("sprinkler", WorkType::Irrigation),
    ("drain", WorkType::Drainage),
    ("paving", WorkType::RoadWork),
    ("road", WorkType::RoadWork),
    ("street", WorkType::RoadWork),
    ("grading", WorkType::Grading),
    ("survey", WorkType::Surveying),
    ("soil bor", WorkType::Surveying),
    ("foundation", WorkType::BuildingConstruction),
    ("building", WorkType::BuildingConstruction),
    ("construct", WorkType::SiteDevelopment),
    ("develop", WorkType::SiteDevelopment),
    ("farm", WorkType::Agriculture),
    ("rail", WorkType::Railroad),
];

impl WorkType {
    /// The kind of work a ticket's free-text description names, if any word says.
    pub fn of_description(text: &str) -> Option<Self> {
        let text = text.to_lowercase();
        WORK_WORDS
            .iter()
            .find(|(word, _)| text.contains(word))
            .map(|(_, w)| *w)
    }
}

vocabulary!(
    /// Whether marks were there and right.
    Marks {
        PresentAccurate = "present_accurate", "present and accurate";
        PresentInaccurate = "present_inaccurate", "present but inaccurate";
        Absent = "absent", "absent";
        Unknown = "unknown", "unknown";
    }
);

vocabulary!(
    /// Who was at fault.
    AtFault {
        Excavator = "excavator", "the excavator";
        Locator = "locator", "the locator";
        Operator = "operator", "the facility operator";
        Center = "center", "the one-call center";
        Other = "other", "someone else";
        Unknown = "unknown", "unknown";
    }
);

/// The facility an investigation is about: its class, and when it is one the screening found,
/// its layer and feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DamagedFacility {
    pub class: FacilityClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_id: Option<String>,
}

/// What an investigation says (everything but its bookkeeping).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub kind: Kind,
    pub occurred_at: DateTime<Utc>,
    pub facility: DamagedFacility,
    pub root_cause: Option<RootCause>,
    pub excavator_type: Option<ExcavatorKind>,
    pub excavator: Option<String>,
    pub equipment: Option<Equipment>,
    pub work_type: Option<WorkType>,
    pub method: Option<ExcavationMethod>,
    pub marks: Option<Marks>,
    /// Whether Aegis's answer to the center was posted by the ticket's due time (prefilled from
    /// its own record; `None` when nothing was asked of it).
    pub response_on_time: Option<bool>,
    pub downtime_hours: Option<f64>,
    pub cost_usd: Option<f64>,
    pub at_fault: Option<AtFault>,
    pub narrative: Option<String>,
}

/// The fields of a create or edit as a caller sends them, unchecked: an absent field is left
/// as it was (or prefilled, on create).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub facility_class: Option<String>,
    pub facility_layer: Option<String>,
    pub facility_feature_id: Option<String>,
    pub root_cause: Option<String>,
    pub excavator_type: Option<String>,
    pub excavator: Option<String>,
    pub equipment: Option<String>,
    pub work_type: Option<String>,
    pub method: Option<String>,
    pub marks: Option<String>,
    pub downtime_hours: Option<f64>,
    pub cost_usd: Option<f64>,
    pub at_fault: Option<String>,
    pub narrative: Option<String>,
}

/// The longest narrative kept.
pub const MAX_NARRATIVE: usize = 8_000;
/// The longest free-text field (excavator, layer, feature id) kept.
pub const MAX_TEXT: usize = 200;
/// A downtime longer than a year is a typing error.
pub const MAX_DOWNTIME_HOURS: f64 = 24.0 * 366.0;
/// Costs above a billion dollars are a typing error.
pub const MAX_COST_USD: f64 = 1e9;
/// How far in the future an occurrence may be dated (clock skew).
pub const FUTURE_SKEW_SECS: i64 = 600;

/// A facility the screening found near the dig area: where an investigation's layer and
/// feature must come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub layer: String,
    pub feature_id: String,
    pub class: FacilityClass,
}

/// What the ticket and Aegis's own record already say: the starting point of a new
/// investigation.
pub fn prefilled(
    ticket: &Ticket,
    kind: Kind,
    occurred_at: DateTime<Utc>,
    class: FacilityClass,
    response_on_time: Option<bool>,
) -> Findings {
    let work_text = [ticket.work.kind.as_deref(), ticket.work.activity.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let excavator = [
        ticket.excavator.company.as_deref(),
        ticket.excavator.name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|s| !s.is_empty())
    .map(str::to_owned);
    Findings {
        kind,
        occurred_at,
        facility: DamagedFacility {
            class,
            layer: None,
            feature_id: None,
        },
        root_cause: None,
        excavator_type: ticket.excavator.kind.map(ExcavatorKind::of_ticket),
        excavator,
        equipment: ticket.work.method.map(Equipment::of_method),
        work_type: WorkType::of_description(&work_text),
        method: ticket.work.method,
        marks: None,
        response_on_time,
        downtime_hours: None,
        cost_usd: None,
        at_fault: None,
        narrative: None,
    }
}

/// `draft` applied over `base`: every field it gives, checked; every problem at once.
pub fn apply(
    base: &Findings,
    draft: &Draft,
    screened: &[Screened],
    now: DateTime<Utc>,
) -> Result<Findings, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut next = base.clone();
    let d = draft;
    if let Some(k) = read_optional("kind", d.kind.as_deref(), &mut problems) {
        next.kind = k;
    }
    if let Some(at) = d.occurred_at {
        if at > now + chrono::TimeDelta::seconds(FUTURE_SKEW_SECS) {
            problems.push(Problem::new(
                "occurred_at",
                "out_of_range",
                "occurred_at is in the future",
            ));
        }
        next.occurred_at = at;
    }
    facility(&mut next, d, screened, &mut problems);
    set(
        &mut next.root_cause,
        read_optional("root_cause", d.root_cause.as_deref(), &mut problems),
    );
    set(
        &mut next.excavator_type,
        read_optional("excavator_type", d.excavator_type.as_deref(), &mut problems),
    );
    set(
        &mut next.equipment,
        read_optional("equipment", d.equipment.as_deref(), &mut problems),
    );
    set(
        &mut next.work_type,
        read_optional("work_type", d.work_type.as_deref(), &mut problems),
    );
    set(
        &mut next.marks,
        read_optional("marks", d.marks.as_deref(), &mut problems),
    );
    set(
        &mut next.at_fault,
        read_optional("at_fault", d.at_fault.as_deref(), &mut problems),
    );
    if let Some(m) = d.method.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        match ExcavationMethod::parse(m) {
            Some(m) => next.method = Some(m),
            None => problems.push(Problem::new(
                "method",
                "unknown_value",
                format!(
                    "method must be one of: {} (not '{m}')",
                    ExcavationMethod::ALL
                        .map(ExcavationMethod::as_str)
                        .join(", ")
                ),
            )),
        }
    }
    text(
        &mut next.excavator,
        "excavator",
        d.excavator.as_deref(),
        MAX_TEXT,
        &mut problems,
    );
    text(
        &mut next.narrative,
        "narrative",
        d.narrative.as_deref(),
        MAX_NARRATIVE,
        &mut problems,
    );
    number(
        &mut next.downtime_hours,
        "downtime_hours",
        d.downtime_hours,
        MAX_DOWNTIME_HOURS,
        &mut problems,
    );
    number(
        &mut next.cost_usd,
        "cost_usd",
        d.cost_usd,
        MAX_COST_USD,
        &mut problems,
    );
    if problems.is_empty() {
        Ok(next)
    } else {
        Err(problems)
    }
}

fn set<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

fn text(
    field: &mut Option<String>,
    name: &str,
    value: Option<&str>,
    max: usize,
    problems: &mut Vec<Problem>,
) {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return;
    };
    if v.chars().count() > max {
        problems.push(Problem::new(
            name,
            "too_long",
            format!("{name} is longer than {max} characters"),
        ));
    } else {
        *field = Some(v.to_owned());
    }
}

fn number(
    field: &mut Option<f64>,
    name: &str,
    value: Option<f64>,
    max: f64,
    problems: &mut Vec<Problem>,
) {
    let Some(v) = value else {
        return;
    };
    if v.is_finite() && (0.0..=max).contains(&v) {
        *field = Some(v);
    } else {
        problems.push(Problem::new(
            name,
            "out_of_range",
            format!("{name} must be a number from 0 to {max}"),
        ));
    }
}

/// The facility: a class from the vocabulary, and a layer and feature only as the screening
/// found them (the class then follows the layer's).
fn facility(next: &mut Findings, d: &Draft, screened: &[Screened], problems: &mut Vec<Problem>) {
    if let Some(c) = d
        .facility_class
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match FacilityClass::parse(c) {
            Some(c) => next.facility.class = c,
            None => problems.push(Problem::new(
                "facility.class",
                "unknown_value",
                format!(
                    "facility.class must be one of: {} (not '{c}')",
                    FacilityClass::ALL.map(FacilityClass::as_str).join(", ")
                ),
            )),
        }
    }
    let layer = d
        .facility_layer
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let feature = d
        .facility_feature_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (layer, feature) {
        (None, None) => {}
        (Some(layer), Some(feature)) => {
            match screened.iter().find(|s| s.layer == layer && s.feature_id == feature) {
                Some(s) => {
                    next.facility.layer = Some(s.layer.clone());
                    next.facility.feature_id = Some(s.feature_id.clone());
                    next.facility.class = s.class;
                }
                None => problems.push(Problem::new(
                    "facility.feature_id",
                    "unknown_value",
                    format!("{layer} {feature} is not one of the facilities the screening found near this dig"),
                )),
            }
        }
        (Some(_), None) => problems.push(Problem::required("facility.feature_id")),
        (None, Some(_)) => problems.push(Problem::required("facility.layer")),
    }
}

/// One field an edit changed, as the trail records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The fields that differ between `before` and `after`, each with its old and new value.
pub fn changes(before: &Findings, after: &Findings) -> Vec<FieldChange> {
    let a = fields(before);
    let b = fields(after);
    a.into_iter()
        .zip(b)
        .filter(|((_, x), (_, y))| x != y)
        .map(|((field, from), (_, to))| FieldChange {
            field: field.to_owned(),
            from,
            to,
        })
        .collect()
}

fn fields(f: &Findings) -> Vec<(&'static str, Option<String>)> {
    let s = |v: Option<&str>| v.map(str::to_owned);
    vec![
        ("kind", Some(f.kind.as_str().to_owned())),
        ("occurred_at", Some(f.occurred_at.to_rfc3339())),
        ("facility.class", Some(f.facility.class.as_str().to_owned())),
        ("facility.layer", f.facility.layer.clone()),
        ("facility.feature_id", f.facility.feature_id.clone()),
        ("root_cause", s(f.root_cause.map(RootCause::as_str))),
        (
            "excavator_type",
            s(f.excavator_type.map(ExcavatorKind::as_str)),
        ),
        ("excavator", f.excavator.clone()),
        ("equipment", s(f.equipment.map(Equipment::as_str))),
        ("work_type", s(f.work_type.map(WorkType::as_str))),
        ("method", s(f.method.map(ExcavationMethod::as_str))),
        ("marks", s(f.marks.map(Marks::as_str))),
        (
            "response_on_time",
            f.response_on_time.map(|b| b.to_string()),
        ),
        ("downtime_hours", f.downtime_hours.map(|v| v.to_string())),
        ("cost_usd", f.cost_usd.map(|v| v.to_string())),
        ("at_fault", s(f.at_fault.map(AtFault::as_str))),
        ("narrative", f.narrative.clone()),
    ]
}

/// The facility class an outcome's coarse word names (contract §3: `gas`, `electric`, …).
pub fn class_of_outcome(word: Option<&str>) -> FacilityClass {
    match word {
        Some("gas") => FacilityClass::GasDistribution,
        Some("electric") => FacilityClass::ElectricDistribution,
        Some("telecom") => FacilityClass::Telecom,
        Some("water") => FacilityClass::Water,
        Some("sewer") => FacilityClass::Sewer,
        _ => FacilityClass::Other,
    }
}

/// DIRT's "facility affected" for a class.
pub fn dirt_facility(class: FacilityClass) -> &'static str {
    match class {
        FacilityClass::GasTransmission
        | FacilityClass::GasDistribution
        | FacilityClass::GasService => "Natural Gas",
        FacilityClass::ElectricTransmission | FacilityClass::ElectricDistribution => "Electric",
        FacilityClass::Telecom => "Telecommunications",
        FacilityClass::Water => "Water",
        FacilityClass::Sewer => "Sewer",
        FacilityClass::Other => "Unknown/Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ticket() -> Ticket {
        let mut t = Ticket::default();
        t.work.kind = Some("Fiber optic installation".into());
        t.work.method = Some(ExcavationMethod::DirectionalDrilling);
        t.excavator.company = Some("Bayline Fiber Constructors".into());
        t.excavator.kind = Some(ExcavatorType::Homeowner);
        t
    }

    #[test]
    fn every_root_cause_has_its_group_and_a_legacy_group() {
        assert_eq!(RootCause::ALL.len(), 27);
        for c in RootCause::ALL {
            let g = c.group();
            if *c == RootCause::Unknown {
                assert_eq!(g, RootCauseGroup::Unknown);
            } else {
                assert!(c.as_str().starts_with(&format!("{}.", g.as_str())), "{c}");
            }
        }
        assert_eq!(RootCause::NoTestHole.group(), RootCauseGroup::Excavation);
        assert_eq!(
            RootCause::InaccurateRecords.legacy_group(),
            LegacyGroup::Locating
        );
        assert_eq!(
            RootCause::NotMarkedNoResponse.legacy_group(),
            LegacyGroup::Locating
        );
        assert_eq!(RootCause::CenterError.legacy_group(), LegacyGroup::Other);
        assert_eq!(
            RootCause::AfterExpiry.legacy_group(),
            LegacyGroup::OneCallNotification
        );
    }

    #[test]
    fn a_new_investigation_starts_from_what_the_ticket_says() {
        let f = prefilled(
            &ticket(),
            Kind::Damage,
            at("2026-11-23T10:00:00Z"),
            FacilityClass::Telecom,
            Some(true),
        );
        assert_eq!(f.work_type, Some(WorkType::Telecommunications));
        assert_eq!(f.equipment, Some(Equipment::DirectionalDrilling));
        assert_eq!(f.method, Some(ExcavationMethod::DirectionalDrilling));
        assert_eq!(f.excavator_type, Some(ExcavatorKind::Occupant));
        assert_eq!(f.excavator.as_deref(), Some("Bayline Fiber Constructors"));
        assert_eq!(f.response_on_time, Some(true));
        assert_eq!(f.root_cause, None, "nobody knows the cause yet");
    }

    #[test]
    fn unknown_words_are_refused_naming_the_field_and_every_allowed_value() {
        let base = prefilled(
            &ticket(),
            Kind::Damage,
            at("2026-11-23T10:00:00Z"),
            FacilityClass::Telecom,
            None,
        );
        let d = Draft {
            root_cause: Some("bad_luck".into()),
            marks: Some("faint".into()),
            cost_usd: Some(-5.0),
            ..Draft::default()
        };
        let problems = apply(&base, &d, &[], at("2026-11-23T11:00:00Z")).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["root_cause", "marks", "cost_usd"]);
        assert!(
            problems[0].message.contains("excavation.no_test_hole"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[1]
                .message
                .contains("present_accurate, present_inaccurate, absent, unknown")
        );
    }

    #[test]
    fn a_layer_and_feature_must_be_ones_the_screening_found_and_set_the_class() {
        let base = prefilled(
            &ticket(),
            Kind::Damage,
            at("2026-11-23T10:00:00Z"),
            FacilityClass::Other,
            None,
        );
        let screened = [Screened {
            layer: "gas-mains".into(),
            feature_id: "M-1".into(),
            class: FacilityClass::GasDistribution,
        }];
        let now = at("2026-11-23T11:00:00Z");
        let ok = Draft {
            facility_layer: Some("gas-mains".into()),
            facility_feature_id: Some("M-1".into()),
            ..Draft::default()
        };
        let f = apply(&base, &ok, &screened, now).unwrap();
        assert_eq!(f.facility.class, FacilityClass::GasDistribution);
        let wrong = Draft {
            facility_feature_id: Some("M-9".into()),
            ..ok
        };
        let p = apply(&base, &wrong, &screened, now).unwrap_err();
        assert_eq!(p[0].field, "facility.feature_id");
    }

    #[test]
    fn an_edit_names_each_field_it_changed() {
        let base = prefilled(
            &ticket(),
            Kind::Damage,
            at("2026-11-23T10:00:00Z"),
            FacilityClass::Telecom,
            None,
        );
        let d = Draft {
            root_cause: Some("excavation.no_test_hole".into()),
            work_type: Some("telecommunications".into()),
            ..Draft::default()
        };
        let after = apply(&base, &d, &[], at("2026-11-23T11:00:00Z")).unwrap();
        let c = changes(&base, &after);
        assert_eq!(
            c,
            vec![FieldChange {
                field: "root_cause".into(),
                from: None,
                to: Some("excavation.no_test_hole".into())
            }],
            "the work type was already that"
        );
    }

    #[test]
    fn a_future_occurrence_is_refused() {
        let base = prefilled(
            &ticket(),
            Kind::NearMiss,
            at("2026-11-23T10:00:00Z"),
            FacilityClass::Water,
            None,
        );
        let d = Draft {
            occurred_at: Some(at("2026-11-24T10:00:00Z")),
            ..Draft::default()
        };
        let p = apply(&base, &d, &[], at("2026-11-23T11:00:00Z")).unwrap_err();
        assert_eq!(p[0].field, "occurred_at");
    }
}
