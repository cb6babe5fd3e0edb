//! Acknowledgement links (contract §7): `{public_url}/v1/ack/{token}`, where the token names one
//! delivery (so one user, one channel, one alert change) and carries an HMAC of it under a key
//! every node shares. Nothing secret is stored per link: a forged token fails the HMAC, and
//! whether a link is used or expired is read from its delivery.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const MAC_BYTES: usize = 16;

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(••••)")
    }
}

impl LinkSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, id: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length (long ones are hashed), so this error cannot happen.
        #[allow(clippy::expect_used)]
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        m.update(b"aegis-ack-link:");
        m.update(id);
        m.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    /// The token of a delivery, or `None` when its id is not a UUID (ids are made by Aegis, so
    /// that means a row edited by hand).
    pub fn token(&self, delivery_id: &str) -> Option<String> {
        let id = uuid::Uuid::parse_str(delivery_id).ok()?;
        let mut raw = id.as_bytes().to_vec();
        raw.extend(self.mac(id.as_bytes()));
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }

    /// The delivery a token names, when the token is genuine.
    pub fn verify(&self, token: &str) -> Option<String> {
        if token.len() > 64 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        if raw.len() != 16 + MAC_BYTES {
            return None;
        }
        let (id, mac) = raw.split_at(16);
        let want = self.mac(id);
        // Constant time: a forger learns nothing from how long the refusal took.
        if subtle::ConstantTimeEq::ct_eq(mac, want.as_slice()).into() {
            uuid::Uuid::from_slice(id).ok().map(|u| u.to_string())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_delivery_and_nothing_else() {
        let s = LinkSigner::new(b"k1".to_vec());
        let id = uuid::Uuid::now_v7().to_string();
        let t = s.token(&id).unwrap();
        assert_eq!(s.verify(&t), Some(id.clone()));
        assert_eq!(LinkSigner::new(b"k2".to_vec()).verify(&t), None);
        let mut forged = t.into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify(&String::from_utf8(forged).unwrap()), None);
        assert_eq!(s.verify("not-a-token"), None);
        assert_eq!(s.verify(&"A".repeat(500)), None);
        assert_eq!(s.token("not-a-uuid"), None);
    }
}
