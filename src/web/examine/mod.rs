pub mod assessment;
pub mod claims;
pub mod faces;
pub mod queue;
pub mod review;
