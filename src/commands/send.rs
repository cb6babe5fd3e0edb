//! `aegis send FILE`: signs one ticket as its center would and posts it.

use anyhow::Context as _;

use crate::cli::{FormatArg, SendArgs};
use crate::formats::onecall;
use crate::formats::signature::{sign_native, sign_onecall};

/// `configured`: where the configuration says Aegis listens, used when `--url` is not given.
pub fn run(args: &SendArgs, configured: anyhow::Result<String>) -> anyhow::Result<()> {
    let content =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let base = match &args.url {
        Some(url) => url.clone(),
        None => configured?,
    };
    let base = base.trim_end_matches('/');
    let client = reqwest::blocking::Client::new();
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let response = match args.format {
        FormatArg::Native => {
            let ts = chrono::Utc::now().timestamp();
            client
                .post(format!("{base}/v1/webhooks/{}", args.center))
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    sign_native(&args.secret, &id, ts, &content),
                )
                .body(content)
                .send()
        }
        FormatArg::Onecall => {
            let xml = String::from_utf8(content).context("the XML is not UTF-8")?;
            let body = onecall::envelope(&xml, &id, "");
            client
                .post(format!("{base}/v1/webhooks/{}/onecall", args.center))
                .header("content-type", "application/json")
                .header(
                    "x-onecall-webhook-signature",
                    sign_onecall(&args.secret, body.as_bytes()),
                )
                .body(body)
                .send()
        }
        FormatArg::Openticket => client
            .post(format!("{base}/v1/webhooks/{}/openticket", args.center))
            .header("content-type", "application/json")
            .bearer_auth(&args.secret)
            .body(content)
            .send(),
    }
    .context("posting the ticket")?;
    let status = response.status();
    let text = response.text().unwrap_or_default();
    println!("{} {}", status.as_u16(), text);
    if status.is_success() {
        Ok(())
    } else {
        anyhow::bail!("Aegis answered {status}")
    }
}
