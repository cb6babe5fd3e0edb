//! What the center said beyond the ticket, for the operator's page: its custom field groups,
//! the members' response history and the attachments, read again from the stored payload.

use serde_json::{Map, Value};

use crate::formats::lenient_json::{field, text, text_of, without_trailing_commas};

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
