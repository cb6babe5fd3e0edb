//! Pages of a list and the cursors between them.

use crate::app::views::page::Page;

/// A keyset position in a newest-first list: (time, id) of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

/// Cursors read `{at}.{id}`: plain, so that every string of that shape is one (the OpenAPI
/// document gives the pattern), and clients need not treat them as anything but opaque.
impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (at, id) = s.split_once('.')?;
        let well_formed = (1..=18).contains(&at.len())
            && at.bytes().all(|b| b.is_ascii_digit())
            && (1..=36).contains(&id.len())
            && id
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'));
        if !well_formed {
            return None;
        }
        Some(Self {
            at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

pub fn page<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> Cursor) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|i| key(i).encode())
    } else {
        None
    };
    Page { items, next_cursor }
}
