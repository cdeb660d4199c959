//! Staff notifications (issue 16): who is told of which event, each user's choice per kind
//! (at once, daily digest, off; compliance reminders always at once), and delivery through the
//! outbox — queued in the transaction of the event, once per user, kind and event.

pub mod daily_digest;
pub mod digest;
pub mod events;
pub mod notify;
pub mod preferences;
pub mod recipients;
pub mod store;

pub use notify::NotifyContext;
