//! Who is asking: API tokens (officers and operators), console passwords and sessions. Failed
//! attempts are counted per client address and per presented key (a token's prefix, a user
//! name) within a minute ([`super::auth_throttle`]).
//!
//! - A valid token always passes, whatever failed before it from the same address: behind a
//!   proxy every officer shares one, and nobody may lock them out by guessing. Past the limit a
//!   failing token is answered "wait".
//! - A console sign-in past the limit is refused before any password is hashed — the right
//!   password too, for the rest of that minute — so guessing is bounded by the limit, not by
//!   Argon2's cost. At most `auth.max_concurrent_hashes` passwords are hashed at once (each
//!   takes ~19 MiB and tens of milliseconds); the rest wait briefly, then are told to wait.
//!   A name that does not exist costs the same hash as one that does, so timing tells nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aegis_actors::ports::StoreError;
use base64::Engine as _;
use chrono::TimeDelta;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::App;
use super::auth_throttle::FailureWindow;
use super::errors::{Kind, Refusal, refusal};
use super::passwords;
use crate::db::principals::{self, Principal, Role};
use crate::db::sign_in;
use crate::telemetry::names;

/// Verified tokens are remembered this long; a revocation takes effect within it.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(60);
/// Distinct addresses (and keys) tracked per minute; more share one count.
const FAILURE_KEYS: usize = 20_000;
/// How much of a presented token keys its failures: enough to tell real tokens apart, too
/// little to matter if logged.
const PREFIX_CHARS: usize = 16;
/// A console session lasts a working shift and a half.
pub const SESSION_HOURS: i64 = 12;
/// How long a sign-in waits for a free hashing slot before it is told to come back.
const HASH_WAIT: Duration = Duration::from_secs(2);

/// Token verification cache, failure counts and the password-hashing slots, shared by every
/// request.
#[derive(Debug)]
pub struct Credentials {
    max_failures: u32,
    cache: Mutex<HashMap<String, (Instant, Option<Principal>)>>,
    by_address: Mutex<FailureWindow<IpAddr>>,
    by_key: Mutex<FailureWindow<String>>,
    hashing: Arc<tokio::sync::Semaphore>,
    /// What an unknown name's password is checked against, so it costs what a known one does.
    decoy: OnceLock<String>,
}

impl Credentials {
    /// `max_hashes` 0 means one per core.
    pub fn new(max_failures: u32, max_hashes: usize) -> Self {
        let now = Instant::now();
        let max_hashes = if max_hashes == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            max_hashes
        };
        Self {
            max_failures,
            cache: Mutex::default(),
            by_address: Mutex::new(FailureWindow::new(WINDOW, FAILURE_KEYS, now)),
            by_key: Mutex::new(FailureWindow::new(WINDOW, FAILURE_KEYS, now)),
            hashing: Arc::new(tokio::sync::Semaphore::new(max_hashes)),
            decoy: OnceLock::new(),
        }
    }

    /// A stored hash no password matches, made with the same parameters as real ones.
    fn decoy(&self) -> Result<String, passwords::PasswordError> {
        if let Some(h) = self.decoy.get() {
            return Ok(h.clone());
        }
        let made = passwords::hash(&random_token())?;
        Ok(self.decoy.get_or_init(|| made).clone())
    }

    /// Seconds to wait when the address or the key has failed too often.
    fn blocked(&self, ip: Option<IpAddr>, key: &str) -> Option<u64> {
        let now = Instant::now();
        if let Some(ip) = ip {
            let mut w = self.by_address.lock();
            if w.count(&ip, now) >= self.max_failures {
                return Some(w.retry_after(now));
            }
        }
        let mut w = self.by_key.lock();
        let key = key.to_owned();
        (w.count(&key, now) >= self.max_failures).then(|| w.retry_after(now))
    }

    fn failed(&self, ip: Option<IpAddr>, key: &str) {
        metrics::counter!(names::AUTH_FAILURES).increment(1);
        let now = Instant::now();
        if let Some(ip) = ip {
            self.by_address.lock().fail(&ip, now);
        }
        self.by_key.lock().fail(&key.to_owned(), now);
    }

    fn cached(&self, hash: &str) -> Option<Option<Principal>> {
        let c = self.cache.lock();
        c.get(hash)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, p)| p.clone())
    }

    fn remember(&self, hash: String, p: Option<Principal>) {
        let mut c = self.cache.lock();
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(hash, (Instant::now(), p));
    }
}

/// Why someone is not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("an 'Authorization: Bearer <token>' header is required")]
    NoToken,
    #[error("the token is not valid or has been revoked")]
    BadToken,
    #[error("this needs the operator role")]
    NotOperator,
    #[error("that name and password do not match")]
    BadPassword,
    #[error("too many failed authentications; wait before trying again")]
    Limited { retry_after: u64 },
    /// A password could not be checked (a verification that did not finish lets nobody in).
    #[error("the password could not be checked: {0}")]
    Hashing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(AuthError, self => match self {
    Self::NoToken | Self::BadToken | Self::BadPassword => {
        Refusal::new(Kind::Unauthenticated, "UNAUTHENTICATED", self.to_string())
    }
    Self::NotOperator => Refusal::new(Kind::Forbidden, "FORBIDDEN", self.to_string()),
    Self::Limited { retry_after } => {
        Refusal::new(Kind::RateLimited, "RATE_LIMITED", self.to_string())
            .retry_after(*retry_after)
    }
    Self::Hashing(_) => Refusal::internal(self),
    Self::Store(e) => e.refusal(),
});

/// A console session: the cookie's value (its only copy) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub user: Principal,
}

/// A signed-in user and their session's CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: Principal,
    pub csrf: String,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl App {
    /// The principal behind a bearer token. A request without one is refused, never counted
    /// against its address; a wrong one is counted per address and per token prefix.
    pub async fn authenticate(
        &self,
        token: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        let Some(token) = token else {
            metrics::counter!(names::AUTH_FAILURES).increment(1);
            return Err(AuthError::NoToken);
        };
        let prefix: String = token.chars().take(PREFIX_CHARS).collect();
        if let Some(p) = self.token_principal(token).await? {
            return Ok(p);
        }
        let blocked = self.credentials.blocked(client, &prefix);
        self.credentials.failed(client, &prefix);
        match blocked {
            Some(retry_after) => Err(AuthError::Limited { retry_after }),
            None => Err(AuthError::BadToken),
        }
    }

    /// The principal behind a bearer token that must be an operator's.
    pub async fn authenticate_operator(
        &self,
        token: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        let p = self.authenticate(token, client).await?;
        if p.role == Role::Operator {
            Ok(p)
        } else {
            Err(AuthError::NotOperator)
        }
    }

    /// Whether `token` still names a principal (a revoked one ends its open streams).
    pub async fn token_still_valid(&self, token: &str) -> Result<bool, StoreError> {
        Ok(self.token_principal(token).await?.is_some())
    }

    async fn token_principal(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        let hash = principals::hash_token(token);
        if let Some(p) = self.credentials.cached(&hash) {
            return Ok(p);
        }
        let owned = token.to_owned();
        let p = self
            .db
            .with_read(move |c| principals::by_token(c, &owned))
            .await?;
        self.credentials.remember(hash, p.clone());
        Ok(p)
    }

    /// Signs `name` in with `password`: a new console session, or why not.
    pub async fn sign_in(
        &self,
        name: &str,
        password: String,
        client: Option<IpAddr>,
    ) -> Result<NewSession, AuthError> {
        let name = name.trim().to_owned();
        let key = format!("signin:{}", name.to_lowercase());
        let limited = |c: &Credentials| {
            c.blocked(client, &key)
                .map(|retry_after| AuthError::Limited { retry_after })
        };
        // Past the limit nothing is looked up or hashed, whatever the password.
        if let Some(e) = limited(&self.credentials) {
            return Err(e);
        }
        let lookup = name.clone();
        let found = self
            .db
            .with_read(move |c| sign_in::password_of(c, &lookup))
            .await?;
        let (user, stored) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (
                None,
                self.credentials
                    .decoy()
                    .map_err(|e| AuthError::Hashing(e.to_string()))?,
            ),
        };
        let Ok(slot) =
            tokio::time::timeout(HASH_WAIT, self.credentials.hashing.clone().acquire_owned()).await
        else {
            return Err(AuthError::Limited { retry_after: 1 });
        };
        let slot = slot.map_err(|e| AuthError::Hashing(e.to_string()))?;
        // Failures may have piled up while this one waited for a slot.
        if let Some(e) = limited(&self.credentials) {
            return Err(e);
        }
        // Argon2 runs off the async threads: it takes tens of milliseconds on purpose.
        let matched = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            passwords::verify(&password, &stored)
        })
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?;
        match user {
            Some(user) if matched => Ok(self.start_session(user).await?),
            _ => {
                self.credentials.failed(client, &key);
                Err(AuthError::BadPassword)
            }
        }
    }

    async fn start_session(&self, user: Principal) -> Result<NewSession, StoreError> {
        let id = random_token();
        let csrf = random_token();
        let now = self.clock.now();
        let (hash, principal) = (id_hash(&id), user.id.clone());
        self.store
            .writer()
            .run(move |tx| {
                sign_in::create_session(
                    tx,
                    &hash,
                    &principal,
                    &csrf,
                    now,
                    now + TimeDelta::hours(SESSION_HOURS),
                )
            })
            .await?;
        Ok(NewSession { id, user })
    }

    /// The user signed in with the session `id`, if it is live.
    pub async fn session(&self, id: &str) -> Result<Option<SignedIn>, StoreError> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        let (hash, now) = (id_hash(id), self.clock.now());
        let found = self
            .db
            .with_read(move |c| sign_in::session(c, &hash, now))
            .await?;
        Ok(found.map(|(user, csrf)| SignedIn { user, csrf }))
    }

    /// Ends the session `id`.
    pub async fn end_session(&self, id: &str) -> Result<(), StoreError> {
        let (hash, now) = (id_hash(id), self.clock.now());
        self.store
            .writer()
            .run(move |tx| sign_in::end_session(tx, &hash, now))
            .await
    }
}
