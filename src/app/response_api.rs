//! Operators' set-up of a center's PositiveResponse API (contract §9): where it is and the
//! member's account (the password is stored for posting and never shown), the locate codes the
//! center lists (fetched when set, at start-up and daily), and which code each disposition
//! posts (only codes the center lists as active).

use std::collections::BTreeMap;

use aegis_actors::ports::StoreError;
use aegis_workflows::Problem;
use aegis_workflows::lifecycle::Disposition;
use aegis_workflows::positive_response::check_mapping;

use super::errors::{Refusal, refusal};
use super::receive_ticket::ReceiveError;
use super::{App, Service};
use crate::db::response_apis::{self, ApiView, MASKED_PASSWORD, ResponseApi};

const MAX_FIELD: usize = 256;

/// The characters a value made only of is blank: JavaScript's `\s`, Python's `str.isspace()`
/// and Rust's `char::is_whitespace`, together — so the published schema (a pattern that needs
/// one character outside this set) and this check refuse exactly the same values, whichever
/// regex engine reads the schema.
pub const BLANK: &[char] = &[
    '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', '\u{85}',
    '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}',
    '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}',
    '\u{205f}', '\u{3000}', '\u{feff}',
];

/// Whether `v` has nothing but blanks.
pub fn is_blank(v: &str) -> bool {
    v.chars().all(|c| BLANK.contains(&c))
}

/// A center's PositiveResponse API as an operator sets it.
#[derive(Clone)]
pub struct ResponseApiInput {
    pub url: String,
    pub username: String,
    pub password: String,
    pub station: String,
}

impl std::fmt::Debug for ResponseApiInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseApiInput")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("station", &self.station)
            .finish_non_exhaustive()
    }
}

impl ResponseApiInput {
    fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (field, v) in [
            ("username", &self.username),
            ("password", &self.password),
            ("station", &self.station),
        ] {
            if is_blank(v) {
                out.push(Problem::new(
                    field,
                    "required",
                    format!("{field} is required"),
                ));
            } else if v.chars().count() > MAX_FIELD {
                out.push(Problem::new(
                    field,
                    "out_of_range",
                    format!("{field} is longer than {MAX_FIELD} characters"),
                ));
            }
        }
        match reqwest::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && self.url.len() <= MAX_FIELD => {}
            _ => out.push(Problem::new(
                "url",
                "invalid_format",
                "url must be an http or https URL",
            )),
        }
        out
    }
}

/// The set-up as stored, and why the code list could not be fetched just now, if it could not
/// (the last list stays).
#[derive(Debug)]
pub struct ResponseApiSet {
    pub api: ApiView,
    pub locate_codes_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResponseApiError {
    #[error("{} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("no such response API")]
    NoResponseApi,
    #[error(transparent)]
    Center(#[from] ReceiveError),
    #[error("the response API just set is gone")]
    Vanished,
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ResponseApiError, self => match self {
    Self::Invalid(p) => Refusal::problems(p),
    Self::NoResponseApi => Refusal::not_found("response API"),
    Self::Center(e) => e.refusal(),
    Self::Vanished => Refusal::internal(self),
    Self::Store(e) => e.refusal(),
});

impl Service {
    /// Sets `code`'s PositiveResponse API and fetches its locate codes.
    pub async fn set_response_api(
        &self,
        code: &str,
        input: ResponseApiInput,
        by: &str,
    ) -> Result<ResponseApiSet, ResponseApiError> {
        let mut problems = input.problems();
        if problems.is_empty()
            && let Err(why) = self.outbound.check_target(&input.url).await
        {
            problems.push(Problem::new(
                "url",
                "forbidden_target",
                format!("url {why}"),
            ));
        }
        if !problems.is_empty() {
            return Err(ResponseApiError::Invalid(problems));
        }
        self.center(code).await?;
        let password = if input.password == MASKED_PASSWORD {
            // The mask a read showed, sent back: the stored password stays; the mask is never
            // stored as one.
            let key = code.to_owned();
            self.db
                .with_read(move |c| response_apis::api(c, &key))
                .await?
                .map(|stored| stored.password)
                .ok_or_else(|| {
                    ResponseApiError::Invalid(vec![Problem::new(
                        "password",
                        "required",
                        format!("{MASKED_PASSWORD} keeps a stored password, and there is none"),
                    )])
                })?
        } else {
            input.password
        };
        let api = ResponseApi {
            center: code.to_owned(),
            url: input.url,
            username: input.username,
            password,
            station: input.station,
        };
        let now = self.clock.now();
        self.store
            .writer()
            .run(move |tx| response_apis::put_api(tx, &api, now))
            .await?;
        tracing::info!(by, center = %code, "positive-response API set");
        let locate_codes_error = self.refresh_codes(code).await;
        let api = self.response_api(code).await.map_err(|e| match e {
            ResponseApiError::NoResponseApi => ResponseApiError::Vanished,
            other => other,
        })?;
        Ok(ResponseApiSet {
            api,
            locate_codes_error,
        })
    }
}

impl App {
    /// The set-up, password masked.
    pub async fn response_api(&self, code: &str) -> Result<ApiView, ResponseApiError> {
        let key = code.to_owned();
        self.db
            .with_read(move |c| response_apis::view(c, &key))
            .await?
            .ok_or(ResponseApiError::NoResponseApi)
    }
}

impl Service {
    /// Which locate code each disposition posts, checked against the center's active codes.
    pub async fn set_response_codes(
        &self,
        code: &str,
        mapping: BTreeMap<String, String>,
        by: &str,
    ) -> Result<BTreeMap<Disposition, String>, ResponseApiError> {
        let key = code.to_owned();
        let has_api = self
            .db
            .with_read(move |c| response_apis::api(c, &key))
            .await?
            .is_some();
        if !has_api {
            return Err(ResponseApiError::NoResponseApi);
        }
        let key = code.to_owned();
        let (mut list, _) = self
            .db
            .with_read(move |c| response_apis::locate_codes(c, &key))
            .await?;
        if list.is_empty() {
            // Never fetched (the center was down when its API was set): try once more now.
            if let Some(e) = self.refresh_codes(code).await {
                tracing::warn!(center = %code, error = %e, "locate codes could not be fetched");
            }
            let key = code.to_owned();
            list = self
                .db
                .with_read(move |c| response_apis::locate_codes(c, &key))
                .await?
                .0;
        }
        let checked = check_mapping(&mapping, &list).map_err(ResponseApiError::Invalid)?;
        let (key, stored) = (code.to_owned(), checked.clone());
        self.store
            .writer()
            .run(move |tx| response_apis::put_codes(tx, &key, &stored))
            .await?;
        tracing::info!(by, center = %code, codes = checked.len(), "response codes set");
        Ok(checked)
    }

    /// Fetches the center's code list now; why not, when it could not be.
    async fn refresh_codes(&self, code: &str) -> Option<String> {
        crate::positive_response::codes::refresh(
            &self.responder,
            &self.db,
            &self.store,
            code,
            self.clock.now(),
        )
        .await
        .err()
    }
}
