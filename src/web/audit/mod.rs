pub mod calendar;
pub mod list;
pub mod monthly;
pub mod rereview;
