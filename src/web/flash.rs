//! The confirmation after a decision (issue 15: "after a decision, a confirmation and a link to
//! the next item in the queue"): the handler that made the decision stores what was done in the
//! session and redirects to the queue, which shows it once ("Review recorded for FR-…") with the
//! next item of the person's queue. Works without script; the session cookie is signed, so the
//! confirmation cannot be forged with a link.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::web::error::AppError;

const SESSION_DONE: &str = "done";

/// What was just done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    Approved,
    Returned,
    Rejected,
    SearchStarted,
    ReviewRecorded,
    Adjudicated,
}

impl Done {
    pub fn message(self, case_number: &str) -> String {
        match self {
            Done::Approved => format!("Request {case_number} approved."),
            Done::Returned => format!("Request {case_number} returned to the requester."),
            Done::Rejected => format!("Request {case_number} rejected."),
            Done::SearchStarted => format!("Search started for {case_number}."),
            Done::ReviewRecorded => format!("Review recorded for {case_number}."),
            Done::Adjudicated => format!("Adjudication recorded for {case_number}."),
        }
    }
}

/// The stored confirmation: what, and on which case.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Flash {
    pub done: Done,
    pub case_id: i64,
}

/// Stores the confirmation for the next page.
///
/// Errors: the session cannot be written (500).
pub fn set(session: &Session, done: Done, case_id: i64) -> Result<(), AppError> {
    session
        .insert(SESSION_DONE, Flash { done, case_id })
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Failed to store the confirmation: {e}")))
}

/// Takes the confirmation, if any (shown once).
pub fn take(session: &Session) -> Option<Flash> {
    session
        .remove_as::<Flash>(SESSION_DONE)
        .and_then(Result::ok)
}

/// Stores the confirmation and redirects to `to` (303).
///
/// Errors: see [`set`].
pub fn redirect(
    session: &Session,
    done: Done,
    case_id: i64,
    to: &str,
) -> Result<actix_web::HttpResponse, AppError> {
    set(session, done, case_id)?;
    Ok(crate::web::respond::redirect(to))
}

/// The confirmation as a queue page shows it.
pub struct Confirmation {
    pub message: String,
    /// The case the decision was about.
    pub case_href: String,
    /// The next item of the person's queue, or `None`: "Your queue is empty".
    pub next: Option<NextItem>,
}

/// The next item of a queue: a link, or (examiners' work, which is claimed first) a
/// "Claim and start" button posting `claim_key`.
pub struct NextItem {
    pub label: String,
    pub href: String,
    pub claim_key: Option<String>,
}
