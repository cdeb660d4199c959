//! Turnaround clocks and dashboards (issue 16): the stages of each case with their due times
//! (`spans`), how they are shown (`due`), the turnaround figures and queue depth of the service
//! (`figures`), and each person's dashboard (`dashboard`).

pub mod chart;
pub mod dashboard;
pub mod due;
pub mod figures;
pub mod spans;

pub use due::DueLabel;
pub use spans::{CaseFacts, Clocks};
