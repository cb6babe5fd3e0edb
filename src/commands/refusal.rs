//! A use case's refusal as the command line prints it: the same typed refusal the API answers
//! — its status, code and message — and every problem it lists, one per line.

use anyhow::anyhow;

use crate::app::UseCaseError;
use crate::web::status::status_of;

pub fn refused(e: &impl UseCaseError) -> anyhow::Error {
    let r = e.refusal();
    let mut lines = vec![format!(
        "refused ({} {}): {}",
        status_of(r.kind).as_u16(),
        r.code,
        r.message
    )];
    if let Some(details) = &r.details {
        for p in details["problems"].as_array().into_iter().flatten() {
            let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            lines.push(format!("  {}: {}", text("field"), text("message")));
        }
        if let Some(unknown) = details["unknown_users"].as_array() {
            let names: Vec<&str> = unknown.iter().filter_map(|u| u.as_str()).collect();
            lines.push(format!("  unknown users: {}", names.join(", ")));
        }
        if details["truncated"].as_bool() == Some(true) {
            lines.push("  … and more".to_owned());
        }
    }
    anyhow!("{}", lines.join("\n"))
}
