//! Background work: the persisted job queue ([`queue`]), the leases under which an instance
//! holds a claimed job or outbox message ([`lease`]), and the one loop every background worker
//! runs in ([`runner`]). Each worker lives with its concept (the search job in
//! `search/job.rs`, the packet job in `result/`, the outbox sender in `platform/mail/`, the
//! history catch-up in `history/worker.rs`, the daily audit check and retention pass) and
//! implements [`runner::Worker`].

pub mod daily;
pub mod effects;
pub mod lease;
pub mod queue;
pub mod runner;

pub use queue::*;
