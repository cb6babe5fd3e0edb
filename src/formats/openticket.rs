//! Open Ticket Standard deliveries (contract §11; `openticket/Open-Ticket-Specification.md`):
//! a ticket as one JSON document of sections (`header`, `workSite`, `geography`, `timeLine`, …).
//!
//! Real deliveries differ from the specification and from each other, so the document is read
//! leniently: keys are matched without case and under each format version's name (0.3's
//! `workSiteWkt`, 1.0's `geometry.workSiteArea`, …); numbers and booleans may be strings;
//! times may lack a zone (read in the center's), come as `YYYY/MM/DD…` or `MM/DD/YYYY`, or be
//! empty; latitude and longitude may be swapped; WKT may carry text after the geometry; the
//! JSON may carry trailing commas. Each such repair is a warning on the ticket. A document is
//! refused only when it is not a ticket (400) or its ticket cannot be identified or placed
//! (409), with the specification's error document.

use aegis_workflows::Problem;
use aegis_workflows::geometry::Polygon;
use aegis_workflows::ticket::{
    ExcavationMethod, Excavator, IdentityError, Location, Ticket, TicketType, Work,
    check_ticket_number,
};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde::Serialize;
use serde_json::{Map, Value};

use super::lenient_json::without_trailing_commas;
use super::openticket_geojson;
use super::{ParseError, Parsed, onecall};

/// The format versions whose field names this reader knows.
const KNOWN_VERSIONS: [&str; 4] = ["0.3", "0.4", "0.5", "1.0"];

/// One entry of the specification's error document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// The field the error is about; absent when it is about the whole document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The specification's error code (`INVALID_JSON`, `MISSING_REQUIRED_FIELD`, …).
    pub error: String,
    pub message: String,
}

/// Why an Open Ticket document was refused, with what the error document reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `400` (not a ticket at all) or `409` (a ticket that cannot be identified or placed).
    pub status: u16,
    pub ticket_number: String,
    pub format_version: String,
    pub errors: Vec<ErrorItem>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<String> = self
            .errors
            .iter()
            .map(|e| match &e.field {
                Some(field) => format!("{field}: {} ({})", e.message, e.error),
                None => format!("{} ({})", e.message, e.error),
            })
            .collect();
        f.write_str(&all.join("; "))
    }
}

impl Refused {
    fn not_a_ticket(field: Option<&str>, error: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            ticket_number: String::new(),
            format_version: String::new(),
            errors: vec![ErrorItem {
                field: field.map(str::to_owned),
                error: error.to_owned(),
                message: message.into(),
            }],
        }
    }
}

/// What the reader needs to know about the center besides the document.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The zone times without one are read in (`centers.<CODE>.timezone`).
    pub tz: chrono_tz::Tz,
}

/// Parses an Open Ticket webhook body.
pub fn parse(body: &[u8], cx: Context) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        refused(Refused::not_a_ticket(
            None,
            "INVALID_JSON",
            "the body is not UTF-8 text",
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut problems = Vec::new();
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(first) => {
            let repaired = without_trailing_commas(text);
            match serde_json::from_str(&repaired) {
                Ok(v) if repaired.len() != text.len() => {
                    problems.push(Problem::new(
                        "",
                        "invalid_format",
                        "the JSON has trailing commas (read as if it had none)",
                    ));
                    v
                }
                _ => {
                    return Err(refused(Refused::not_a_ticket(
                        None,
                        "INVALID_JSON",
                        format!("the body is not JSON: {first}"),
                    )));
                }
            }
        }
    };
    let Value::Object(doc) = doc else {
        return Err(refused(Refused::not_a_ticket(
            None,
            "INVALID_JSON",
            "the body must be a JSON object",
        )));
    };
    let Some(header) = section(&doc, &["header"]) else {
        return Err(refused(Refused::not_a_ticket(
            Some("header"),
            "MISSING_REQUIRED_FIELD",
            "an Open Ticket has a header section; this document has none",
        )));
    };
    Reader {
        doc: &doc,
        header,
        cx,
        problems,
    }
    .read()
}

fn refused(r: Refused) -> ParseError {
    ParseError::OpenTicket(Box::new(r))
}

/// The value under the first of `names` present in `obj`, keys compared without case; JSON
/// `null` counts as absent.
pub(super) fn field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| {
        obj.get(*n)
            .or_else(|| {
                obj.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| v)
            })
            .filter(|v| !v.is_null())
    })
}

fn section<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Map<String, Value>> {
    field(obj, names).and_then(Value::as_object)
}

/// A text value, trimmed; numbers written as numbers become their text; empty is absent.
fn text_of(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn text(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    field(obj, names).and_then(text_of)
}

/// A number, or a string holding one.
pub(super) fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// A boolean, or a string or number saying one.
fn flag_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "y" | "yes" | "1" => Some(true),
            "false" | "f" | "n" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Strings of a value that may be one string or an array of them.
fn texts_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(text_of).collect(),
        Some(v) => text_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

struct Reader<'a> {
    doc: &'a Map<String, Value>,
    header: &'a Map<String, Value>,
    cx: Context,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn warn(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(field, code, message));
    }

    fn read(mut self) -> Result<Parsed, ParseError> {
        let version = text(self.header, &["formatVersion", "version"]).unwrap_or_default();
        let normalized_version = normalize_version(&version);
        if !KNOWN_VERSIONS.contains(&normalized_version.as_str()) {
            self.warn(
                "header.formatVersion",
                "unknown_value",
                format!(
                    "format version '{version}' is not one of {}: read with the names of all of them",
                    KNOWN_VERSIONS.join(", ")
                ),
            );
        }
        let number = text(self.header, &["ticketNumber", "ticketNo", "number"]);
        let identity = match number.as_deref() {
            None => Err(IdentityError::MissingNumber),
            Some(n) => check_ticket_number(n).map(|()| n.to_owned()),
        };
        let number = match identity {
            Ok(n) => n,
            Err(e) => {
                let (code, message) = match e {
                    IdentityError::MissingNumber => (
                        "MISSING_REQUIRED_FIELD",
                        "header.ticketNumber is required".to_owned(),
                    ),
                    _ if number.as_deref().is_some_and(|n| n.len() > 32) => (
                        "FIELD_TOO_LONG",
                        "header.ticketNumber is longer than the 32 characters Aegis keys tickets by".to_owned(),
                    ),
                    _ => ("INVALID_DATA_TYPE", e.to_string()),
                };
                return Err(refused(Refused {
                    status: 409,
                    ticket_number: number.unwrap_or_default(),
                    format_version: version,
                    errors: vec![ErrorItem {
                        field: Some("header.ticketNumber".into()),
                        error: code.into(),
                        message,
                    }],
                }));
            }
        };
        let revision = self.revision();
        let kind = self.kind();
        let source_type = text(self.header, &["type"]);
        let is_test = field(self.header, &["isTest"]).and_then(flag_of) == Some(true);

        let timeline = section(self.doc, &["timeLine", "timeline"]);
        let (submitted_at, legal_start_at, work_begin_at, expires_at, mut response_due_at) =
            match timeline {
                Some(t) => (
                    self.time(t, "createdOn", false),
                    self.time(t, "legalOn", false),
                    self.time(t, "workOn", false),
                    self.time(t, "expiresOn", false),
                    self.time(t, "responseDue", true),
                ),
                None => (None, None, None, None, None),
            };
        if response_due_at.is_none() {
            // GA811 sends the response deadline as a custom field of its time line.
            response_due_at = self.custom_time(&["responseBy", "responseDue"]);
        }

        let work = self.work();
        let excavator = self.excavator();
        let location = self.location();
        let members = self.members();
        let remarks = self.remarks();

        let sequence = field(self.header, &["sequence"])
            .and_then(number_of)
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            // A sequence beyond u64 is not tracked.
            .map(|n| n as u64);
        let station = text(self.header, &["centerName"])
            .filter(|s| s.len() <= 64)
            .unwrap_or_else(|| "openticket".into());

        let ticket = Ticket {
            ticket_number: number.clone(),
            revision,
            kind: Some(kind),
            source_type,
            submitted_at,
            work_begin_at,
            legal_start_at,
            expires_at,
            response_due_at,
            excavator,
            work,
            location,
            members,
            remarks,
            is_test,
            parse_problems: self.problems,
        };
        if !aegis_workflows::validation::placeable(&ticket) {
            return Err(refused(Refused {
                status: 409,
                ticket_number: number,
                format_version: version,
                errors: vec![ErrorItem {
                    field: Some("geography".into()),
                    error: "MISSING_GEOMETRY".into(),
                    message: "the ticket has no work-site polygon, no point in range and no street address: it cannot be placed".into(),
                }],
            }));
        }
        Ok(Parsed {
            ticket,
            delivery_id: None,
            sequence: sequence.map(|n| (station, n)),
        })
    }

    /// `header.ticketVersion`, else a custom field the center keeps its version in, else 0.
    fn revision(&mut self) -> u32 {
        let parse = |v: &Value| {
            number_of(v).filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
        };
        if let Some(v) = field(self.header, &["ticketVersion", "revision"]) {
            match parse(v) {
                Some(n) => return n as u32,
                None => self.warn(
                    "header.ticketVersion",
                    "invalid_format",
                    format!("ticketVersion {v} is not a whole number: read as the center's version field, else 0"),
                ),
            }
        }
        self.custom(&["version", "ticketVersion", "revision"])
            .and_then(parse)
            .map_or(0, |n| n as u32)
    }

    /// The first custom field with one of `names`, in any group (field lists are `fields` in
    /// 0.3–0.5, `fieldList` in 1.0); its value, when it has one.
    fn custom(&self, names: &[&str]) -> Option<&Value> {
        let groups = field(self.doc, &["customFieldGroups", "customFieldGroupList"])?.as_array()?;
        let fields = groups
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|g| field(g, &["fields", "fieldList"]).and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_object);
        for f in fields {
            let name = text(f, &["fieldName", "name"]).unwrap_or_default();
            if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                return field(f, &["value"]);
            }
        }
        None
    }

    fn custom_time(&mut self, names: &[&str]) -> Option<DateTime<FixedOffset>> {
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

    fn no_zone(&mut self, field: &str, raw: &str) {
        let tz = self.cx.tz;
        self.warn(
            field,
            "no_time_zone",
            format!("{field} '{raw}' has no time zone: read in the center's, {tz}"),
        );
    }

    fn time(
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

    /// The ticket type from the standard type, the priority, the action (status before 1.0)
    /// and the legal type, in that order of trust; a cancel is a cancel whatever its priority.
    fn kind(&self) -> TicketType {
        let words: Vec<String> = ["standardType", "priority", "action", "status", "type"]
            .iter()
            .filter_map(|k| text(self.header, &[k]))
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let any = |w: &[&str]| words.iter().any(|s| w.iter().any(|x| s.contains(x)));
        if any(&["cancel"]) {
            TicketType::Cancel
        } else if any(&["emergency"]) {
            TicketType::Emergency
        } else if any(&["short notice", "short-notice", "shortnotice", "rush"]) {
            TicketType::ShortNotice
        } else if any(&["design"]) {
            TicketType::Design
        } else if any(&[
            "no response",
            "noresponse",
            "renotify",
            "re-notify",
            "remark",
            "re-mark",
            "2nd notice",
            "second notice",
        ]) {
            // Someone says the marks are still not there: the member must mark again.
            TicketType::Remark
        } else if any(&["update", "correction", "renew", "amend"]) {
            TicketType::Update
        } else {
            // Normal, New, Resend, Project, Other: the center's own words stay in
            // `source_type` and the raw payload.
            TicketType::Normal
        }
    }

    fn work(&mut self) -> Work {
        let Some(p) = section(self.doc, &["project"]) else {
            return Work::default();
        };
        let boring = self.flag(p, "project", "isDirectionalBoring");
        let explosives = self.flag(p, "project", "isExplosives");
        let duration = field(p, &["duration"]);
        let duration_days = match duration {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if !s.trim().is_empty() => {
                let d = super::text::duration_days(s);
                if d.is_none() {
                    self.warn(
                        "project.duration",
                        "invalid_format",
                        format!("project.duration '{}' names no length of time", s.trim()),
                    );
                }
                d
            }
            _ => None,
        };
        let stated = self
            .custom(&["workMainMethod", "excavationEquipment", "excavationMethod"])
            .and_then(text_of)
            .filter(|s| !s.eq_ignore_ascii_case("value"));
        let method = if boring == Some(true) {
            Some(ExcavationMethod::DirectionalDrilling)
        } else if explosives == Some(true) {
            Some(ExcavationMethod::Blasting)
        } else {
            stated.as_deref().map(onecall::method)
        };
        Work {
            kind: text(p, &["workType"]),
            activity: text(p, &["projectReference"]),
            method,
            depth_inches: None,
            depth_text: None,
            boring,
            explosives,
            vacuum: None,
            pavement_only: None,
            duration_days,
            done_for: text(p, &["workDoneFor"]),
        }
    }

    fn flag(&mut self, s: &Map<String, Value>, section: &str, name: &str) -> Option<bool> {
        let v = field(s, &[name])?;
        let f = flag_of(v);
        if f.is_none() && text_of(v).is_some() {
            self.warn(
                &format!("{section}.{name}"),
                "invalid_type",
                format!("{section}.{name} {v} is not true or false"),
            );
        }
        f
    }

    fn excavator(&self) -> Excavator {
        let Some(e) = section(self.doc, &["excavator"]) else {
            return Excavator::default();
        };
        // 1.0 lists contacts; earlier versions name the caller and the contact inline.
        let first_contact = field(e, &["contactList", "contacts"])
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find_map(Value::as_object));
        let contact = |names: &[&str]| first_contact.and_then(|c| text(c, names));
        Excavator {
            name: text(e, &["callerName", "contactName"]).or_else(|| contact(&["name"])),
            company: text(e, &["name"]),
            kind: text(e, &["excavatorType"]).map(|t| onecall::excavator_type(&t)),
            id: None,
            phone: text(e, &["callerPhone", "contactPhone", "phoneNumber"])
                .or_else(|| contact(&["phone"])),
            email: text(e, &["callerEmail", "contactEmail"])
                .or_else(|| contact(&["email", "emailAddress"])),
        }
    }

    fn members(&self) -> Vec<String> {
        let ids = texts_of(field(self.header, &["memberIds"]));
        if !ids.is_empty() {
            return ids;
        }
        field(self.doc, &["members", "memberList"])
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_object)
                    .filter_map(|m| text(m, &["memberId", "memberCode"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn remarks(&self) -> Option<String> {
        let info = section(
            self.doc,
            &["locateInformation", "markingInformation", "locateInfo"],
        )?;
        let parts: Vec<String> = [
            text(info, &["locateInstructions", "markingInstructions"]),
            text(info, &["remarks"]),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" — "))
    }

    fn location(&mut self) -> Location {
        let site = section(self.doc, &["workSite", "worksite"]);
        let get = |names: &[&str]| site.and_then(|s| text(s, names));
        let address = get(&["fullAddress"]).or_else(|| {
            let parts: Vec<String> = [
                "addressNumber",
                "addressPrefix",
                "addressStreetName",
                "addressStreetType",
                "addressSuffix",
            ]
            .iter()
            .filter_map(|k| get(&[k]))
            .collect();
            // A number and a street type are not an address without the street's name.
            get(&["addressStreetName"])
                .is_some()
                .then(|| parts.join(" "))
        });
        let country = get(&["countryCode"]).map(|c| c.to_ascii_uppercase());
        let state = get(&["stateProvince", "state"]).map(|s| s.to_ascii_uppercase());
        let geo = section(self.doc, &["geography", "geometry"]);
        let (mut areas, mut buffers) = match geo {
            Some(g) => (
                self.polygons(g, "workSite", &["workSiteWkt", "workSiteArea"]),
                self.polygons(g, "buffered", &["bufferedWkt", "bufferedArea"]),
            ),
            None => (Vec::new(), Vec::new()),
        };
        // GeoJSON stands in for the WKT only where the WKT gives nothing: a center may send
        // either, and where it sends both the specification makes them the same shapes.
        let mut geojson_points = Vec::new();
        if let Some(g) = geo
            && areas.is_empty()
            && let Some(section) = field(g, &["geoJson"])
        {
            let shapes = self.geojson(section);
            areas = shapes.sites;
            if buffers.is_empty() {
                buffers = shapes.buffers;
            }
            geojson_points = shapes.points;
        }
        if let Some(srid) = geo.and_then(|g| field(g, &["srid"])).and_then(number_of)
            && srid != 4326.0
            && srid != 4269.0
        {
            self.warn(
                "geography.srid",
                "unknown_value",
                format!("srid {srid} is neither 4326 (WGS 84) nor 4269 (NAD 83): coordinates read as longitude and latitude in degrees"),
            );
        }
        let (mut latitude, mut longitude) = geo.map_or((None, None), |g| {
            self.point(g, &areas, country.as_deref(), state.as_deref())
        });
        // Without corners, a site the GeoJSON gives as a point is the ticket's point (a site
        // given by polygons alone is anchored by them, as for every format: `DigArea`).
        if latitude.is_none()
            && let Some(&(lon, lat)) = geojson_points.first()
        {
            (latitude, longitude) = (Some(lat), Some(lon));
        }
        Location {
            state,
            county: get(&["county"]),
            city: get(&["place", "city"]),
            address,
            cross_street: get(&["intersection"]),
            latitude,
            longitude,
            polygon_wkt: Polygon::wkt_of_all(&areas),
            buffer_wkt: Polygon::wkt_of_all(&buffers),
        }
    }

    /// The polygons under the first of `names` (one WKT text or an array of them): each read
    /// up to the end of its geometry; one that does not read is a warning and left out; one
    /// written latitude first is turned around.
    fn polygons(&mut self, geo: &Map<String, Value>, what: &str, names: &[&str]) -> Vec<Polygon> {
        let mut out = Vec::new();
        for (i, raw) in texts_of(field(geo, names)).iter().enumerate() {
            let path = format!("geography.{what}Wkt[{i}]");
            let (wkt, stray) = geometry_text(raw);
            if !stray.is_empty() {
                let shown: String = stray.chars().take(40).collect();
                self.warn(
                    &path,
                    "invalid_format",
                    format!("{path} has text after its geometry ('{shown}'): ignored"),
                );
            }
            match Polygon::parse_all(wkt) {
                Ok(ps) => {
                    for p in ps {
                        let (p, swapped) = longitude_first(p);
                        if swapped {
                            self.warn(
                                &path,
                                "swapped_coordinates",
                                format!(
                                    "{path} is written latitude first: read the other way round"
                                ),
                            );
                        }
                        out.push(p);
                    }
                }
                Err(e) => self.warn(
                    &path,
                    "invalid_format",
                    format!("{path} is not a polygon Aegis can read ({e}): left out"),
                ),
            }
        }
        out
    }

    /// The shapes of `geometry.geoJson`, each polygon written latitude first turned around;
    /// a feature Aegis cannot use is a warning.
    fn geojson(&mut self, section: &Value) -> openticket_geojson::Shapes {
        let mut shapes = openticket_geojson::read(section);
        for why in std::mem::take(&mut shapes.left_out) {
            self.warn(
                "geography.geoJson",
                "invalid_format",
                format!("geography.geoJson: {why}: left out"),
            );
        }
        let mut swapped = false;
        for list in [&mut shapes.sites, &mut shapes.buffers] {
            *list = std::mem::take(list)
                .into_iter()
                .map(|p| {
                    let (p, s) = longitude_first(p);
                    swapped |= s;
                    p
                })
                .collect();
        }
        for pt in &mut shapes.points {
            let (lon, lat, s) = unswap(pt.0, pt.1, &shapes.sites, false);
            *pt = (lon, lat);
            swapped |= s;
        }
        if swapped {
            self.warn(
                "geography.geoJson",
                "swapped_coordinates",
                "geography.geoJson has positions written latitude first: read the other way round",
            );
        }
        shapes
    }

    /// The work site's point: the middle of the corners the center gives (`longitude`,
    /// `latitude` and the secondary pair), each checked for being swapped.
    fn point(
        &mut self,
        g: &Map<String, Value>,
        areas: &[Polygon],
        country: Option<&str>,
        state: Option<&str>,
    ) -> (Option<f64>, Option<f64>) {
        let mut num = |name: &str| -> Option<f64> {
            let v = field(g, &[name])?;
            let n = number_of(v);
            if n.is_none() && text_of(v).is_some() {
                self.problems.push(Problem::new(
                    format!("geography.{name}"),
                    "invalid_format",
                    format!("geography.{name} {v} is not a number"),
                ));
            }
            n
        };
        let first = num("longitude").zip(num("latitude"));
        let second = num("secondaryLongitude").zip(num("secondaryLatitude"));
        let north_american = matches!(country, Some("US" | "CA" | "MX"))
            || (country.is_none() && state.is_some_and(|s| s.len() == 2));
        let mut corners = Vec::new();
        let mut swapped = false;
        for (lon, lat) in [first, second].into_iter().flatten() {
            let (lon, lat, s) = unswap(lon, lat, areas, north_american);
            swapped |= s;
            corners.push((lon, lat));
        }
        if swapped {
            self.warn(
                "geography.latitude",
                "swapped_coordinates",
                "geography's latitude and longitude are swapped (by their ranges, the work site's polygon or its country): read the other way round",
            );
        }
        let valid = |&(lon, lat): &(f64, f64)| {
            (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
        };
        match corners.as_slice() {
            [a, b]
                if valid(a) && valid(b) && (a.0 - b.0).abs() < 0.5 && (a.1 - b.1).abs() < 0.5 =>
            {
                (Some((a.1 + b.1) / 2.0), Some((a.0 + b.0) / 2.0))
            }
            [a, ..] => (Some(a.1), Some(a.0)),
            [] => (None, None),
        }
    }
}

/// Reads "1.0", ".3", "0.5 " and "1" as "1.0", "0.3", "0.5" and "1.0".
fn normalize_version(v: &str) -> String {
    let v = v.trim();
    let v = if v.starts_with('.') {
        format!("0{v}")
    } else {
        v.to_owned()
    };
    if v.contains('.') { v } else { format!("{v}.0") }
}

/// The geometry at the start of `raw` (up to the parenthesis that closes it) and whatever
/// follows it.
fn geometry_text(raw: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let mut opened = false;
    for (i, c) in raw.char_indices() {
        match c {
            '(' => {
                depth += 1;
                opened = true;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if opened && depth == 0 {
                    let end = i + c.len_utf8();
                    return (&raw[..end], raw[end..].trim());
                }
            }
            _ => {}
        }
    }
    (raw, "")
}

/// A polygon whose every vertex reads as (latitude, longitude) in North America, or whose
/// first coordinates are beyond ±90 only as latitudes could not be: written latitude first.
fn latitude_first(p: &Polygon) -> bool {
    let pts = || p.rings.iter().flatten();
    let mut any = false;
    let mut all_plausible_swapped = true;
    let mut out_of_range = false;
    for &(x, y) in pts() {
        any = true;
        out_of_range |= y.abs() > 90.0;
        all_plausible_swapped &= (5.0..=85.0).contains(&x) && (-180.0..=-50.0).contains(&y);
    }
    any && (all_plausible_swapped
        || (out_of_range && pts().all(|&(x, y)| x.abs() <= 90.0 && y.abs() <= 180.0)))
}

/// The polygon longitude first, and whether it had to be turned round.
fn longitude_first(p: Polygon) -> (Polygon, bool) {
    if latitude_first(&p) {
        (p.swapped(), true)
    } else {
        (p, false)
    }
}

/// The point as longitude and latitude, and whether it was swapped: by the ranges (a
/// "latitude" beyond ±90), by the ticket's own polygon (the swapped point lies at it, the given
/// one does not), or by the continent (a North American site with a positive longitude and a
/// negative latitude).
fn unswap(lon: f64, lat: f64, areas: &[Polygon], north_american: bool) -> (f64, f64, bool) {
    if lat.abs() > 90.0 && lon.abs() <= 90.0 {
        return (lat, lon, true);
    }
    if !areas.is_empty() {
        let near = |x: f64, y: f64| {
            areas.iter().any(|p| {
                let (cx, cy) = p.centroid();
                (cx - x).abs() < 0.5 && (cy - y).abs() < 0.5
            })
        };
        if !near(lon, lat) && near(lat, lon) {
            return (lat, lon, true);
        }
        return (lon, lat, false);
    }
    if north_american && lon > 0.0 && lat < 0.0 {
        return (lat, lon, true);
    }
    (lon, lat, false)
}

/// Reads a time as centers write it; the flag says whether it carried its zone. A date alone
/// is the start of that day, or its end when `whole_day` (a response due "on 4/1" may be made
/// all that day). `Ok(None)` for an empty text, `Err` for one that is not a time.
fn read_time(
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

/// What an Open Ticket document says beyond the ticket itself, as the center labels it: its
/// custom field groups, the members' response history and the attachments (names and links;
/// embedded files are only sized). For the operator's page; read again from the stored raw
/// payload, so nothing of it needs a column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CenterSays {
    /// `(group display name, [(field display name, value)])`, empty values left out.
    pub groups: Vec<(String, Vec<(String, String)>)>,
    pub responses: Vec<ResponseEntry>,
    pub attachments: Vec<Attachment>,
}

/// One member's response in the center's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseEntry {
    pub member: String,
    pub date: String,
    pub code: String,
    pub description: String,
    pub respondent: String,
    pub comment: String,
}

/// An attachment reference: a link, or an embedded file of this many base64 characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub mime_type: Option<String>,
    pub uri: Option<String>,
    pub embedded_chars: usize,
}

impl CenterSays {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.responses.is_empty() && self.attachments.is_empty()
    }
}

/// Reads [`CenterSays`] from a stored document; one that is not a document says nothing.
pub fn center_says(raw: &[u8]) -> CenterSays {
    let Ok(body) = std::str::from_utf8(raw) else {
        return CenterSays::default();
    };
    let body = without_trailing_commas(body.strip_prefix('\u{feff}').unwrap_or(body));
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(&body) else {
        return CenterSays::default();
    };
    let list = |names: &[&str]| -> Vec<&Map<String, Value>> {
        field(&doc, names)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    };
    let groups = list(&["customFieldGroups", "customFieldGroupList"])
        .into_iter()
        .filter_map(|g| {
            let label = text(g, &["displayName", "groupName"]).unwrap_or_default();
            let fields: Vec<(String, String)> = field(g, &["fields", "fieldList"])
                .and_then(Value::as_array)?
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|f| {
                    let name = text(f, &["displayName", "fieldName", "name"])?;
                    let value = field(f, &["value"]).and_then(text_of)?;
                    Some((name, value))
                })
                .collect();
            (!fields.is_empty()).then_some((label, fields))
        })
        .collect();
    let mut responses = Vec::new();
    for m in list(&["responseHistory"]) {
        let member = text(m, &["memberName", "memberId"]).unwrap_or_default();
        let entries = field(m, &["responseEntries", "responses"])
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect::<Vec<_>>())
            .unwrap_or_default();
        for e in entries {
            let t = |names: &[&str]| text(e, names).unwrap_or_default();
            responses.push(ResponseEntry {
                member: member.clone(),
                date: t(&["responseDate"]),
                code: t(&["responseCode"]),
                description: t(&["responseDescription"]),
                respondent: t(&["respondent"]),
                comment: t(&["comment"]),
            });
        }
    }
    let attachments = list(&["attachments", "attachmentList"])
        .into_iter()
        .map(|a| Attachment {
            name: text(a, &["name"]).unwrap_or_else(|| "(unnamed)".into()),
            mime_type: text(a, &["mimeType"]),
            uri: text(a, &["uri", "url"]),
            embedded_chars: field(a, &["value"])
                .and_then(Value::as_str)
                .map_or(0, str::len),
        })
        .collect();
    CenterSays {
        groups,
        responses,
        attachments,
    }
}

/// Writes a ticket as an Open Ticket document (format 1.0), for the load generator and tests:
/// what [`parse`] reads back for every field the format carries.
pub fn to_document(t: &Ticket, sequence: u64) -> Value {
    let time = |t: Option<DateTime<FixedOffset>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
    };
    let standard = match t.kind.unwrap_or(TicketType::Normal) {
        TicketType::Normal => "Normal",
        TicketType::Emergency => "Emergency",
        TicketType::ShortNotice => "Short Notice",
        TicketType::Update => "Update",
        TicketType::Remark => "Remark",
        TicketType::Cancel => "Cancel",
        TicketType::Design => "Design",
    };
    let l = &t.location;
    serde_json::json!({
        "header": {
            "formatVersion": "1.0",
            "ticketNumber": t.ticket_number,
            "ticketVersion": t.revision,
            "sequence": sequence,
            "source": "Web",
            "type": standard,
            "standardType": standard,
            "action": if t.kind == Some(TicketType::Cancel) { "Cancel" } else { "New" },
            "priority": if t.kind == Some(TicketType::Emergency) { "Emergency" } else { "Normal" },
            "isTest": t.is_test,
            "centerName": "AEGIS",
            "memberIds": t.members,
        },
        "workSite": {
            "countryCode": "US",
            "stateProvince": l.state,
            "county": l.county,
            "place": l.city,
            "fullAddress": l.address,
            "intersection": l.cross_street,
        },
        "geometry": {
            "srid": 4326,
            "longitude": l.longitude,
            "latitude": l.latitude,
            "workSiteArea": l.polygon_wkt.iter().collect::<Vec<_>>(),
            "bufferedArea": l.buffer_wkt.iter().collect::<Vec<_>>(),
        },
        "markingInformation": { "remarks": t.remarks },
        "timeline": {
            "createdOn": time(t.submitted_at),
            "legalOn": time(t.legal_start_at),
            "workOn": time(t.work_begin_at),
            "responseDue": time(t.response_due_at),
            "expiresOn": time(t.expires_at),
        },
        "project": {
            "workType": t.work.kind,
            "duration": t.work.duration_days.map(|d| format!("{d} days")),
            "workDoneFor": t.work.done_for,
            "isDirectionalBoring": t.work.boring,
            "isExplosives": t.work.explosives,
        },
        "excavator": {
            "name": t.excavator.company,
            "excavatorType": t.excavator.kind.map(|k| k.as_str()),
            "contactList": [{
                "contactType": "Caller",
                "name": t.excavator.name,
                "phone": t.excavator.phone,
                "email": t.excavator.email,
            }],
        },
        "customFieldGroupList": [],
        "attachmentList": [],
    })
}

#[cfg(test)]
#[path = "openticket_tests.rs"]
mod tests;
