//! Operators' use cases on accounts: adding an officer or operator (their bearer token shown
//! once), revoking one (their console sessions end with it), setting a console password (every
//! session the old one opened ends), and the list of accounts.

use aegis_actors::ports::StoreError;

use super::App;
use super::errors::{Refusal, refusal};
use super::passwords::{self, PasswordError};
use crate::db::principals::{self, PrincipalError, PrincipalInfo, Role};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Principal(#[from] PrincipalError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("no active user named {0}")]
    NoSuchUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(AccountError, self => {
    let message = self.to_string();
        match self {
            Self::Principal(PrincipalError::BadName) => Refusal::invalid("name", message),
            Self::Principal(PrincipalError::Exists(_)) => Refusal::conflict("CONFLICT", message),
            Self::Principal(PrincipalError::Unknown(_)) | Self::NoSuchUser(_) => {
                Refusal::not_found("user")
            }
            Self::Principal(PrincipalError::Store(e)) | Self::Store(e) => e.refusal(),
            Self::Password(PasswordError::Hashing(_)) => Refusal::internal(self),
            Self::Password(_) => Refusal::invalid("password", message),
        }
});

/// A revocation: how many console sessions ended with it.
#[derive(Debug, Clone, Copy)]
pub struct Revoked {
    pub sessions_ended: usize,
}

impl App {
    /// Adds a user with `role`; their bearer token, shown this once.
    pub async fn add_user(&self, name: &str, role: Role) -> Result<String, AccountError> {
        let name = name.to_owned();
        Ok(self
            .db
            .with_write(move |c| Ok(principals::add(c, &name, role)))
            .await??)
    }

    /// Revokes the user's token and ends their console sessions.
    pub async fn revoke_user(&self, name: &str) -> Result<Revoked, AccountError> {
        let name = name.to_owned();
        self.db
            .with_write(move |c| {
                if let Err(e) = principals::revoke(c, &name) {
                    return Ok(Err(AccountError::from(e)));
                }
                let ended = crate::db::sign_in::end_sessions_of(c, &name)?;
                Ok(Ok(Revoked {
                    sessions_ended: ended,
                }))
            })
            .await?
    }

    /// Sets the user's console password (checked, then hashed off the async threads); every
    /// session the old password opened ends.
    pub async fn set_password(&self, name: &str, password: String) -> Result<(), AccountError> {
        let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))??;
        let owned = name.to_owned();
        let found = self
            .db
            .with_write(move |c| crate::db::sign_in::set_password(c, &owned, &hash))
            .await?;
        if found {
            Ok(())
        } else {
            Err(AccountError::NoSuchUser(name.to_owned()))
        }
    }

    /// Every account, active or revoked.
    pub async fn accounts(&self) -> Result<Vec<PrincipalInfo>, StoreError> {
        self.db.with_read(principals::list).await
    }
}
