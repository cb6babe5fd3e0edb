//! USA North 811 OneCallAccess deliveries (contract §1b): a JSON envelope whose
//! `message.XMLBase64` holds the ticket as XML (`onecall/onecall.xsd`).
//!
//! Real deliveries differ from the schema, so the XML is read leniently: namespaces are
//! ignored, empty and `xsi:nil` elements are absent, `BoringRequired`/`BlastingRequired` stand
//! in for `Boring`/`Explosives`, a UTF-8 byte-order mark is skipped, and depths and durations
//! are read from text. The GML and GIF attachments stay in the raw payload, uninterpreted.

use std::collections::HashMap;

use aegis_workflows::Problem;
use aegis_workflows::ticket::{
    ExcavationMethod, Excavator, ExcavatorType, IdentityError, Location, Ticket, TicketType, Work,
    check_ticket_number,
};
use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;
use serde_json::Value;

use super::lenient_json::flag_word as flag;
use super::text;
use super::{ParseError, Parsed};

/// Elements nested deeper than this are not a ticket.
const MAX_DEPTH: usize = 32;

/// Parses a OneCallAccess webhook body.
pub fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
    let env: Value = serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Value::Object(env) = env else {
        return Err(ParseError::NotAnObject);
    };
    let delivery_id = match env.get("webhookNotificationId") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let message = env
        .get("message")
        .and_then(Value::as_object)
        .ok_or_else(|| ParseError::Envelope("message is missing".into()))?;
    let xml_b64 = message
        .get("XMLBase64")
        .and_then(Value::as_str)
        .ok_or_else(|| ParseError::Envelope("message.XMLBase64 is missing".into()))?;
    let compact: String = xml_b64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let xml = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| ParseError::Envelope(format!("message.XMLBase64 is not base64: {e}")))?;
    let fallback_number = message.get("ticketNumber").and_then(Value::as_str);
    let ticket = parse_xml(&xml, fallback_number)?;
    // Gaps are a check beside the ticket: a delivery without a usable number is still a ticket.
    let station = message
        .get("stationCode")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 64);
    let number = match message.get("sequenceNumber") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(Parsed {
        ticket,
        delivery_id,
        sequence: station.zip(number).map(|(s, n)| (s.to_owned(), n)),
    })
}

/// The leaf values of the XML, keyed by `Section/Element` (local names), plus the station list.
#[derive(Debug, Default)]
struct Fields {
    values: HashMap<String, String>,
    stations: Vec<String>,
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_owned(),
        None => name.into_owned(),
    }
}

fn read_fields(xml: &[u8]) -> Result<Fields, ParseError> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml).map_err(|_| ParseError::BadXml("not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    // Text is trimmed per element, not per event: entities split text into several events.
    let mut path: Vec<String> = Vec::new();
    let mut fields = Fields::default();
    let mut current = String::new();
    let mut saw_root = false;
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Start(e)) => {
                if path.len() >= MAX_DEPTH {
                    return Err(ParseError::BadXml("elements nest too deep".into()));
                }
                saw_root = true;
                path.push(local(e.name().as_ref()));
                current.clear();
            }
            Ok(XmlEvent::Empty(_)) => saw_root = true,
            Ok(XmlEvent::Text(t)) => {
                let s = t.decode().map_err(|e| ParseError::BadXml(e.to_string()))?;
                current.push_str(&s);
            }
            Ok(XmlEvent::GeneralRef(r)) => {
                let name = r.decode().map_err(|e| ParseError::BadXml(e.to_string()))?;
                let resolved = match name.as_ref() {
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "amp" => "&".to_owned(),
                    "apos" => "'".to_owned(),
                    "quot" => "\"".to_owned(),
                    other => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(ParseError::BadXml(format!("unknown entity &{other};"))),
                    },
                };
                current.push_str(&resolved);
            }
            Ok(XmlEvent::CData(c)) => {
                current.push_str(&String::from_utf8_lossy(&c.into_inner()));
            }
            Ok(XmlEvent::End(_)) => {
                let value = current.trim().to_owned();
                current.clear();
                if let Some(name) = path.last() {
                    let parent = path.len().checked_sub(2).map(|i| path[i].as_str());
                    if !value.is_empty() {
                        if name == "StationCode" && parent == Some("StationList") {
                            fields.stations.push(value);
                        } else if let Some(parent) = parent {
                            fields.values.insert(format!("{parent}/{name}"), value);
                        }
                    }
                }
                path.pop();
            }
            Ok(XmlEvent::Eof) => break,
            Ok(XmlEvent::DocType(_)) => {
                return Err(ParseError::BadXml(
                    "document type declarations are not accepted".into(),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(ParseError::BadXml(e.to_string())),
        }
    }
    if !path.is_empty() {
        return Err(ParseError::BadXml(
            "the document ends inside an element".into(),
        ));
    }
    if !saw_root {
        return Err(ParseError::BadXml("the document has no elements".into()));
    }
    Ok(fields)
}

/// Turns the XML into a ticket; `fallback_number` is the envelope's ticket number.
pub fn parse_xml(xml: &[u8], fallback_number: Option<&str>) -> Result<Ticket, ParseError> {
    let f = read_fields(xml)?;
    let mut r = XmlTicket {
        f: &f,
        problems: Vec::new(),
    };
    let (number, revision) = r.identity(fallback_number)?;
    let submitted_at = r.time("SubmittedDate", "submitted_at");
    let work_begin_at = r.time("WorkBeginDate", "work_begin_at");
    let legal_start_at = r.time("LegalStartDate", "legal_start_at");
    let expires_at = r.time("TicketExpirationDate", "expires_at");
    let response_due_at = r.time("ResponseDueDate", "response_due_at");
    let source_type = r.get("ReferralDetails/TicketType").map(str::to_owned);
    let kind = r.kind(source_type.as_deref());
    let work = r.work();
    let excavator = r.excavator();
    let location = r.location();
    Ok(Ticket {
        ticket_number: number,
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
        members: f.stations.clone(),
        remarks: r.get("LocationDetails/ExcavatorRemarks").map(str::to_owned),
        is_test: false,
        parse_problems: r.problems,
    })
}

/// Reads the ticket's fields out of the XML's elements, noting what does not fit.
struct XmlTicket<'a> {
    f: &'a Fields,
    problems: Vec<Problem>,
}

impl<'a> XmlTicket<'a> {
    fn get(&self, k: &str) -> Option<&'a str> {
        self.f.values.get(k).map(String::as_str)
    }

    fn text(&self, k: &str) -> Option<String> {
        self.get(k).map(str::to_owned)
    }

    /// The ticket number (else the envelope's) and its revision.
    fn identity(&self, fallback_number: Option<&str>) -> Result<(String, u32), ParseError> {
        let number = self
            .get("ReferralDetails/TicketNumber")
            .or(fallback_number)
            .ok_or(IdentityError::MissingNumber)?
            .to_owned();
        check_ticket_number(&number)?;
        let revision = match self.get("ReferralDetails/TicketRevisionNumber") {
            None => return Err(IdentityError::MissingRevision.into()),
            Some(s) => s
                .trim()
                .parse::<u32>()
                .map_err(|_| IdentityError::BadRevision)?,
        };
        Ok((number, revision))
    }

    fn time(&mut self, key: &str, field: &str) -> Option<DateTime<FixedOffset>> {
        let s = self.get(&format!("ReferralDetails/{key}"))?;
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t),
            Err(_) => {
                self.problems.push(Problem::new(
                    field,
                    "invalid_format",
                    format!("{key} '{s}' is not a time with a UTC offset"),
                ));
                None
            }
        }
    }

    /// An emergency by its flag, a cancellation by its status, else the center's type.
    fn kind(&self, source_type: Option<&str>) -> TicketType {
        let emergency = self.get("ReferralDetails/IsEmergency").and_then(flag) == Some(true);
        let status = self.get("ReferralDetails/TicketStatus").unwrap_or("");
        if emergency {
            TicketType::Emergency
        } else if status.to_ascii_lowercase().contains("cancel") {
            TicketType::Cancel
        } else {
            source_type.map_or(TicketType::Normal, ticket_type)
        }
    }

    fn work(&self) -> Work {
        let r = |k: &str| self.get(&format!("ReferralDetails/{k}"));
        let depth_text = r("AnticipatedDepth").map(str::to_owned);
        Work {
            kind: r("WorkType").map(str::to_owned),
            activity: r("WorkActivity").map(str::to_owned),
            method: r("ExcavationMethod").map(method),
            depth_inches: depth_text.as_deref().and_then(text::depth_inches),
            depth_text,
            boring: r("Boring").or(r("BoringRequired")).and_then(flag),
            explosives: r("Explosives").or(r("BlastingRequired")).and_then(flag),
            vacuum: r("VacuumExcavation").and_then(flag),
            pavement_only: r("PavementOnly").and_then(flag),
            duration_days: r("WorkDuration").and_then(text::duration_days),
            done_for: r("ProjectOwner").map(str::to_owned),
        }
    }

    fn excavator(&self) -> Excavator {
        Excavator {
            name: self.text("CustomerDetails/Name"),
            company: self.text("CustomerDetails/Company"),
            kind: self.get("CustomerDetails/UserType").map(excavator_type),
            id: self.text("CustomerDetails/ExcavatorID"),
            phone: self
                .get("CustomerDetails/Phone")
                .or(self.get("CustomerDetails/Mobile"))
                .map(str::to_owned),
            email: self.text("CustomerDetails/Email"),
        }
    }

    fn coordinate(&mut self, key: &str, field: &str) -> Option<f64> {
        let s = self.get(&format!("LocationDetails/{key}"))?;
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.problems.push(Problem::new(
                    field,
                    "invalid_format",
                    format!("{key} '{s}' is not a number"),
                ));
                None
            }
        }
    }

    fn location(&mut self) -> Location {
        let latitude = self.coordinate("Latitude", "location.latitude");
        let longitude = self.coordinate("Longitude", "location.longitude");
        Location {
            state: self
                .get("LocationDetails/State")
                .map(|s| s.trim().to_ascii_uppercase()),
            county: self.text("LocationDetails/County"),
            city: self.text("LocationDetails/CityTownPlace"),
            address: self.text("LocationDetails/AddressLocation"),
            cross_street: self.text("LocationDetails/NearbyCrossStreet"),
            latitude,
            longitude,
            polygon_wkt: self.text("LocationDetails/WKT"),
            buffer_wkt: None,
        }
    }
}

fn ticket_type(s: &str) -> TicketType {
    let l = s.to_ascii_lowercase();
    if l.contains("emergency") {
        TicketType::Emergency
    } else if l.contains("short") || l.contains("rush") {
        TicketType::ShortNotice
    } else if l.contains("cancel") {
        TicketType::Cancel
    } else if l.contains("no response") || l.contains("noresponse") || l.contains("2nd notice") {
        TicketType::NoResponse
    } else if l.contains("remark") || l.contains("re-mark") {
        TicketType::Remark
    } else if l.contains("update") || l.contains("amend") || l.contains("renew") {
        TicketType::Update
    } else if l.contains("design") {
        TicketType::Design
    } else {
        // Normal, New, Original, and the other follow-up notices (damage, ...): the center's
        // own word is kept in `source_type`.
        TicketType::Normal
    }
}

pub(super) fn method(s: &str) -> ExcavationMethod {
    let l = s.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| l.contains(x));
    if has(&["hand", "shovel"]) {
        ExcavationMethod::Hand
    } else if has(&["vacuum", "hydro", "vac "]) {
        ExcavationMethod::Vacuum
    } else if has(&["directional", "hdd", "horizontal"]) {
        ExcavationMethod::DirectionalDrilling
    } else if has(&["bore", "boring"]) {
        ExcavationMethod::Boring
    } else if has(&["blast", "explos"]) {
        ExcavationMethod::Blasting
    } else if has(&["trench"]) {
        ExcavationMethod::Trencher
    } else if has(&["auger", "post hole", "posthole", "drill"]) {
        ExcavationMethod::Auger
    } else if has(&[
        "backhoe",
        "excavator",
        "trackhoe",
        "track hoe",
        "mini-ex",
        "machine",
    ]) {
        ExcavationMethod::Backhoe
    } else {
        ExcavationMethod::Other
    }
}

pub(super) fn excavator_type(s: &str) -> ExcavatorType {
    let l = s.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| l.contains(x));
    if has(&["contract"]) {
        ExcavatorType::Contractor
    } else if has(&["home", "owner", "resident", "tenant"]) {
        ExcavatorType::Homeowner
    } else if has(&["munic", "city", "county", "government", "public works"]) {
        ExcavatorType::Municipality
    } else if has(&["util"]) {
        ExcavatorType::Utility
    } else if has(&["rail"]) {
        ExcavatorType::Railroad
    } else {
        ExcavatorType::Other
    }
}

/// Builds a OneCallAccess envelope around an XML ticket (for the load generator and tests).
pub fn envelope(xml: &str, notification_id: &str, ticket_number: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "webhookNotificationId": notification_id,
        "messageVersion": "1.0.10",
        "message": {
            "utilityId": 21666,
            "utilityName": "Aegis member",
            "stationCode": "AEGIS",
            "ticketNumber": ticket_number,
            "sequenceNumber": 1,
            "requestDate": chrono::Utc::now().to_rfc3339(),
            "XMLBase64": b64,
            "GMLBase64": "",
            "GIFBase64": ""
        }
    })
    .to_string()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A tiny XML writer for [`to_xml`].
struct Xml(String);

impl Xml {
    fn open(&mut self, name: &str) {
        self.0.push_str(&format!("<onecall:{name}>\n"));
    }

    fn close(&mut self, name: &str) {
        self.0.push_str(&format!("</onecall:{name}>\n"));
    }

    fn el(&mut self, name: &str, v: Option<String>) {
        match v {
            Some(v) => self.0.push_str(&format!(
                "<onecall:{name}>{}</onecall:{name}>\n",
                xml_escape(&v)
            )),
            None => self
                .0
                .push_str(&format!("<onecall:{name} xsi:nil=\"true\" />\n")),
        }
    }
}

fn title_case(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a ticket as OneCallAccess XML (for the load generator and tests): the inverse of
/// [`parse_xml`] for every field it reads.
pub fn to_xml(t: &Ticket) -> String {
    let time = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.to_rfc3339());
    let b = |v: Option<bool>| v.map(|v| v.to_string());
    let mut x = Xml(String::with_capacity(2048));
    x.0.push_str("\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<onecall:OneCallReferral xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:onecall=\"http://www.pelicancorp.com/onecall\">\n");
    x.open("ReferralDetails");
    x.el("TicketNumber", Some(t.ticket_number.clone()));
    x.el("TicketRevisionNumber", Some(format!("{:03}", t.revision)));
    x.el("SubmittedDate", time(t.submitted_at));
    x.el("WorkBeginDate", time(t.work_begin_at));
    x.el("LegalStartDate", time(t.legal_start_at));
    x.el("TicketExpirationDate", time(t.expires_at));
    x.el(
        "WorkDuration",
        t.work.duration_days.map(|d| format!("{d} days")),
    );
    x.el(
        "IsEmergency",
        Some((t.kind == Some(TicketType::Emergency)).to_string()),
    );
    x.el("TicketType", t.kind.map(|k| title_case(k.as_str())));
    x.el("WorkType", t.work.kind.clone());
    x.el("WorkActivity", t.work.activity.clone());
    x.el(
        "ExcavationMethod",
        t.work.method.map(|m| title_case(m.as_str())),
    );
    x.el("VacuumExcavation", b(t.work.vacuum));
    x.el(
        "AnticipatedDepth",
        t.work.depth_inches.map(|d| format!("{d} inches")),
    );
    x.el("ProjectOwner", t.work.done_for.clone());
    x.el("Boring", b(t.work.boring));
    x.el("PavementOnly", b(t.work.pavement_only));
    x.el("Explosives", b(t.work.explosives));
    x.open("StationList");
    for m in &t.members {
        x.el("StationCode", Some(m.clone()));
    }
    x.close("StationList");
    x.close("ReferralDetails");
    x.open("CustomerDetails");
    x.el("ExcavatorID", t.excavator.id.clone());
    x.el("Name", t.excavator.name.clone());
    x.el("Company", t.excavator.company.clone());
    x.el("UserType", t.excavator.kind.map(|k| title_case(k.as_str())));
    x.el("Phone", t.excavator.phone.clone());
    x.el("Email", t.excavator.email.clone());
    x.close("CustomerDetails");
    x.open("LocationDetails");
    x.el("AddressLocation", t.location.address.clone());
    x.el("CityTownPlace", t.location.city.clone());
    x.el("County", t.location.county.clone());
    x.el("State", t.location.state.clone());
    x.el("NearbyCrossStreet", t.location.cross_street.clone());
    x.el("Latitude", t.location.latitude.map(|v| v.to_string()));
    x.el("Longitude", t.location.longitude.map(|v| v.to_string()));
    x.el("WKT", t.location.polygon_wkt.clone());
    x.el("ExcavatorRemarks", t.remarks.clone());
    x.close("LocationDetails");
    x.0.push_str("</onecall:OneCallReferral>\n");
    x.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_workflows::validation::problems;

    const CA: &str = include_str!("../../tests/fixtures/CA.xml");

    #[test]
    fn the_real_usa_north_ticket_is_read() {
        assert!(
            CA.as_bytes().starts_with(b"\xEF\xBB\xBF"),
            "the sample keeps its BOM"
        );
        let body = envelope(CA, "n-1", "2022091500019");
        let p = parse(body.as_bytes()).unwrap();
        let t = p.ticket;
        assert_eq!(p.delivery_id.as_deref(), Some("n-1"));
        assert_eq!(t.ticket_number, "2022091500019");
        assert_eq!(t.revision, 0);
        assert_eq!(t.kind, Some(TicketType::Normal));
        assert_eq!(t.work.method, Some(ExcavationMethod::Hand));
        assert_eq!(t.work.depth_inches, Some(12.0));
        assert_eq!(t.work.depth_text.as_deref(), Some("<12 inches"));
        assert_eq!(t.work.boring, Some(false));
        assert_eq!(t.work.duration_days, Some(1.0));
        assert_eq!(t.excavator.name.as_deref(), Some("Caleb Woods"));
        assert_eq!(t.excavator.company, None, "empty <Company /> is absent");
        assert_eq!(t.excavator.kind, Some(ExcavatorType::Municipality));
        assert_eq!(t.location.state.as_deref(), Some("CA"));
        assert_eq!(t.location.latitude, Some(38.096242));
        assert!(
            t.location
                .polygon_wkt
                .as_deref()
                .unwrap()
                .starts_with("POLYGON((")
        );
        assert_eq!(t.members, vec!["CNSA", "PACBEL", "NICKTEST"]);
        assert_eq!(t.remarks.as_deref(), Some("Front of Property"));
        assert_eq!(problems(&t), vec![]);
    }

    #[test]
    fn renamed_nil_and_odd_elements_are_tolerated() {
        let xml = r#"<?xml version="1.0"?>
<onecall:OneCallReferral xmlns:onecall="x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <onecall:ReferralDetails>
  <onecall:TicketNumber>T-9</onecall:TicketNumber>
  <onecall:TicketRevisionNumber>002</onecall:TicketRevisionNumber>
  <onecall:SubmittedDate>2026-11-22T01:00:00-08:00</onecall:SubmittedDate>
  <onecall:LegalStartDate>2026-11-22T01:00:00-08:00</onecall:LegalStartDate>
  <onecall:IsEmergency>true</onecall:IsEmergency>
  <onecall:BoringRequired>Y</onecall:BoringRequired>
  <onecall:BlastingRequired>false</onecall:BlastingRequired>
  <onecall:ExcavationMethod>HDD / Directional bore</onecall:ExcavationMethod>
  <onecall:AnticipatedDepth>48 to 84 inches</onecall:AnticipatedDepth>
  <onecall:WorkType xsi:nil="true" />
  <onecall:Permit></onecall:Permit>
 </onecall:ReferralDetails>
 <onecall:CustomerDetails><onecall:Name>Crew &amp; Co</onecall:Name></onecall:CustomerDetails>
 <onecall:LocationDetails><onecall:Latitude>38.1</onecall:Latitude><onecall:Longitude>-122.2</onecall:Longitude></onecall:LocationDetails>
</onecall:OneCallReferral>"#;
        let t = parse_xml(xml.as_bytes(), None).unwrap();
        assert_eq!(t.revision, 2);
        assert_eq!(t.kind, Some(TicketType::Emergency));
        assert_eq!(t.work.boring, Some(true));
        assert_eq!(t.work.explosives, Some(false));
        assert_eq!(t.work.method, Some(ExcavationMethod::DirectionalDrilling));
        assert_eq!(t.work.depth_inches, Some(84.0));
        assert_eq!(t.work.kind, None);
        assert_eq!(t.excavator.name.as_deref(), Some("Crew & Co"));
        // It names no station: odd, and only a warning.
        let fields: Vec<String> = problems(&t).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["members"]);
    }

    #[test]
    fn broken_deliveries_are_errors() {
        let truncated = &CA[..CA.len() / 2];
        let bad = [
            envelope(truncated, "n", "1"),
            envelope("", "n", "1"),
            envelope("<a><b></a>", "n", "1"),
            envelope("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>", "n", "1"),
            r#"{"message":{"XMLBase64":"%%%"}}"#.to_owned(),
            r#"{"message":{}}"#.to_owned(),
            r#"{"nothing":1}"#.to_owned(),
            "not json".to_owned(),
        ];
        for b in &bad {
            assert!(parse(b.as_bytes()).is_err(), "accepted {b}");
        }
        let no_number = envelope(
            "<r><ReferralDetails><TicketRevisionNumber>0</TicketRevisionNumber></ReferralDetails></r>",
            "n",
            "",
        );
        assert!(matches!(
            parse(no_number.as_bytes()),
            Err(ParseError::Unidentified(
                IdentityError::BadNumber | IdentityError::MissingNumber
            ))
        ));
    }

    #[test]
    fn generated_tickets_survive_a_round_trip_through_xml() {
        use crate::risk::generate::{Generator, GeneratorConfig};
        for g in Generator::new(&GeneratorConfig::default()).take(300) {
            let mut t = g.ticket;
            let back = parse_xml(to_xml(&t).as_bytes(), None).unwrap();
            // Text fields the XML carries as text come back as text.
            t.work.depth_text = t.work.depth_inches.map(|d| format!("{d} inches"));
            t.source_type = back.source_type.clone();
            assert_eq!(back, t);
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let xml = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(matches!(
            parse_xml(xml.as_bytes(), None),
            Err(ParseError::BadXml(_))
        ));
    }

    mod fuzz {
        use super::super::{envelope, parse, parse_xml};
        use proptest::prelude::*;

        const CA: &str = include_str!("../../tests/fixtures/CA.xml");

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1_000))]

            #[test]
            fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
                let _ = parse(&body);
                let _ = parse_xml(&body, None);
            }

            /// The real ticket cut anywhere, or with a byte changed, never panics.
            #[test]
            fn damaged_real_tickets_never_panic(cut in 0usize..7000, pos in 0usize..7000, byte in any::<u8>()) {
                let mut xml = CA.as_bytes().to_vec();
                let p = pos % xml.len();
                xml[p] = byte;
                xml.truncate(cut % (xml.len() + 1));
                let _ = parse_xml(&xml, None);
                let text = String::from_utf8_lossy(&xml);
                let _ = parse(envelope(&text, "n", "1").as_bytes());
            }
        }
    }
}
