//! Connection pools for both backends, and the per-connection settings SQLite needs.

use std::sync::Arc;
use std::time::Duration;

use aegis_actors::ports::{Cause, StoreError};
use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// SQLite's `synchronous` pragma as Aegis offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    /// An acknowledged write survives a power loss.
    Full,
    /// An acknowledged write survives a process crash; faster.
    Normal,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: String,
    pub read_pool: u32,
    /// Writer connections (and writer threads). SQLite always gets one.
    pub writers: u32,
    pub busy_timeout_ms: u64,
    /// SQLite `synchronous`: `full` survives power loss, `normal` survives process crashes.
    pub sqlite_synchronous: SqliteSynchronous,
    pub connect_timeout: Duration,
}

impl Default for DbSettings {
    fn default() -> Self {
        Self {
            url: "aegis.db".into(),
            read_pool: 8,
            writers: 1,
            busy_timeout_ms: 5_000,
            sqlite_synchronous: SqliteSynchronous::Full,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
type PgPool = Pool<ConnectionManager<PgConnection>>;

#[derive(Clone)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg { read: PgPool, write: PgPool },
}

/// A pooled connection of either backend; use [`crate::with_conn!`] to run diesel on it.
pub enum AnyConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Pg(PooledConnection<ConnectionManager<PgConnection>>),
}

/// The database: pools, backend and settings. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    settings: Arc<DbSettings>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend())
            .finish()
    }
}

#[derive(Debug)]
struct SqliteSetup {
    busy_timeout_ms: u64,
    synchronous: &'static str,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers work beside the one writer; busy_timeout makes a second process (the
        // CLI adding a center while Aegis runs) wait instead of failing.
        conn.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {}; PRAGMA synchronous = {}; \
             PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
            self.busy_timeout_ms, self.synchronous
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The SQLite file path in a `sqlite://path`, `sqlite:path` or bare-path URL.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

impl Db {
    pub fn connect(settings: DbSettings) -> anyhow::Result<Self> {
        let pools = match backend_of(&settings.url) {
            Backend::Sqlite => {
                let path = sqlite_path(&settings.url).to_owned();
                if let Some(dir) = std::path::Path::new(&path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let synchronous = match settings.sqlite_synchronous {
                    SqliteSynchronous::Normal => "NORMAL",
                    SqliteSynchronous::Full => "FULL",
                };
                let make = |size: u32| -> anyhow::Result<SqlitePool> {
                    // A local file does not go stale: skip the `SELECT 1` on every checkout.
                    Pool::builder()
                        .max_size(size)
                        .test_on_check_out(false)
                        .connection_timeout(settings.connect_timeout)
                        .connection_customizer(Box::new(SqliteSetup {
                            busy_timeout_ms: settings.busy_timeout_ms,
                            synchronous,
                        }))
                        .build(ConnectionManager::<SqliteConnection>::new(path.clone()))
                        .with_context(|| format!("opening SQLite database {path}"))
                };
                // One writer: SQLite serializes writers anyway, and one connection lets the
                // writer batch without lock contention.
                let write = make(1)?;
                let read = make(settings.read_pool.max(1))?;
                Pools::Sqlite { read, write }
            }
            Backend::Postgres => {
                let make = |size: u32| -> anyhow::Result<PgPool> {
                    Pool::builder()
                        .max_size(size)
                        .connection_timeout(settings.connect_timeout)
                        .build(ConnectionManager::<PgConnection>::new(settings.url.clone()))
                        .context("connecting to PostgreSQL")
                };
                let write = make(settings.writers.max(1))?;
                let read = make(settings.read_pool.max(1))?;
                Pools::Pg { read, write }
            }
        };
        Ok(Self {
            pools,
            settings: Arc::new(settings),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Pg { .. } => Backend::Postgres,
        }
    }

    pub fn settings(&self) -> &DbSettings {
        &self.settings
    }

    /// Writer threads to run: one for SQLite, `writers` for PostgreSQL.
    pub fn writer_count(&self) -> usize {
        match self.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => self.settings.writers.max(1) as usize,
        }
    }

    /// A read connection (blocking).
    pub fn read(&self) -> Result<AnyConn, StoreError> {
        match &self.pools {
            Pools::Sqlite { read, .. } => read.get().map(AnyConn::Sqlite),
            Pools::Pg { read, .. } => read.get().map(AnyConn::Pg),
        }
        .map_err(|e| StoreError::Unavailable(Cause::new(e)))
    }

    /// A write connection (blocking). Only the writer threads and start-up tasks use it.
    pub fn write(&self) -> Result<AnyConn, StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => write.get().map(AnyConn::Sqlite),
            Pools::Pg { write, .. } => write.get().map(AnyConn::Pg),
        }
        .map_err(|e| StoreError::Unavailable(Cause::new(e)))
    }

    /// Runs blocking read code on the blocking thread pool.
    pub async fn with_read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConn) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.read()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Failed(format!("read task failed: {e}").into()))?
    }

    /// Runs blocking code on a write connection, on the blocking thread pool: the operators'
    /// rare changes made outside the writer's batches (a center, a user, a training set). On
    /// SQLite it waits for the one write connection, so writes still happen one at a time.
    pub async fn with_write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConn) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.write()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Failed(format!("write task failed: {e}").into()))?
    }

    /// Usage of each pool, for metrics: (pool, connections, idle).
    pub fn pool_state(&self) -> Vec<(&'static str, u32, u32)> {
        match &self.pools {
            Pools::Sqlite { read, write } => vec![
                (
                    "read",
                    read.state().connections,
                    read.state().idle_connections,
                ),
                (
                    "write",
                    write.state().connections,
                    write.state().idle_connections,
                ),
            ],
            Pools::Pg { read, write } => vec![
                (
                    "read",
                    read.state().connections,
                    read.state().idle_connections,
                ),
                (
                    "write",
                    write.state().connections,
                    write.state().idle_connections,
                ),
            ],
        }
    }
}

/// Maps a diesel error to the port's error.
pub fn store_err(e: diesel::result::Error) -> StoreError {
    use diesel::result::Error as E;
    match e {
        E::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, info) => {
            StoreError::Unavailable(info.message().into())
        }
        E::DeserializationError(e) => StoreError::Corrupt(e.to_string().into()),
        other => StoreError::Failed(Cause::new(other)),
    }
}
