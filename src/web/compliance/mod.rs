pub mod decide;
pub mod queue;
pub mod show;
