//! compliance

pub mod checklist;
pub mod decision;
pub mod store;
