//! Embedded migrations, one set per backend, applied at start-up and by `aegis migrate`.

use anyhow::{Context as _, anyhow};
use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{AnyConn, Db};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary key of the advisory lock that keeps nodes starting together from migrating at once.
const PG_MIGRATION_LOCK: i64 = 0x4145_4749_5301;

/// Applies pending migrations; returns their names.
pub fn run(db: &Db) -> anyhow::Result<Vec<String>> {
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    let applied = match &mut conn {
        AnyConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map_err(|e| anyhow!("{e}"))?
            .iter()
            .map(ToString::to_string)
            .collect(),
        AnyConn::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
                .execute(&mut **c)
                .context("taking the migration lock")?;
            let res = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>())
                .map_err(|e| anyhow!("{e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))
                .execute(&mut **c)
                .context("releasing the migration lock")?;
            res?
        }
    };
    Ok(applied)
}
