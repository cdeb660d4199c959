//! Connections: one diesel connection type over SQLite or PostgreSQL, the r2d2 pool, migrations.

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either supported back-end.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    // PostgreSQL first: the derived `establish` tries variants in order, and SQLite would
    // otherwise try to open a postgres:// URL as a file name.
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The connection pool shared by the web server, the background workers and the CLI.
pub type DbPool = Pool<ConnectionManager<DbConnection>>;
/// One connection checked out of [`DbPool`].
pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

/// Which back-end a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite file path
    /// (an optional `sqlite://` prefix is accepted).
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            // busy_timeout first, so the other pragmas wait for a lock instead of failing.
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

fn normalise_url(url: &str) -> String {
    url.strip_prefix("sqlite://").unwrap_or(url).to_string()
}

/// What opening the database does about migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply every pending embedded migration (one instance; `frdesk migrate`).
    Apply,
    /// Apply nothing; refuse a schema with pending migrations (`database.migrate_on_start =
    /// false`, several instances).
    Require,
}

/// Opens a pool on `url` (a `postgres://` URL or a SQLite file path) and runs every pending
/// embedded migration. Errors name the failing step; the URL's password is never logged.
pub fn connect(url: &str) -> anyhow::Result<DbPool> {
    connect_with(url, Migrations::Apply)
}

/// Opens a pool on `url`, then checks the schema: a database with an applied migration this
/// build does not know (a newer frdesk migrated it) is refused either way; pending migrations
/// are applied ([`Migrations::Apply`]) or refused ([`Migrations::Require`]).
///
/// Errors: the database cannot be opened; the schema is newer than this build; migrations are
/// pending under `Require` (the message says to run `frdesk migrate`); a migration failed.
pub fn connect_with(url: &str, migrations: Migrations) -> anyhow::Result<DbPool> {
    let backend = Backend::of_url(url);
    let url = normalise_url(url);
    if backend == Backend::Sqlite
        && let Some(parent) = std::path::Path::new(&url).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Failed to create database folder {}", parent.display()))?;
    }
    if backend == Backend::Sqlite {
        // WAL is a property of the database file: set it once, before the pool opens.
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(&url)
            .context("Failed to open the SQLite database (check database.url and data_dir)")?;
        c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
            .context("Failed to switch the SQLite database to WAL mode")?;
    }
    let manager = ConnectionManager::<DbConnection>::new(url);
    // PostgreSQL: 16 connections kept the case list's p99 at 43 ms under 32 concurrent clients
    // (10 gave more requests/s but a p99 of 150 ms: requests queued for a connection).
    let size = if backend == Backend::Sqlite { 8 } else { 16 };
    let pool = Pool::builder()
        .max_size(size)
        // A PostgreSQL connection can die with its server (a restart): test it on check-out
        // and replace it. A SQLite connection is a file handle that cannot; skip the query.
        .test_on_check_out(backend == Backend::Postgres)
        .connection_customizer(Box::new(SqlitePragmas))
        .connection_timeout(std::time::Duration::from_secs(15))
        .build(manager)
        .context("Failed to open the database (check database.url)")?;
    let mut conn = pool.get().context("Failed to get a database connection")?;
    let schema = schema_state(&mut conn)?;
    if let Some(v) = schema.unknown.first() {
        bail!(
            "The database's schema is newer than this build of frdesk: migration {v} (and {} more) is not one it knows (it knows up to {}). It refuses to work against a schema it was not built for: run the frdesk release that migrated the database.",
            schema.unknown.len() - 1,
            schema.known_latest.as_deref().unwrap_or("none")
        );
    }
    match (migrations, schema.pending.first()) {
        (Migrations::Require, Some(first)) => bail!(
            "The database lacks {} migration(s) this build needs (the first is {first}); with database.migrate_on_start = false, run `frdesk migrate` once, then start the instances.",
            schema.pending.len()
        ),
        (Migrations::Apply, Some(_)) => run_migrations(&mut conn)?,
        (_, None) => {}
    }
    Ok(pool)
}

/// The schema's migrations against the ones embedded in this build (versions such as
/// `20261203000026`, diesel's form of the folder name's date and number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// Applied, and known to this build.
    pub applied: Vec<String>,
    /// Known to this build, not applied.
    pub pending: Vec<String>,
    /// Applied, not known to this build (a newer frdesk migrated the database).
    pub unknown: Vec<String>,
    /// The newest migration this build knows.
    pub known_latest: Option<String>,
}

/// Compares the database's applied migrations with this build's.
///
/// Errors: the migrations table cannot be read.
pub fn schema_state(conn: &mut DbConnection) -> anyhow::Result<SchemaState> {
    use diesel::migration::MigrationSource;
    fn versions<DB: diesel::backend::Backend>(
        source: &EmbeddedMigrations,
    ) -> anyhow::Result<Vec<String>> {
        Ok(MigrationSource::<DB>::migrations(source)
            .map_err(|e| anyhow::anyhow!("Failed to list the embedded migrations: {e}"))?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect())
    }
    let (known, applied) = match conn {
        DbConnection::Sqlite(c) => (
            versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?,
            c.applied_migrations(),
        ),
        DbConnection::Pg(c) => (
            versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)?,
            c.applied_migrations(),
        ),
    };
    let applied: Vec<String> = applied
        .map_err(|e| anyhow::anyhow!("Failed to read the applied migrations: {e}"))?
        .iter()
        .map(|v| v.to_string())
        .collect();
    let mut state = SchemaState {
        applied: applied
            .iter()
            .filter(|v| known.contains(v))
            .cloned()
            .collect(),
        pending: known
            .iter()
            .filter(|v| !applied.contains(v))
            .cloned()
            .collect(),
        unknown: applied
            .iter()
            .filter(|v| !known.contains(v))
            .cloned()
            .collect(),
        known_latest: known.iter().max().cloned(),
    };
    state.pending.sort();
    state.unknown.sort();
    Ok(state)
}

/// Runs every pending migration for the connection's back-end.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    match result {
        Ok(n) => {
            if n > 0 {
                tracing::info!(applied = n, "Applied database migrations");
            }
            Ok(())
        }
        Err(e) => bail!("Failed to run database migrations: {e}"),
    }
}

/// Reverts every applied migration (used by `frdesk migrate --revert-all` and tests that prove
/// the migrations revert cleanly).
pub fn revert_all_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Pg(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    result.map_err(|e| anyhow::anyhow!("Failed to revert migrations: {e}"))
}

/// Runs blocking database work on tokio's blocking thread pool, with a pooled connection.
///
/// Errors: no connection could be had (`E::from` an `anyhow::Error`), the task panicked, or
/// whatever `f` returns.
pub async fn run<T, E, F>(pool: &DbPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<anyhow::Error> + Send + 'static,
{
    let pool = pool.clone();
    match tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .context("Failed to get a database connection")
            .map_err(E::from)?;
        f(&mut conn)
    })
    .await
    {
        Ok(r) => r,
        Err(e) => Err(E::from(anyhow::anyhow!("Blocking task failed: {e}"))),
    }
}
