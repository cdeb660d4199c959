//! Database access: one diesel schema over SQLite or PostgreSQL through a
//! `MultiConnection`, an r2d2 pool, and migrations embedded in the binary.
//!
//! Queries live in `impl` blocks of each concept's row types (`cases::store`, `accounts::store`,
//! `audit::store`, …); handlers and templates never build queries.

pub mod pool;
pub mod schema;
pub mod tx;

pub use pool::*;
pub use tx::write_tx;
