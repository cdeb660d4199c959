pub mod assessment;
pub mod faces;
pub mod review;
