//! Case-history search: a full-text index (tantivy) over cases and their timelines, for the
//! `GET /search` page.
//!
//! **The database is the truth.** The index is a disposable copy kept in
//! `<data_dir>/history-index`: one document per case (see [`CaseDoc`]) with the case number,
//! agency, requester, search reason, case/file number, status, dates and one free-text field of
//! the timeline, the compliance decisions and — once the examination is concluded — the examiner
//! notes. A background task ([`worker::run`]) keeps it current by catching up on new
//! `timeline_events` rows (every workflow change writes one); `frdesk reindex` rebuilds it; a
//! missing, unreadable or outdated index is rebuilt at start-up ([`HistoryIndex::open_or_rebuild`]).
//!
//! Scope is enforced inside the query: a requester's query always carries a filter on their own
//! agency, and only staff (who see every agency) can match examiner notes.

pub mod bench;
pub mod index;
pub mod query;
pub mod saved;
pub mod source;
pub mod words;
pub mod worker;

pub mod doc;
pub mod schema;

pub use doc::*;
pub use index::HistoryIndex;
pub use query::{HistoryQuery, QueryProblem, Sort};
