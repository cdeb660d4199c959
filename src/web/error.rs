//! Errors of the web layer. Each variant keeps the user's message apart from what is logged:
//! users see plain words; internal details go to the log only.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::accounts::account::AccountError;
use crate::cases::requests::RequestError;
use crate::compliance::decision::DecisionError;
use crate::examination::claims::ClaimError;
use crate::examination::review::ExamineError;
use crate::result::reissue::ResultError;
use crate::retention::error::RetentionError;

/// What can go wrong while serving a page.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The disk is full (507): the message says nothing was saved.
    #[error("storage full: {0}")]
    StorageFull(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("Database query failed"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("Failed to render a template"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotLoggedIn => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&str, String) = match self {
            AppError::NotLoggedIn => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            AppError::Forbidden(m) => ("Not allowed", m.clone()),
            AppError::NotFound => (
                "Not found",
                "There is no such page, or you do not have access to it.".into(),
            ),
            AppError::Csrf => (
                "Form expired",
                "This form has expired or did not come from this site. Go back, reload the page and try again; nothing was saved.".into(),
            ),
            AppError::BadRequest(m) => ("Bad request", m.clone()),
            AppError::Conflict(m) => ("Already changed", m.clone()),
            AppError::StorageFull(m) => {
                tracing::error!("Request refused: storage full");
                ("Storage full", m.clone())
            }
            AppError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "Internal error");
                (
                    "Something went wrong",
                    "The server could not complete this request. Nothing was half-saved; please try again, and tell the help desk if it persists.".into(),
                )
            }
        };
        let status = self.status_code();
        let body = ErrorPage {
            title,
            message: &message,
            status: status.as_u16(),
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}

// ---------------------------------------------------------------- each workflow's errors as pages

impl From<RequestError> for AppError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::NotYours | RequestError::NotRequester | RequestError::Restricted(_) => {
                AppError::Forbidden(e.to_string())
            }
            RequestError::NotEditable(_) => AppError::Conflict(e.to_string()),
            RequestError::StorageFull => AppError::StorageFull(e.to_string()),
            RequestError::Db(d) => AppError::from(d),
            RequestError::Internal(i) => AppError::Internal(i),
        }
    }
}

impl From<RetentionError> for AppError {
    fn from(e: RetentionError) -> Self {
        match e {
            RetentionError::NotAllowedToHold
            | RetentionError::NotAllowedToApprove
            | RetentionError::SecondPersonRequired
            | RetentionError::NotAllowedToView
            | RetentionError::NotAllowedToDecide
            | RetentionError::OwnRequest
            | RetentionError::NotLocalAdmin => AppError::Forbidden(e.to_string()),
            RetentionError::NotFound => AppError::NotFound,
            RetentionError::AlreadyLifted
            | RetentionError::HoldState(_)
            | RetentionError::AlreadyDecided => AppError::Conflict(e.to_string()),
            RetentionError::Invalid(_) => AppError::BadRequest(e.to_string()),
            RetentionError::Db(d) => AppError::from(d),
            RetentionError::Internal(i) => AppError::Internal(i),
        }
    }
}

impl From<DecisionError> for AppError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::NotReviewer | DecisionError::OwnRequest => {
                AppError::Forbidden(e.to_string())
            }
            DecisionError::NotPending(_) => AppError::Conflict(e.to_string()),
            DecisionError::NotFound => AppError::NotFound,
            DecisionError::Db(d) => AppError::from(d),
            DecisionError::Internal(i) => AppError::Internal(i),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<ClaimError> for AppError {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Held(_) | ClaimError::NotClaimed => AppError::Conflict(e.to_string()),
            ClaimError::NotYours | ClaimError::NotSupervisor | ClaimError::NotEligible(_) => {
                AppError::Forbidden(e.to_string())
            }
            ClaimError::Db(d) => d.into(),
        }
    }
}

impl From<ExamineError> for AppError {
    fn from(e: ExamineError) -> Self {
        match e {
            ExamineError::Refused(_)
            | ExamineError::Restricted(_)
            | ExamineError::NotSupervisor
            | ExamineError::Duty(_) => AppError::Forbidden(e.to_string()),
            // A logically deleted case answers as one that does not exist.
            ExamineError::CaseClosed => AppError::NotFound,
            // A probe search or case that does not exist (or not under that case): 404.
            ExamineError::Db(diesel::result::Error::NotFound) => AppError::NotFound,
            ExamineError::Db(d) => AppError::from(d),
            ExamineError::Internal(i) => AppError::Internal(i),
            ExamineError::AlreadyReviewed
            | ExamineError::NotDisputed
            | ExamineError::Claimed(_) => AppError::Conflict(e.to_string()),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(_)
            | AccountError::WrongPassword { .. }
            | AccountError::WrongCode { .. }
            | AccountError::NotEnrolled => AppError::BadRequest(e.to_string()),
            AccountError::Db(d) => AppError::from(d),
            AccountError::Internal(i) => AppError::Internal(i),
        }
    }
}

impl From<ResultError> for AppError {
    fn from(e: ResultError) -> Self {
        match e {
            ResultError::NotSupervisor => AppError::Forbidden(e.to_string()),
            ResultError::Db(d) => AppError::from(d),
            ResultError::Internal(i) => AppError::Internal(i),
            ResultError::AlreadyQueued | ResultError::NoResult => AppError::Conflict(e.to_string()),
            ResultError::NoReason => AppError::BadRequest(e.to_string()),
        }
    }
}
