//! The patterns the OpenAPI document publishes for operators' bodies, enforced by the use cases
//! whichever door a request comes through (API, console, command line): what the document
//! calls invalid is refused, whatever the domain's own (looser) checks would let through, and
//! what it calls valid is what is accepted. Tests keep each equal to the document's.

use aegis_workflows::problem::Problem;

pub const EMAIL: &str = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){1,4}$";
/// A URL's host is a dotted quad or a name whose last label starts with a letter (WHATWG URL
/// parsing reads a last label of digits or `0x…` as an IPv4 address), and its port is at most
/// 65535: every URL the pattern admits parses. No user info, query or fragment.
pub const URL: &str = r"^https?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z][A-Za-z0-9-]{0,62})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]{0,512})?$";
pub const SECRET: &str = r"^whsec_[A-Za-z0-9+/]{24,88}={0,2}$";
pub const ROUTING_KEY: &str = r"^[A-Za-z0-9]{1,64}$";
pub const DAYS: &str = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?(,(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?){0,6}$";
pub const TIME: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
pub const USER: &str = r"^[A-Za-z0-9.@_-]{1,64}$";
pub const ROSTER: &str = r"^[A-Za-z0-9_-]{1,64}$";
/// A facility layer's name (`app::facilities::valid_layer_name`).
pub const LAYER: &str = r"^[a-z0-9][a-z0-9_-]{0,63}$";
/// `known=column`: an attribute Aegis knows and the file's column that holds it.
pub const ATTR: &str = r"^(id|material|diameter|pressure|voltage|install_year|owner|critical)=.*[^\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff].*$";
/// A value with at least one character that is not blank (`app::response_api::BLANK`): the
/// same set whichever regex engine reads it.
pub const NON_BLANK: &str = r"[^\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]";

/// A problem when `value` does not match `pattern`.
pub fn shape(field: &str, value: &str, pattern: &str) -> Option<Problem> {
    // The patterns are constants checked by a test; one that did not compile would refuse.
    let ok = regex::Regex::new(pattern).is_ok_and(|r| r.is_match(value));
    (!ok).then(|| {
        Problem::new(
            field,
            "invalid_format",
            format!("{field} does not match {pattern}"),
        )
    })
}
