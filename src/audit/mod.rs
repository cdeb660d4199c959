//! The audit trail: one append-only record per action (LACRIS FR Policy "Audits": login time,
//! date of search, subjects viewed; LAPD's order: date and time, data used to query, user,
//! purpose). Records are written in the same transaction as the action they describe, and no
//! code path updates or deletes them.

pub mod anchor;
pub mod breach;
pub mod calendar;
pub mod chain;
pub mod corrective;
pub mod daily_check;
pub mod entry;
pub mod monthly;
pub mod monthly_report;
pub mod outcomes;
pub mod rereview;
pub mod signed_head;
pub mod store;
pub mod trail;

pub use entry::{Actor, Entry, Outcome, record};
