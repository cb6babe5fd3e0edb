//! Writing a ticket as an Open Ticket document, for the load generator and the tests.

use aegis_workflows::ticket::{Ticket, TicketType};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

/// Writes a ticket as an Open Ticket document (format 1.0), for the load generator and tests:
/// what [`super::parse`] reads back for every field the format carries.
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
        TicketType::NoResponse => "No Response",
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
