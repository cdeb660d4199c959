pub mod list;
pub mod monthly;
