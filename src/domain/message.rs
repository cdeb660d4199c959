//! Messages on a case (issue 16): who takes part in a case's thread, and what a message may
//! hold. Pure rules; the store and the workflow are `src/cases/messages.rs`.
//!
//! The thread is between two sides:
//! - **agency**: the requesting agency — a requester of the case's agency, or that agency's
//!   local administrator;
//! - **service**: the service's reviewers, supervisors and system administrators.
//!
//! Examiners are kept out while the case is open, so the examination stays blind and unbiased:
//! a user holding the examiner or supervisor role (both compare candidates — a supervisor
//! adjudicates) neither reads nor posts until the case is closed (result issued, result
//! withdrawn, rejected or withdrawn). Once closed, an examiner may read the thread (it is part
//! of the case record) but does not post: they are not a party to the conversation. A
//! supervisor then reads and posts like a reviewer (they handle corrections of the result).

use crate::domain::{CaseStatus, Role, Roles};

/// Longest message, in characters (after cleaning).
pub const MAX_CHARS: usize = 4000;

/// Most image attachments on one message.
pub const MAX_ATTACHMENTS: usize = 4;

/// Which side of the thread a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The requesting agency (requester, local administrator).
    Agency,
    /// The service's staff (reviewers, supervisors, system administrators).
    Service,
}

crate::text_state!(Side, "message side", {
    Agency => "agency",
    Service => "service",
});

impl Side {
    /// The other side (who is told of a new message).
    pub fn other(self) -> Side {
        match self {
            Side::Agency => Side::Service,
            Side::Service => Side::Agency,
        }
    }

    /// How the side is named on pages and in audit records.
    pub fn label(self) -> &'static str {
        match self {
            Side::Agency => "Requesting agency",
            Side::Service => "Service",
        }
    }
}

/// What a user may do with a case's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads and posts, as `Side`.
    Post(Side),
    /// Reads only (an examiner after the case closed).
    Read,
    /// Refused while the examination is open (examiners and supervisors): answered 403 and
    /// audited, the thread hidden from their pages.
    BlindExamination,
    /// Not a party (e.g. an auditor, another agency's user): no thread.
    None,
}

impl Access {
    /// Whether the thread is shown.
    pub fn may_read(self) -> bool {
        matches!(self, Access::Post(_) | Access::Read)
    }

    /// The side the user posts as, if they may post.
    pub fn side(self) -> Option<Side> {
        match self {
            Access::Post(s) => Some(s),
            _ => None,
        }
    }
}

/// Whether the case is closed for the blind-examination rule: a result was issued or
/// withdrawn, or the request was rejected or withdrawn.
pub fn examination_closed(status: CaseStatus) -> bool {
    matches!(status, CaseStatus::Concluded) || status.is_final()
}

/// The access of a user with (effective) `roles`, of the service agency or not
/// (`service_staff`), of the case's agency or not (`own_agency`), to the thread of a case that
/// is `status`. A draft has no thread (nobody on the other side sees it yet).
pub fn access(roles: &Roles, service_staff: bool, own_agency: bool, status: CaseStatus) -> Access {
    if status == CaseStatus::Draft {
        return Access::None;
    }
    let closed = examination_closed(status);
    if service_staff {
        let compares = roles.has(Role::Examiner) || roles.has(Role::Supervisor);
        if compares && !closed {
            return Access::BlindExamination;
        }
        if roles.has(Role::Reviewer) || roles.has(Role::Supervisor) || roles.has(Role::SystemAdmin)
        {
            return Access::Post(Side::Service);
        }
        if roles.has(Role::Examiner) {
            return Access::Read;
        }
    }
    if own_agency && (roles.has(Role::Requester) || roles.has(Role::LocalAdmin)) {
        return Access::Post(Side::Agency);
    }
    Access::None
}

/// Why a message was refused; `Display` is the message shown beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("Write a message (attachments alone are not sent).")]
    Empty,
    #[error("A message is at most {MAX_CHARS} characters; this one has {0}.")]
    TooLong(usize),
}

/// The message as stored: cleaned (`domain::text::multi_line`), trimmed, at most
/// [`MAX_CHARS`] characters. Errors: [`BodyError`].
pub fn clean_body(typed: &str) -> Result<String, BodyError> {
    let body = crate::domain::text::multi_line(typed).trim().to_string();
    let n = body.chars().count();
    if n == 0 {
        return Err(BodyError::Empty);
    }
    if n > MAX_CHARS {
        return Err(BodyError::TooLong(n));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[Role]) -> Roles {
        Roles::new(r.to_vec())
    }

    #[test]
    fn examiners_are_kept_out_until_the_case_closes() {
        let ex = roles(&[Role::Examiner]);
        let sup = roles(&[Role::Supervisor, Role::Examiner]);
        let dual = roles(&[Role::Reviewer, Role::Examiner]);
        for s in [
            CaseStatus::Submitted,
            CaseStatus::Approved,
            CaseStatus::Searched,
        ] {
            assert_eq!(access(&ex, true, false, s), Access::BlindExamination);
            assert_eq!(access(&sup, true, false, s), Access::BlindExamination);
            assert_eq!(access(&dual, true, false, s), Access::BlindExamination);
        }
        assert_eq!(
            access(&ex, true, false, CaseStatus::Concluded),
            Access::Read
        );
        assert_eq!(
            access(&sup, true, false, CaseStatus::Concluded),
            Access::Post(Side::Service)
        );
    }

    #[test]
    fn the_two_sides() {
        let rev = roles(&[Role::Reviewer]);
        let req = roles(&[Role::Requester]);
        let la = roles(&[Role::LocalAdmin]);
        let aud = roles(&[Role::Auditor]);
        let s = CaseStatus::Submitted;
        assert_eq!(access(&rev, true, false, s), Access::Post(Side::Service));
        assert_eq!(access(&req, false, true, s), Access::Post(Side::Agency));
        assert_eq!(access(&la, false, true, s), Access::Post(Side::Agency));
        assert_eq!(access(&req, false, false, s), Access::None);
        assert_eq!(access(&aud, false, true, s), Access::None);
        assert_eq!(access(&req, false, true, CaseStatus::Draft), Access::None);
    }

    #[test]
    fn bodies_are_cleaned_and_limited() {
        assert_eq!(clean_body("  a\u{202E}b\r\nc "), Ok("ab\nc".to_string()));
        assert_eq!(clean_body(" \u{200B} "), Err(BodyError::Empty));
        let long = "x".repeat(MAX_CHARS + 1);
        assert_eq!(clean_body(&long), Err(BodyError::TooLong(MAX_CHARS + 1)));
    }
}
