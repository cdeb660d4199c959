//! Why a retention action taken by a person was refused.

/// Why a retention action was refused; `Display` is the user's message, details are logged.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(
        "Only a local administrator of the case's agency or the service's staff may request a legal hold, its release or its review."
    )]
    NotAllowedToHold,
    #[error(
        "Only a local administrator of the case's agency, or the service's supervisor or system administrator, may approve or reject a legal hold or its release."
    )]
    NotAllowedToApprove,
    /// The person who requested a hold (or its release) tried to approve it.
    #[error(
        "A second person must approve: you requested this, so another authorised person decides it."
    )]
    SecondPersonRequired,
    /// The hold is not in the state the action needs (e.g. approving an approved hold).
    #[error("{0}")]
    HoldState(&'static str),
    #[error("Only the service's system administrators may open a logically deleted case.")]
    NotAllowedToView,
    #[error(
        "Only another system administrator or a service supervisor may approve or refuse access to a logically deleted case."
    )]
    NotAllowedToDecide,
    #[error("A second person must decide: you cannot approve or refuse your own request.")]
    OwnRequest,
    #[error("That request has already been decided.")]
    AlreadyDecided,
    #[error("Only a local administrator may review their agency's accounts.")]
    NotLocalAdmin,
    #[error("The case was not found.")]
    NotFound,
    #[error("That legal hold is already lifted.")]
    AlreadyLifted,
    /// Field errors for the form: `(field, message)`.
    #[error("Please correct the form.")]
    Invalid(Vec<(&'static str, String)>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
