//! Who is reached when an alert is raised or escalated (contract §7): users' contact channels,
//! and rosters, ordered lists of users with optional after-hours members and business hours in
//! a time zone. Pure: the adapters store them and send; here they are checked and resolved.

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// One way to reach a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    Email {
        address: String,
    },
    /// A generic webhook, signed with Standard Webhooks headers using `secret`.
    Webhook {
        url: String,
        secret: String,
    },
    /// PagerDuty Events API v2.
    Pagerduty {
        url: String,
        routing_key: String,
    },
    /// A Slack incoming webhook (its URL is its secret).
    Slack {
        url: String,
    },
}

const MASK: &str = "••••";

fn looks_like_email(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && a.len() <= 254
        && !a.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn http_url_problem(field: &str, url: &str) -> Option<Problem> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !url.chars().any(char::is_whitespace) && url.len() <= 2048 => {
            None
        }
        _ => Some(Problem::new(
            field,
            "invalid_format",
            format!("{field} must be an http:// or https:// URL with a host"),
        )),
    }
}

impl Channel {
    /// Every channel kind, as [`Channel::kind`] names them.
    pub const KINDS: [&'static str; 4] = ["email", "webhook", "pagerduty", "slack"];

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email { .. } => "email",
            Self::Webhook { .. } => "webhook",
            Self::Pagerduty { .. } => "pagerduty",
            Self::Slack { .. } => "slack",
        }
    }

    /// The URL Aegis posts to for this channel (none for e-mail, which goes to the relay).
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Email { .. } => None,
            Self::Webhook { url, .. } | Self::Pagerduty { url, .. } | Self::Slack { url } => {
                Some(url)
            }
        }
    }

    /// Everything wrong with this channel, fields prefixed with `prefix` (`channels[2]`).
    pub fn problems(&self, prefix: &str) -> Vec<Problem> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut out = Vec::new();
        match self {
            Self::Email { address } => {
                if !looks_like_email(address) {
                    out.push(Problem::new(
                        f("address"),
                        "invalid_format",
                        format!("'{address}' is not an e-mail address"),
                    ));
                }
            }
            Self::Webhook { url, secret } => {
                out.extend(http_url_problem(&f("url"), url));
                if !secret.starts_with("whsec_") || secret.len() < 30 {
                    out.push(Problem::new(
                        f("secret"),
                        "invalid_format",
                        "a webhook secret is 'whsec_' followed by base64 of at least 16 bytes",
                    ));
                }
            }
            Self::Pagerduty { url, routing_key } => {
                out.extend(http_url_problem(&f("url"), url));
                if routing_key.trim().is_empty() || routing_key.len() > 64 {
                    out.push(Problem::new(
                        f("routing_key"),
                        "required",
                        "a PagerDuty routing key (the integration key) is required",
                    ));
                }
            }
            Self::Slack { url } => out.extend(http_url_problem(&f("url"), url)),
        }
        out
    }

    /// The channel as an API shows it: secrets (webhook secrets, routing keys, Slack URLs)
    /// masked but for their last four characters.
    pub fn masked(&self) -> Self {
        let mask = |s: &str| {
            let tail: String = s
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("{MASK}{tail}")
        };
        match self {
            Self::Email { .. } => self.clone(),
            Self::Webhook { url, secret } => Self::Webhook {
                url: url.clone(),
                secret: mask(secret),
            },
            Self::Pagerduty { url, routing_key } => Self::Pagerduty {
                url: url.clone(),
                routing_key: mask(routing_key),
            },
            Self::Slack { url } => Self::Slack { url: mask(url) },
        }
    }
}

/// Business hours as operators write them: `{"days": "Mon-Fri", "from": "07:00", "to":
/// "17:00", "timezone": "America/Los_Angeles"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub days: String,
    pub from: String,
    pub to: String,
    pub timezone: String,
}

/// Business hours, checked: a set of weekdays and a time window in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    days: [bool; 7],
    from: NaiveTime,
    to: NaiveTime,
    zone: Tz,
}

fn weekday(s: &str) -> Option<Weekday> {
    s.trim().parse::<Weekday>().ok()
}

impl BusinessHours {
    /// The checked hours, or every problem with them (fields under `prefix`).
    pub fn check(&self, prefix: &str) -> Result<Hours, Vec<Problem>> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut problems = Vec::new();
        let mut days = [false; 7];
        for part in self.days.split(',') {
            let range = match part.split_once('-') {
                Some((a, b)) => weekday(a).zip(weekday(b)),
                None => weekday(part).map(|d| (d, d)),
            };
            match range {
                Some((a, b)) => {
                    let mut d = a;
                    loop {
                        days[d.num_days_from_monday() as usize] = true;
                        if d == b {
                            break;
                        }
                        d = d.succ();
                    }
                }
                None => problems.push(Problem::new(
                    f("days"),
                    "invalid_format",
                    format!("'{}' is not a day or a range such as Mon-Fri", part.trim()),
                )),
            }
        }
        let time = |name: &str, v: &str, problems: &mut Vec<Problem>| {
            NaiveTime::parse_from_str(v, "%H:%M")
                .map_err(|_| {
                    problems.push(Problem::new(
                        f(name),
                        "invalid_format",
                        format!("'{v}' is not a time such as 07:00"),
                    ));
                })
                .ok()
        };
        let from = time("from", &self.from, &mut problems);
        let to = time("to", &self.to, &mut problems);
        let zone = self.timezone.parse::<Tz>().map_err(|_| {
            Problem::new(
                f("timezone"),
                "unknown_value",
                format!(
                    "'{}' is not an IANA time zone such as America/Los_Angeles",
                    self.timezone
                ),
            )
        });
        let zone = match zone {
            Ok(z) => Some(z),
            Err(p) => {
                problems.push(p);
                None
            }
        };
        match (from, to, zone) {
            (Some(from), Some(to), Some(zone)) if problems.is_empty() => Ok(Hours {
                days,
                from,
                to,
                zone,
            }),
            _ => Err(problems),
        }
    }
}

impl Hours {
    /// Whether `at` falls in these hours, in their own zone. A window ending before it starts
    /// (`22:00`–`06:00`) runs over midnight and belongs to the day it starts on; one that ends
    /// when it starts is the whole day.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        let t = local.time();
        let today = local.weekday().num_days_from_monday() as usize;
        if self.from == self.to {
            self.days[today]
        } else if self.from < self.to {
            self.days[today] && t >= self.from && t < self.to
        } else {
            let yesterday = (today + 6) % 7;
            (self.days[today] && t >= self.from) || (self.days[yesterday] && t < self.to)
        }
    }
}

/// A roster as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// In order: the first is reached first where order matters.
    pub members: Vec<String>,
    /// Reached instead of `members` outside business hours (only with business hours); empty
    /// means the members always.
    #[serde(default)]
    pub after_hours_members: Vec<String>,
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
}

impl Roster {
    /// Every problem with the roster itself (users are checked against the store by the
    /// caller).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.members.is_empty() {
            out.push(Problem::new(
                "members",
                "required",
                "a roster needs at least one member",
            ));
        }
        // After-hours members without business hours are kept but never on duty (the read-back
        // shows who is): there is no after hours without hours.
        if let Some(h) = &self.business_hours
            && let Err(p) = h.check("business_hours")
        {
            out.extend(p);
        }
        out
    }

    /// Who is on duty at `at`: the after-hours members outside business hours (when there are
    /// any), the members otherwise.
    pub fn on_duty(&self, at: DateTime<Utc>) -> &[String] {
        let outside = self
            .business_hours
            .as_ref()
            .and_then(|h| h.check("business_hours").ok())
            .is_some_and(|h| !h.contains(at));
        if outside && !self.after_hours_members.is_empty() {
            &self.after_hours_members
        } else {
            &self.members
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn la(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::America::Los_Angeles
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn roster() -> Roster {
        Roster {
            members: vec!["dana".into(), "lee".into()],
            after_hours_members: vec!["lee".into()],
            business_hours: Some(BusinessHours {
                days: "Mon-Fri".into(),
                from: "07:00".into(),
                to: "17:00".into(),
                timezone: "America/Los_Angeles".into(),
            }),
        }
    }

    #[test]
    fn the_after_hours_members_answer_outside_business_hours_in_the_rosters_zone() {
        let r = roster();
        assert!(r.problems().is_empty());
        // Monday 2026-11-23, 09:00 in Los Angeles (17:00 UTC).
        assert_eq!(r.on_duty(la(2026, 11, 23, 9, 0)), ["dana", "lee"]);
        assert_eq!(
            r.on_duty(la(2026, 11, 23, 17, 0)),
            ["lee"],
            "17:00 is after hours"
        );
        assert_eq!(r.on_duty(la(2026, 11, 23, 2, 0)), ["lee"], "2 a.m.");
        assert_eq!(r.on_duty(la(2026, 11, 22, 12, 0)), ["lee"], "Sunday");
    }

    #[test]
    fn night_windows_belong_to_the_day_they_start() {
        let h = BusinessHours {
            days: "Fri".into(),
            from: "22:00".into(),
            to: "06:00".into(),
            timezone: "UTC".into(),
        }
        .check("h")
        .unwrap();
        let at = |d: u32, hour: u32| Utc.with_ymd_and_hms(2026, 11, d, hour, 0, 0).unwrap();
        assert!(h.contains(at(27, 23)), "Friday 23:00");
        assert!(
            h.contains(at(28, 5)),
            "Saturday 05:00 is still Friday's night"
        );
        assert!(!h.contains(at(28, 23)), "Saturday 23:00");
        assert!(!h.contains(at(27, 5)), "Friday 05:00 is Thursday's night");
    }

    #[test]
    fn bad_definitions_list_every_problem() {
        let bad = Roster {
            members: vec![],
            after_hours_members: vec!["lee".into()],
            business_hours: Some(BusinessHours {
                days: "Mon-Funday".into(),
                from: "7am".into(),
                to: "17:00".into(),
                timezone: "Mars/Olympus".into(),
            }),
        };
        let fields: Vec<String> = bad.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "members",
                "business_hours.days",
                "business_hours.from",
                "business_hours.timezone"
            ]
        );
        let channels = [
            Channel::Email {
                address: "dana at example".into(),
            },
            Channel::Webhook {
                url: "ftp://x".into(),
                secret: "s".into(),
            },
            Channel::Pagerduty {
                url: "https://events.pagerduty.com/v2/enqueue".into(),
                routing_key: " ".into(),
            },
            Channel::Slack {
                url: "https://".into(),
            },
        ];
        let fields: Vec<String> = channels
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.problems(&format!("channels[{i}]")))
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "channels[0].address",
                "channels[1].url",
                "channels[1].secret",
                "channels[2].routing_key",
                "channels[3].url"
            ]
        );
    }

    #[test]
    fn secrets_are_masked_on_read_and_channels_read_as_the_contract_writes_them() {
        let c: Channel = serde_json::from_str(
            r#"{"kind": "pagerduty", "url": "https://events.pagerduty.com/v2/enqueue", "routing_key": "R0ut1ngK3yABCD"}"#,
        )
        .unwrap();
        assert!(c.problems("c").is_empty());
        let shown = serde_json::to_value(c.masked()).unwrap();
        assert_eq!(shown["routing_key"], "••••ABCD");
        assert_eq!(shown["kind"], "pagerduty");
        let e = Channel::Email {
            address: "dana@example.org".into(),
        };
        assert_eq!(e.masked(), e);
    }

    proptest! {
        /// Whatever the hours and the moment, exactly one of the two lists is on duty, and it is
        /// the members inside business hours.
        #[test]
        fn someone_is_always_on_duty(from in 0u32..24, to in 0u32..24, days in 1u8..128, secs in 0i64..(14 * 86_400)) {
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let days: Vec<&str> = (0..7).filter(|i| days & (1 << i) != 0).map(|i| names[i]).collect();
            let r = Roster {
                members: vec!["day".into()],
                after_hours_members: vec!["night".into()],
                business_hours: Some(BusinessHours {
                    days: days.join(","),
                    from: format!("{from:02}:00"),
                    to: format!("{to:02}:00"),
                    timezone: "Europe/Paris".into(),
                }),
            };
            prop_assert!(r.problems().is_empty(), "{:?}", r.problems());
            let at = Utc.with_ymd_and_hms(2026, 3, 23, 0, 0, 0).unwrap() + chrono::TimeDelta::seconds(secs);
            let hours = r.business_hours.as_ref().unwrap().check("h").unwrap();
            let expected: &[String] = if hours.contains(at) { &r.members } else { &r.after_hours_members };
            prop_assert_eq!(r.on_duty(at), expected);
            prop_assert!(!r.on_duty(at).is_empty());
        }
    }
}
