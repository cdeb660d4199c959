//! The write transaction every workflow change runs in.

use crate::platform::db::pool::DbConnection;

/// Starts a write transaction. On SQLite the first statement is a write, so the transaction
/// takes the write lock at once (waiting up to the busy timeout) instead of failing later with
/// `SQLITE_BUSY` when a read snapshot is upgraded.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Sqlite(_)) {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE agencies SET active = active WHERE 1 = 0").execute(conn)?;
        }
        f(conn)
    })
}
