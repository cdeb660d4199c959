pub mod login;
pub mod logout;
pub mod second_factor;
