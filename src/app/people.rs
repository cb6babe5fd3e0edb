//! Operators' use cases on who is reached (contract §7): users with their contact channels
//! (secrets masked on every read), rosters and who is on duty. Definitions are checked by the
//! domain (`workflows::roster`); every problem is listed at once.

use aegis_actors::ports::StoreError;
use aegis_workflows::problem::Problem;
use aegis_workflows::roster::{Channel, Roster};
use chrono::{DateTime, Utc};

use super::App;
use super::errors::{Refusal, refusal};
use super::patterns::{DAYS, EMAIL, ROSTER, ROUTING_KEY, SECRET, TIME, URL, USER, shape};
use crate::db::people::{self, UserView};

/// The most channels one user may have.
pub const MAX_CHANNELS: usize = 20;
/// The most members a roster may list (in hours, and again after hours).
pub const MAX_MEMBERS: usize = 50;

fn count(field: &str, n: usize, min: usize, max: usize) -> Option<Problem> {
    (n < min || n > max).then(|| {
        Problem::new(
            field,
            "out_of_range",
            format!("{field} holds {n} item(s); {min} to {max} are allowed"),
        )
    })
}

/// What the published patterns say of each channel (the domain's checks come after).
fn channels_shape(channels: &[Channel]) -> Vec<Problem> {
    let mut out: Vec<Problem> = count("channels", channels.len(), 0, MAX_CHANNELS)
        .into_iter()
        .collect();
    for (i, c) in channels.iter().enumerate() {
        let f = |name: &str| format!("channels[{i}].{name}");
        let checks = match c {
            Channel::Email { address } => vec![shape(&f("address"), address, EMAIL)],
            Channel::Webhook { url, secret } => vec![
                shape(&f("url"), url, URL),
                shape(&f("secret"), secret, SECRET),
            ],
            Channel::Pagerduty { url, routing_key } => vec![
                shape(&f("url"), url, URL),
                shape(&f("routing_key"), routing_key, ROUTING_KEY),
            ],
            Channel::Slack { url } => vec![shape(&f("url"), url, URL)],
        };
        out.extend(checks.into_iter().flatten());
    }
    out
}

/// What the published patterns say of a roster and its name.
fn roster_shape(name: &str, r: &Roster) -> Vec<Problem> {
    let mut out: Vec<Problem> = shape("name", name, ROSTER).into_iter().collect();
    out.extend(count("members", r.members.len(), 1, MAX_MEMBERS));
    let after = r.after_hours_members.len();
    out.extend(count("after_hours_members", after, 0, MAX_MEMBERS));
    for (field, list) in [
        ("members", &r.members),
        ("after_hours_members", &r.after_hours_members),
    ] {
        for (i, m) in list.iter().enumerate() {
            out.extend(shape(&format!("{field}[{i}]"), m, USER));
        }
    }
    if let Some(h) = &r.business_hours {
        out.extend(shape("business_hours.days", &h.days, DAYS));
        out.extend(shape("business_hours.from", &h.from, TIME));
        out.extend(shape("business_hours.to", &h.to, TIME));
    }
    out
}

/// A name listed twice is listed once, where it first appears.
fn dedup(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("{} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("no such user")]
    NoSuchUser,
    #[error("no such user: {}", .0.join(", "))]
    UnknownMembers(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(PeopleError, self => match self {
    Self::Invalid(problems) => Refusal::problems(problems),
    Self::NoSuchUser => Refusal::not_found("user"),
    Self::UnknownMembers(unknown) => {
        Refusal::new(super::Kind::NotFound, "NOT_FOUND", self.to_string())
            .with_details(serde_json::json!({ "unknown_users": unknown }))
    }
    Self::Store(e) => e.refusal(),
});

/// A roster and who it reaches now.
#[derive(Debug, Clone)]
pub struct RosterNow {
    pub name: String,
    pub roster: Roster,
    pub on_duty: Vec<String>,
}

fn roster_now(name: String, roster: Roster, now: DateTime<Utc>) -> RosterNow {
    let on_duty = roster.on_duty(now).to_vec();
    RosterNow {
        name,
        roster,
        on_duty,
    }
}

impl App {
    /// Every user with their channels.
    pub async fn users(&self) -> Result<Vec<UserView>, StoreError> {
        self.db.with_read(|c| people::users(c, None)).await
    }

    pub async fn user(&self, name: &str) -> Result<UserView, PeopleError> {
        let name = name.to_owned();
        self.db
            .with_read(move |c| people::users(c, Some(&name)))
            .await?
            .into_iter()
            .next()
            .ok_or(PeopleError::NoSuchUser)
    }

    /// Replaces a user's channels: each checked against the published patterns, then by the
    /// domain, then its target against the outbound rules (contract §13).
    pub async fn set_channels(
        &self,
        name: &str,
        channels: Vec<Channel>,
        by: &str,
    ) -> Result<UserView, PeopleError> {
        let shaped = channels_shape(&channels);
        if !shaped.is_empty() {
            return Err(PeopleError::Invalid(shaped));
        }
        let mut problems: Vec<Problem> = channels
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.problems(&format!("channels[{i}]")))
            .collect();
        if problems.is_empty() {
            for (i, c) in channels.iter().enumerate() {
                if let Some(url) = c.url()
                    && let Err(why) = self.outbound.check_target(url).await
                {
                    problems.push(Problem::new(
                        format!("channels[{i}].url"),
                        "forbidden_target",
                        format!("channels[{i}].url {why}"),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(PeopleError::Invalid(problems));
        }
        let (n, chs) = (name.to_owned(), channels.clone());
        let found = self
            .store
            .writer()
            .run(move |tx| people::set_channels(tx, &n, &chs))
            .await?;
        if !found {
            return Err(PeopleError::NoSuchUser);
        }
        tracing::info!(by, user = %name, channels = channels.len(), "channels set");
        self.user(name).await
    }

    /// Every roster and who is on duty now.
    pub async fn rosters(&self) -> Result<Vec<RosterNow>, StoreError> {
        let now = self.clock.now();
        let all = self.db.with_read(people::rosters).await?;
        Ok(all
            .into_iter()
            .map(|(name, r)| roster_now(name, r, now))
            .collect())
    }

    /// Creates or replaces a roster (a member listed twice is kept once); its members must be
    /// users.
    pub async fn put_roster(
        &self,
        name: &str,
        roster: Roster,
        by: &str,
    ) -> Result<RosterNow, PeopleError> {
        let roster = Roster {
            members: dedup(roster.members),
            after_hours_members: dedup(roster.after_hours_members),
            business_hours: roster.business_hours,
        };
        let shaped = roster_shape(name, &roster);
        if !shaped.is_empty() {
            return Err(PeopleError::Invalid(shaped));
        }
        let problems = roster.problems();
        if !problems.is_empty() {
            return Err(PeopleError::Invalid(problems));
        }
        let mut everyone = roster.members.clone();
        everyone.extend(roster.after_hours_members.iter().cloned());
        let unknown = self
            .db
            .with_read(move |c| people::unknown_users(c, &everyone))
            .await?;
        if !unknown.is_empty() {
            return Err(PeopleError::UnknownMembers(unknown));
        }
        let now = self.clock.now();
        let (n, r) = (name.to_owned(), roster.clone());
        self.store
            .writer()
            .run(move |tx| people::put_roster(tx, &n, &r, now))
            .await?;
        tracing::info!(by, roster = %name, "roster set");
        Ok(roster_now(name.to_owned(), roster, now))
    }
}
