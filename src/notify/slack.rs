//! Slack incoming webhooks (contract §7): `{"text"}` with the facts and the link. The URL is
//! the secret, so no error names it.

use serde_json::json;

use super::http_post::post_json;
use super::notice::Notice;
use aegis_actors::records::SendResult;

pub async fn send(client: &reqwest::Client, url: &str, n: &Notice) -> SendResult {
    post_json(client, url, &json!({"text": n.slack_text()})).await
}
