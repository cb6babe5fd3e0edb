//! Operators' use cases on call centers (contract §6): registering one with its format and a
//! secret (generated when none is given, shown once), listing them, adding a secret beside the
//! old ones for a rotation, retiring the older secrets, and removing a center (revoked instead,
//! when its tickets keep it in the record).

use aegis_actors::ports::StoreError;

use super::App;
use super::errors::{Refusal, refusal};
use crate::db::centers::{self, CenterError, CenterFormat, CenterInfo, Removed};

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CentersError(#[from] CenterError);

impl From<StoreError> for CentersError {
    fn from(e: StoreError) -> Self {
        Self(CenterError::Store(e))
    }
}

refusal!(CentersError, self => {
    let message = self.0.to_string();
        match &self.0 {
            CenterError::BadCode => Refusal::invalid("code", message),
            CenterError::BadNativeSecret
            | CenterError::BadOnecallSecret
            | CenterError::BadOpenticketSecret => Refusal::invalid("secret", message),
            CenterError::Exists(_) => Refusal::conflict("CONFLICT", message),
            CenterError::Unknown(_) => Refusal::not_found("center"),
            CenterError::Store(e) => e.refusal(),
        }
});

/// A secret as the operator gets it: `shown` is the generated one, printed once.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub format: CenterFormat,
    /// Present when Aegis generated the secret; the only time anyone sees it.
    pub shown: Option<String>,
}

impl App {
    /// Registers `code` in `format` with `secret`, or a generated one.
    pub async fn register_center(
        &self,
        code: &str,
        format: CenterFormat,
        secret: Option<String>,
    ) -> Result<NewSecret, CentersError> {
        let shown = secret.is_none().then(|| format.generate_secret());
        let secret = secret.or_else(|| shown.clone()).unwrap_or_default();
        let code = code.to_owned();
        self.db
            .with_write(move |c| Ok(centers::add(c, &code, format, &secret)))
            .await??;
        Ok(NewSecret { format, shown })
    }

    /// Every center with its number of active secrets.
    pub async fn centers(&self) -> Result<Vec<CenterInfo>, CentersError> {
        Ok(self.db.with_read(|c| Ok(centers::list(c))).await??)
    }

    /// Adds `secret` (or a generated one) beside the center's secrets: both are valid until the
    /// older ones are retired.
    pub async fn add_center_secret(
        &self,
        code: &str,
        secret: Option<String>,
    ) -> Result<NewSecret, CentersError> {
        let code = code.to_owned();
        self.db
            .with_write(move |c| {
                let center = match centers::lookup(c, &code) {
                    Ok(Some(center)) => center,
                    Ok(None) => return Ok(Err(CenterError::Unknown(code))),
                    Err(e) => return Ok(Err(e)),
                };
                let shown = secret.is_none().then(|| center.format.generate_secret());
                let secret = secret.or_else(|| shown.clone()).unwrap_or_default();
                Ok(centers::add_secret(c, &code, &secret).map(|()| NewSecret {
                    format: center.format,
                    shown,
                }))
            })
            .await?
            .map_err(CentersError::from)
    }

    /// Revokes every secret of the center but the newest; how many were revoked.
    pub async fn retire_center_secrets(&self, code: &str) -> Result<usize, CentersError> {
        let code = code.to_owned();
        Ok(self
            .db
            .with_write(move |c| Ok(centers::retire_old_secrets(c, &code)))
            .await??)
    }

    /// Removes the center, or revokes every secret when its tickets keep it in the record.
    pub async fn remove_center(&self, code: &str) -> Result<Removed, CentersError> {
        let code = code.to_owned();
        Ok(self
            .db
            .with_write(move |c| Ok(centers::remove(c, &code)))
            .await??)
    }
}
