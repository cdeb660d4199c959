//! result

pub mod issue;
pub mod layout;
pub mod packet;
