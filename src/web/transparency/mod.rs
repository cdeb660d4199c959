//! The public transparency report (no login): `/transparency`, `.csv` and `.pdf`.

pub mod published;
pub mod report;
