//! accounts

pub mod second_factor;
pub mod password;
pub mod session;
pub mod second_factor_store;
pub mod account;
pub mod store;
pub mod hygiene_store;
pub mod lifecycle;
pub mod lockout;
