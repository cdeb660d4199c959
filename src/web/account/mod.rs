//! The user's own account (`/account`): what the desk holds about them, changing the password
//! and renewing the recovery codes ([`crate::accounts::account`]).

pub mod notifications;
pub mod password;
pub mod recovery_codes;
pub mod show;
