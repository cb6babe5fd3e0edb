//! Users' contact channels and rosters (contract §7), for operators: who is reached when an
//! alert is raised or escalated. Definitions are checked by `workflows::roster`; every problem
//! is listed in one `422`. Secrets are masked on every read.

use actix_web::{HttpResponse, web};
use aegis_workflows::roster::{BusinessHours, Channel, Roster};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::auth::Operator;
use super::error::{ApiError, ErrorBody};
use crate::app::people::RosterNow;
use crate::app::views::UserView;
use crate::web::state::AppState;

#[cfg(test)]
use crate::app::patterns::{DAYS, EMAIL, ROSTER, ROUTING_KEY, SECRET, TIME, URL, USER, shape};

/// A channel as it is written (contract §7). Fields it does not know are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelBody {
    Email {
        #[schema(
            pattern = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){1,4}$"
        )]
        address: String,
    },
    Webhook {
        #[schema(
            pattern = r"^https?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z][A-Za-z0-9-]{0,62})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]{0,512})?$"
        )]
        url: String,
        #[schema(pattern = r"^whsec_[A-Za-z0-9+/]{24,88}={0,2}$")]
        secret: String,
    },
    Pagerduty {
        #[schema(
            pattern = r"^https?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z][A-Za-z0-9-]{0,62})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]{0,512})?$"
        )]
        url: String,
        #[schema(pattern = r"^[A-Za-z0-9]{1,64}$")]
        routing_key: String,
    },
    Slack {
        #[schema(
            pattern = r"^https?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z][A-Za-z0-9-]{0,62})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]{0,512})?$"
        )]
        url: String,
    },
}

impl From<ChannelBody> for Channel {
    fn from(b: ChannelBody) -> Self {
        match b {
            ChannelBody::Email { address } => Self::Email { address },
            ChannelBody::Webhook { url, secret } => Self::Webhook { url, secret },
            ChannelBody::Pagerduty { url, routing_key } => Self::Pagerduty { url, routing_key },
            ChannelBody::Slack { url } => Self::Slack { url },
        }
    }
}

/// A channel as it is shown: secrets masked but for their last four characters.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelView {
    Email { address: String },
    Webhook { url: String, secret: String },
    Pagerduty { url: String, routing_key: String },
    Slack { url: String },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsBody {
    #[schema(max_items = 20)]
    pub channels: Vec<ChannelBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserAnswer {
    pub name: String,
    /// `officer` or `operator`.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked: bool,
    #[schema(value_type = Vec<ChannelView>)]
    pub channels: Vec<Channel>,
}

impl From<UserView> for UserAnswer {
    fn from(u: UserView) -> Self {
        Self {
            name: u.name,
            role: u.role.as_str().to_owned(),
            created_at: u.created_at,
            revoked: u.revoked,
            channels: u.channels,
        }
    }
}

/// An IANA time zone name, as chrono-tz knows them.
pub struct TimeZoneName;

impl PartialSchema for TimeZoneName {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .into()
    }
}

impl ToSchema for TimeZoneName {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursBody {
    /// Days or ranges, such as `Mon-Fri` or `Mon,Wed,Fri-Sun`.
    #[schema(
        pattern = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?(,(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?){0,6}$"
    )]
    pub days: String,
    /// `HH:MM`, local time.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    /// `HH:MM`, local time; before `from`, the window runs over midnight; equal, all day.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub to: String,
    #[schema(value_type = TimeZoneName)]
    pub timezone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterBody {
    /// Users, in order.
    #[schema(min_items = 1, max_items = 50, inline, value_type = Vec<UserNameSchema>)]
    pub members: Vec<String>,
    /// Reached instead outside business hours.
    #[schema(max_items = 50, inline, value_type = Option<Vec<UserNameSchema>>)]
    pub after_hours_members: Option<Vec<String>>,
    pub business_hours: Option<BusinessHoursBody>,
}

/// A user's name.
#[derive(Debug, ToSchema)]
#[schema(pattern = r"^[A-Za-z0-9.@_-]{1,64}$")]
pub struct UserNameSchema(#[allow(dead_code)] String);

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterAnswer {
    pub name: String,
    pub members: Vec<String>,
    pub after_hours_members: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub business_hours: Option<BusinessHours>,
    /// Who would be reached now.
    pub on_duty: Vec<String>,
}

impl From<RosterNow> for RosterAnswer {
    fn from(r: RosterNow) -> Self {
        Self {
            name: r.name,
            members: r.roster.members,
            after_hours_members: r.roster.after_hours_members,
            business_hours: r.roster.business_hours,
            on_duty: r.on_duty,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    #[param(pattern = r"^[A-Za-z0-9.@_-]{1,64}$")]
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RosterPath {
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub name: String,
}

/// `GET /v1/admin/users`: every user with their channels (secrets masked).
#[utoipa::path(get, path = "/v1/admin/users", tag = "operators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Users", body = Vec<UserAnswer>),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn users(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let all = state.app.users().await?;
    let answer: Vec<UserAnswer> = all.into_iter().map(UserAnswer::from).collect();
    Ok(HttpResponse::Ok().json(answer))
}

/// `GET /v1/admin/users/{name}`: one user with their channels (secrets masked).
#[utoipa::path(get, path = "/v1/admin/users/{name}", tag = "operators", params(UserPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserAnswer),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn user(
    state: web::Data<AppState>,
    _who: Operator,
    path: web::Path<UserPath>,
) -> Result<HttpResponse, ApiError> {
    let u = state.app.user(&path.name).await?;
    Ok(HttpResponse::Ok().json(UserAnswer::from(u)))
}

/// `PUT /v1/admin/users/{name}/channels`: replaces the user's channels.
#[utoipa::path(put, path = "/v1/admin/users/{name}/channels", tag = "operators", params(UserPath), request_body = ChannelsBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user with the new channels (secrets masked)", body = UserAnswer),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "A channel does not fit (every problem listed); beyond the schema, a URL whose host is on a loopback, private, link-local or unique-local network (`forbidden_target`, contract §13) unless `outbound.allow_private_networks` is set", body = ErrorBody),
    ))]
pub async fn set_channels(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<UserPath>,
    body: crate::http::optional_json::Object<ChannelsBody>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner().name;
    let body = body.into_inner();
    let channels: Vec<Channel> = body.channels.into_iter().map(Channel::from).collect();
    let u = state
        .app
        .set_channels(&name, channels, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(UserAnswer::from(u)))
}

/// `GET /v1/admin/rosters`: every roster and who is on duty now.
#[utoipa::path(get, path = "/v1/admin/rosters", tag = "operators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Rosters", body = Vec<RosterAnswer>),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn rosters(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let all = state.app.rosters().await?;
    let answer: Vec<RosterAnswer> = all.into_iter().map(RosterAnswer::from).collect();
    Ok(HttpResponse::Ok().json(answer))
}

/// `PUT /v1/admin/rosters/{name}`: creates or replaces a roster. Members must be users.
#[utoipa::path(put, path = "/v1/admin/rosters/{name}", tag = "operators", params(RosterPath), request_body = RosterBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The roster and who is on duty now", body = RosterAnswer),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "A member is not a user (details list them)", body = ErrorBody),
    ))]
pub async fn put_roster(
    state: web::Data<AppState>,
    who: Operator,
    path: web::Path<RosterPath>,
    body: crate::http::optional_json::Object<RosterBody>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner().name;
    let b = body.into_inner();
    let roster = Roster {
        members: b.members,
        after_hours_members: b.after_hours_members.unwrap_or_default(),
        business_hours: b.business_hours.map(|h| BusinessHours {
            days: h.days,
            from: h.from,
            to: h.to,
            timezone: h.timezone,
        }),
    };
    let set = state
        .app
        .put_roster(&name, roster, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(RosterAnswer::from(set)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enforced_patterns_are_the_published_ones() {
        let doc =
            serde_json::to_string(&<crate::http::openapi::ApiDoc as utoipa::OpenApi>::openapi())
                .unwrap();
        for p in [EMAIL, URL, SECRET, ROUTING_KEY, DAYS, TIME, USER, ROSTER] {
            assert!(regex::Regex::new(p).is_ok(), "{p}");
            let published = serde_json::to_string(p).unwrap();
            assert!(
                doc.contains(published.trim_matches('"')),
                "{p} is not in the document"
            );
        }
        assert!(shape("x", "dana@example.org", EMAIL).is_none());
        assert!(shape("x", "a@b@c.d", EMAIL).is_some());
        assert!(shape("x", "monday", DAYS).is_some());
        assert!(shape("x", "7:00", TIME).is_some());
    }
}
