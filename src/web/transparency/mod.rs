//! The public transparency report (no login): `/transparency`, `.csv` and `.pdf`.

pub mod audits;
pub mod limit;
pub mod published;
pub mod report;
