pub mod edit;
pub mod form;
pub mod image;
pub mod list;
pub mod new;
pub mod packet;
pub mod save;
pub mod show;
