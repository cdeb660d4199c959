pub mod assessment;
pub mod faces;
pub mod queue;
pub mod review;
