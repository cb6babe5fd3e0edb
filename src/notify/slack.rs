//! Slack incoming webhooks (contract §7): `{"text"}` in Slack's mrkdwn with the facts and the
//! link. Everything that came from a ticket is escaped as Slack asks (`&`, `<`, `>`), so a
//! ticket's remarks cannot mention `<!channel>` or forge a link. The URL is the secret, so no
//! error names it.

use aegis_actors::records::SendResult;
use serde_json::{Value, json};

use super::http_post::Poster;
use super::integration::Integration;
use super::message::Message;

#[derive(Debug, Clone)]
pub struct Slack {
    http: Poster,
}

impl Slack {
    pub fn new(http: Poster) -> Self {
        Self { http }
    }
}

/// Slack's control characters in message text, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The message as Slack's body: title, headline, the facts as bullets, the reasons, the link.
pub fn body(m: &Message) -> Value {
    let mut out = format!("*{}*\n{}\n", escape(&m.subject), escape(&m.headline));
    for (k, v) in &m.facts {
        out.push_str(&format!("• *{}:* {}\n", escape(k), escape(v)));
    }
    if !m.reasons.is_empty() {
        let parts: Vec<String> = m
            .reasons
            .iter()
            .map(|(r, c)| format!("{} ({})", escape(r), escape(c)))
            .collect();
        out.push_str(&format!("*Why:* {}\n", parts.join("; ")));
    }
    if let Some(link) = &m.link {
        // `|` ends the address part of a link; ours never holds one, but a URL that did would
        // be cut, not turned into other markup.
        let href = escape(&link.href).replace('|', "%7C");
        out.push_str(&format!("<{href}|{}>\n", escape(link.label)));
    }
    json!({ "text": out })
}

impl Integration for Slack {
    /// The incoming webhook's URL.
    type Target = str;

    async fn send(&self, url: &str, message: &Message, _delivery_id: &str) -> SendResult {
        self.http.post_json(url, &body(message)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::{Link, PagerAction, Severity};

    fn hostile() -> Message {
        Message {
            event: "alert.raised",
            subject: "[HIGH RISK] <!channel> & <@U123>".into(),
            headline: "Remarks: <https://evil.example|click here>".into(),
            facts: vec![("Remarks".into(), "<!here> dig & bore > 6 ft".into())],
            reasons: vec![("method is <b>bore</b>".into(), "+1.2".into())],
            text: String::new(),
            html: None,
            details: json!({}),
            payload: serde_json::Map::new(),
            dedup_key: "a".into(),
            action: PagerAction::Trigger {
                severity: Severity::Error,
            },
            link: Some(Link {
                href: "https://aegis.example/v1/ack/tok".into(),
                label: "Acknowledge this alert",
            }),
        }
    }

    #[test]
    fn ticket_text_cannot_mention_a_channel_or_forge_a_link() {
        let text = body(&hostile())["text"].as_str().unwrap().to_owned();
        assert!(
            !text.contains("<!channel>") && !text.contains("<!here>"),
            "{text}"
        );
        assert!(
            !text.contains("<@U123>") && !text.contains("<https://evil"),
            "{text}"
        );
        assert!(
            text.contains("&lt;!channel&gt; &amp; &lt;@U123&gt;"),
            "{text}"
        );
        assert!(text.contains("• *Remarks:* &lt;!here&gt; dig &amp; bore &gt; 6 ft"));
        assert!(text.contains("*Why:* method is &lt;b&gt;bore&lt;/b&gt; (+1.2)"));
        // Our own link is the only markup left.
        assert!(text.contains("<https://aegis.example/v1/ack/tok|Acknowledge this alert>"));
        assert_eq!(text.matches('<').count(), 1, "{text}");
    }
}
