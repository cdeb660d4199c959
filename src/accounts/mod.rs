//! accounts

pub mod account;
pub mod hygiene_store;
pub mod lifecycle;
pub mod lockout;
pub mod password;
pub mod people;
pub mod restriction;
pub mod second_factor;
pub mod second_factor_store;
pub mod session;
pub mod store;
pub mod training;
