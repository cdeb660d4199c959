//! Corrective actions after an audit finding (LACRIS FR Policy "Accountability and
//! Enforcement": "Corrective action must be taken if LACRIS or the local administrator
//! determines a violation … Penalties include but are not limited to re-training, restricted
//! access, revoked access, or prosecution"). Pure: the kinds and what a restriction refuses.

/// What is done about a finding, stored in `corrective_actions.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectiveKind {
    /// Re-training: recorded and followed up (completed when the training is done); the
    /// account is otherwise unchanged.
    Retraining,
    /// Restricted access: while the action is open the account may sign in and read, but
    /// none of [`RESTRICTED_ACTIONS`]; completing the action lifts the restriction.
    RestrictedAccess,
    /// Revoked access: the account is deactivated at once (the existing deactivation).
    Revocation,
}

crate::text_state!(CorrectiveKind, "corrective action kind", {
    Retraining => "retraining",
    RestrictedAccess => "restricted_access",
    Revocation => "revocation",
});

impl CorrectiveKind {
    pub fn label(self) -> &'static str {
        match self {
            CorrectiveKind::Retraining => "Re-training",
            CorrectiveKind::RestrictedAccess => "Restricted access",
            CorrectiveKind::Revocation => "Revoked access",
        }
    }
}

/// What a restricted account may not do (each refused in its workflow function and audited
/// as denied): submit or resubmit a request, start a search, review a candidate list,
/// adjudicate, download a lead packet. Everything its roles let it read stays open.
pub const RESTRICTED_ACTIONS: &[&str] = &[
    "submit or resubmit a request",
    "start a search",
    "review a candidate list",
    "adjudicate",
    "download a lead packet",
];

/// The refusal of an action to a restricted account; `Display` is the user's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Your access is restricted after an audit finding (corrective action {action_id}): you may read, but not submit requests, start or review searches, adjudicate or download packets until your administrator lifts the restriction."
)]
pub struct Restricted {
    pub action_id: i64,
}
