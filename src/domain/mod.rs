//! Pure domain types and rules: no I/O. Types here *parse, don't validate*: a value of
//! [`request::SearchRequest`] exists only if the form it came from is complete and lawful.

pub mod account;
pub mod adjudication;
pub mod audit_calendar;
pub mod business_time;
pub mod case;
pub mod clock;
pub mod corrective;
pub mod deleted_access;
pub mod disclosure;
pub mod duties;
pub mod examination;
pub mod ids;
pub mod message;
pub mod notification;
pub mod password;
pub mod reason;
pub mod request;
pub mod rereview;
pub mod retention;
pub mod role;
pub mod state;
pub mod text;
pub mod training;

pub use case::{CaseAction, CaseStatus, TransitionError};
pub use ids::{AgencyId, CaseId, UserId};
pub use request::{AuthorizedPurpose, FormErrors, ImageSource, RequestForm, SearchRequest};
pub use role::{Role, Roles};
