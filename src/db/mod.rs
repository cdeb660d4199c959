//! Database connection (temporary stand-in on the `face` branch with the API the
//! lead engineer's `db` module provides on `main`; replaced by it at merge).

use diesel::RunQueryDsl;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    // Pg first: the derived `establish` tries variants in order, and SQLite
    // would accept a postgres:// URL as a file name.
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            diesel::sql_query("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                .execute(c)
                .map_err(diesel::r2d2::Error::QueryError)?;
            let _ = diesel::sql_query("PRAGMA journal_mode = WAL;").execute(c);
        }
        Ok(())
    }
}

/// Opens a pool on a SQLite file path or a `postgres://` URL and runs the
/// embedded migrations.
pub fn connect(url: &str) -> anyhow::Result<DbPool> {
    let manager = ConnectionManager::<DbConnection>::new(url);
    let pool = Pool::builder()
        .max_size(4)
        .connection_customizer(Box::new(Pragmas))
        .build(manager)?;
    let mut conn = pool.get()?;
    match &mut *conn {
        DbConnection::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrations: {e}"))?;
        }
        DbConnection::Pg(c) => {
            c.run_pending_migrations(PG_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrations: {e}"))?;
        }
    }
    Ok(pool)
}
