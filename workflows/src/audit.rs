//! The tamper-evident audit trail: each event carries the hash of the previous event of its
//! workflow, so changing, removing or reordering any event breaks every later hash.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Times are kept as whole microseconds since the Unix epoch, in the database and in event
/// hashes alike: the one rule the stored trail and its verification share.
pub fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The time stored as `micros`; `None` for a number no time can have (a corrupt row).
pub fn from_micros(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}

/// `at` truncated to stored precision, so a hash computed now matches the one verified later.
pub fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    // The microseconds of a real time always make a time again; `at` is only a formality.
    from_micros(to_micros(at)).unwrap_or(at)
}

/// `prev_hash` of a workflow's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hashed content of one event.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub workflow_id: &'a str,
    pub seq: i64,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub event: &'a str,
    pub principal: &'a str,
    pub payload: &'a str,
    /// Microseconds since the Unix epoch ([`to_micros`]).
    pub at_micros: i64,
}

/// Hash of an event given its predecessor's hash. Fields are length-prefixed so that no two
/// different events encode to the same bytes.
pub fn link_hash(prev_hash: &str, link: &Link<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    put(prev_hash.as_bytes());
    put(link.workflow_id.as_bytes());
    put(&link.seq.to_be_bytes());
    put(link.from_state.unwrap_or("").as_bytes());
    put(link.to_state.as_bytes());
    put(link.event.as_bytes());
    put(link.principal.as_bytes());
    put(link.payload.as_bytes());
    put(&link.at_micros.to_be_bytes());
    hex::encode(h.finalize())
}

/// Result of checking one workflow's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub valid: bool,
    /// Sequence number of the first event that does not fit, if any.
    pub broken_at: Option<i64>,
}

/// Verifies events given in sequence order as (link, stored prev_hash, stored hash).
pub fn verify<'a>(events: impl IntoIterator<Item = (Link<'a>, &'a str, &'a str)>) -> ChainCheck {
    let mut expected_prev = GENESIS.to_owned();
    for (expected_seq, (link, prev, hash)) in (1..).zip(events) {
        if link.seq != expected_seq || prev != expected_prev || link_hash(prev, &link) != hash {
            return ChainCheck {
                valid: false,
                broken_at: Some(link.seq),
            };
        }
        expected_prev = hash.to_owned();
    }
    ChainCheck {
        valid: true,
        broken_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(String, String, String)> {
        // (payload, prev, hash)
        let mut out = Vec::new();
        let mut prev = GENESIS.to_owned();
        for seq in 1..=n {
            let payload = format!("{{\"n\":{seq}}}");
            let h = link_hash(&prev, &link(seq, &payload));
            out.push((payload, prev.clone(), h.clone()));
            prev = h;
        }
        out
    }

    fn link(seq: i64, payload: &str) -> Link<'_> {
        Link {
            workflow_id: "wf",
            seq,
            from_state: Some("a"),
            to_state: "b",
            event: "e",
            principal: "system",
            payload,
            at_micros: seq * 1000,
        }
    }

    fn check(c: &[(String, String, String)]) -> ChainCheck {
        verify(
            c.iter()
                .enumerate()
                .map(|(i, (p, prev, h))| (link(i as i64 + 1, p), prev.as_str(), h.as_str())),
        )
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert!(check(&chain(5)).valid);
        assert!(check(&[]).valid);
    }

    #[test]
    fn editing_an_event_breaks_the_chain_there() {
        let mut c = chain(5);
        c[2].0 = "{\"n\":99}".into();
        assert_eq!(
            check(&c),
            ChainCheck {
                valid: false,
                broken_at: Some(3)
            }
        );
    }

    #[test]
    fn removing_an_event_breaks_the_chain() {
        let mut c = chain(5);
        c.remove(1);
        assert!(!check(&c).valid);
    }

    #[test]
    fn field_boundaries_matter() {
        let a = Link {
            principal: "ab",
            payload: "c",
            ..link(1, "")
        };
        let b = Link {
            principal: "a",
            payload: "bc",
            ..link(1, "")
        };
        assert_ne!(link_hash(GENESIS, &a), link_hash(GENESIS, &b));
    }
}
