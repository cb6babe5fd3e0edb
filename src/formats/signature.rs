//! Webhook signatures, checked in constant time.
//!
//! - Standard Webhooks (native JSON): `v1,` + base64(HMAC-SHA256(key, "{id}.{ts}.{body}")),
//!   key = base64 after `whsec_`; the header may carry several signatures; the timestamp must
//!   be within the tolerance of now.
//! - OneCallAccess: `sha256=` + base64(HMAC-SHA256(secret's ASCII bytes, body)), no timestamp.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("no signature matches")]
    Invalid,
    #[error("the timestamp is more than {0} seconds from now")]
    OutOfTolerance(i64),
}

/// The HMAC key of a native center secret. Secrets are checked when added (`check_secret`), so
/// a stored one decodes; one that does not (edited by hand) is used as text, a key no sender
/// has, so every signature fails: refused, never accepted.
fn native_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|_| secret.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this error cannot happen.
    #[allow(clippy::expect_used)]
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Signs like a Standard Webhooks sender (for the load generator, `aegis send` and tests).
pub fn sign_native(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(&native_key(secret));
    m.update(format!("{id}.{timestamp}.").as_bytes());
    m.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    )
}

/// Signs like OneCallAccess.
pub fn sign_onecall(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret.as_bytes());
    m.update(body);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    )
}

/// The headers of a Standard Webhooks delivery.
#[derive(Debug, Clone, Copy)]
pub struct NativeHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies a native delivery against every secret of its center.
pub fn verify_native(
    secrets: &[String],
    h: NativeHeaders<'_>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let id = h.id.ok_or(SignatureError::Missing("webhook-id"))?;
    let ts = h
        .timestamp
        .ok_or(SignatureError::Missing("webhook-timestamp"))?;
    let header = h
        .signature
        .ok_or(SignatureError::Missing("webhook-signature"))?;
    let ts: i64 = ts.trim().parse().map_err(|_| SignatureError::Invalid)?;
    // `i64::MIN` or `MAX` from a hostile sender must not overflow the difference.
    if now.abs_diff(ts) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::OutOfTolerance(tolerance_secs));
    }
    let candidates: Vec<Vec<u8>> = header
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .collect();
    if candidates.is_empty() {
        return Err(SignatureError::Invalid);
    }
    let prefix = format!("{id}.{ts}.");
    for secret in secrets {
        let mut m = mac(&native_key(secret));
        m.update(prefix.as_bytes());
        m.update(body);
        for c in &candidates {
            // `verify_slice` compares in constant time.
            if m.clone().verify_slice(c).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Invalid)
}

/// Verifies an `Authorization: Bearer <secret>` header against every secret of its center,
/// each compared in constant time.
pub fn verify_bearer(secrets: &[String], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing("Authorization"))?;
    let token = header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or(SignatureError::Invalid)?;
    let mut ok = subtle::Choice::from(0);
    // Every secret is compared, so the time taken does not say which one matched.
    for s in secrets {
        ok |= subtle::ConstantTimeEq::ct_eq(s.as_bytes(), token.as_bytes());
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// Verifies a OneCallAccess delivery against every secret of its center.
pub fn verify_onecall(
    secrets: &[String],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing("X-OneCall-Webhook-Signature"))?;
    let b64 = header.trim();
    let b64 = b64.strip_prefix("sha256=").unwrap_or(b64);
    let given = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| SignatureError::Invalid)?;
    for secret in secrets {
        let mut m = mac(secret.as_bytes());
        m.update(body);
        if m.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_bearer_token_must_be_one_of_the_secrets() {
        let secrets = vec![
            "first-secret-0123456789ab".to_owned(),
            "second-secret-0123456789".to_owned(),
        ];
        assert_eq!(
            verify_bearer(&secrets, Some("Bearer second-secret-0123456789")),
            Ok(())
        );
        assert_eq!(
            verify_bearer(&secrets, Some("bearer  first-secret-0123456789ab ")),
            Ok(())
        );
        assert_eq!(
            verify_bearer(&secrets, Some("Bearer first-secret")),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_bearer(&secrets, Some("Basic Zmlyc3Q=")),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_bearer(&secrets, Some("first-secret-0123456789ab")),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_bearer(&secrets, None),
            Err(SignatureError::Missing("Authorization"))
        );
        assert_eq!(
            verify_bearer(&[], Some("Bearer x")),
            Err(SignatureError::Invalid)
        );
    }

    const SECRET: &str = "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=";
    const BODY: &[u8] = br#"{"ticket_number":"2026112200001","revision":0}"#;

    fn headers<'a>(sig: &'a str, ts: &'a str) -> NativeHeaders<'a> {
        NativeHeaders {
            id: Some("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn the_contract_test_vector_signs_and_verifies() {
        let sig = sign_native(
            SECRET,
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1_763_780_400,
            BODY,
        );
        assert_eq!(sig, "v1,h4yfVykWKr+I9m5NkZpPb/echmGHVh1ekblxijP4x4s=");
        let secrets = vec![SECRET.to_owned()];
        verify_native(
            &secrets,
            headers(&sig, "1763780400"),
            BODY,
            1_763_780_400,
            300,
        )
        .unwrap();
    }

    #[test]
    fn the_onecall_guide_vector_verifies() {
        let sig = sign_onecall("ThisIsMySecret", b"BodyMessage");
        assert_eq!(sig, "sha256=EXyLcM67FBwFXkyFu+qzy7UwEc5ytPCQK8UBFJJ/UsM=");
        let secrets = vec!["ThisIsMySecret".to_owned()];
        verify_onecall(&secrets, Some(&sig), b"BodyMessage").unwrap();
        assert_eq!(
            verify_onecall(&secrets, Some(&sig), b"BodyMessage!"),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_onecall(&secrets, None, b"x"),
            Err(SignatureError::Missing("X-OneCall-Webhook-Signature"))
        );
    }

    #[test]
    fn any_listed_signature_and_any_secret_will_do() {
        let sig = sign_native(
            SECRET,
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1_763_780_400,
            BODY,
        );
        let header = format!("v1,AAAA {sig} v2,zzz");
        let secrets = vec![
            "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZA==".to_owned(),
            SECRET.to_owned(),
        ];
        verify_native(
            &secrets,
            headers(&header, "1763780400"),
            BODY,
            1_763_780_400,
            300,
        )
        .unwrap();
    }

    #[test]
    fn stale_missing_and_wrong_signatures_are_told_apart() {
        let secrets = vec![SECRET.to_owned()];
        let sig = sign_native(
            SECRET,
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1_763_780_400,
            BODY,
        );
        assert_eq!(
            verify_native(
                &secrets,
                headers(&sig, "1763780400"),
                BODY,
                1_763_780_400 + 301,
                300
            ),
            Err(SignatureError::OutOfTolerance(300))
        );
        assert_eq!(
            verify_native(
                &secrets,
                headers(&sig, "1763780400"),
                b"{}",
                1_763_780_400,
                300
            ),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_native(&secrets, headers(&sig, "soon"), BODY, 1_763_780_400, 300),
            Err(SignatureError::Invalid)
        );
        for extreme in [i64::MIN, i64::MAX] {
            assert_eq!(
                verify_native(
                    &secrets,
                    headers(&sig, &extreme.to_string()),
                    BODY,
                    1_763_780_400,
                    300
                ),
                Err(SignatureError::OutOfTolerance(300))
            );
        }
        let none = NativeHeaders {
            id: Some("x"),
            timestamp: Some("1"),
            signature: None,
        };
        assert_eq!(
            verify_native(&secrets, none, BODY, 1, 300),
            Err(SignatureError::Missing("webhook-signature"))
        );
    }

    proptest! {
        /// Arbitrary headers and bodies never panic and never verify without the key.
        #[test]
        fn forged_deliveries_never_verify(id in ".{0,40}", ts in "[0-9]{0,12}", sig in ".{0,120}", body in prop::collection::vec(any::<u8>(), 0..256)) {
            let secrets = vec![SECRET.to_owned()];
            let h = NativeHeaders { id: Some(&id), timestamp: Some(&ts), signature: Some(&sig) };
            let now = ts.parse::<i64>().unwrap_or(0);
            prop_assert!(verify_native(&secrets, h, &body, now, 300).is_err());
            prop_assert!(verify_onecall(&secrets, Some(&sig), &body).is_err());
        }

        /// A genuine signature verifies, and flipping any body byte breaks it.
        #[test]
        fn genuine_signatures_verify_and_tampering_breaks_them(body in prop::collection::vec(any::<u8>(), 1..256), flip in any::<prop::sample::Index>()) {
            let secrets = vec![SECRET.to_owned()];
            let sig = sign_native(SECRET, "id", 1000, &body);
            let h = NativeHeaders { id: Some("id"), timestamp: Some("1000"), signature: Some(&sig) };
            prop_assert!(verify_native(&secrets, h, &body, 1000, 300).is_ok());
            let mut bad = body.clone();
            let i = flip.index(bad.len());
            bad[i] ^= 0x01;
            prop_assert!(verify_native(&secrets, h, &bad, 1000, 300).is_err());
        }
    }
}
