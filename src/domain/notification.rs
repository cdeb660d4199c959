//! Staff notifications (issue 16, "Staff notifications"): the kinds, how each user wants them
//! delivered, and which kinds are compliance reminders that cannot be switched off.
//!
//! Pure: `crate::notifications` stores the choices and the notifications and sends the email.

use crate::domain::Role;

/// What a staff notification is about. Stored as text in `notifications.kind` and
/// `notification_preferences.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotificationKind {
    /// A request was submitted or a corrected version resubmitted: for reviewers.
    RequestSubmitted,
    /// A case's probes await an examiner's probe assessment, or its candidate lists their first
    /// review: for trained examiners who may examine the case.
    SearchAwaiting,
    /// A candidate list awaits its blind second review: for trained examiners other than the
    /// one who did the first review.
    SecondReviewAwaiting,
    /// The examiners disagree: for trained supervisors who may adjudicate the case.
    AdjudicationNeeded,
    /// A monthly audit or quarterly access review is due or overdue (`crate::audit::calendar`):
    /// a compliance reminder for local administrators (and system administrators' copies).
    AuditDue,
    /// A legal hold's two-yearly review is due or overdue (`crate::retention::daily`): a
    /// compliance reminder for local and system administrators.
    HoldReviewDue,
}

crate::text_state!(NotificationKind, "notification kind", {
    RequestSubmitted => "request_submitted",
    SearchAwaiting => "search_awaiting",
    SecondReviewAwaiting => "second_review_awaiting",
    AdjudicationNeeded => "adjudication_needed",
    AuditDue => "audit_due",
    HoldReviewDue => "hold_review_due",
});

impl NotificationKind {
    /// The label on the account page and in emails.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::RequestSubmitted => "New and resubmitted requests to review",
            NotificationKind::SearchAwaiting => {
                "Searches awaiting an examiner (probe assessment, first review)"
            }
            NotificationKind::SecondReviewAwaiting => "Blind second reviews awaiting an examiner",
            NotificationKind::AdjudicationNeeded => "Examiners' disagreements to adjudicate",
            NotificationKind::AuditDue => "Monthly audits and access reviews due or overdue",
            NotificationKind::HoldReviewDue => "Legal hold reviews due or overdue",
        }
    }

    /// Compliance reminders (LACRIS FR Policy "Audits"; LAPD ALPR order on holds) are always
    /// sent at once: their preference is fixed to [`Delivery::Immediate`].
    pub fn is_compliance(self) -> bool {
        matches!(
            self,
            NotificationKind::AuditDue | NotificationKind::HoldReviewDue
        )
    }

    /// The roles whose holders receive this kind (any one of them); the account page lists
    /// only the kinds of the user's roles.
    pub fn roles(self) -> &'static [Role] {
        match self {
            NotificationKind::RequestSubmitted => &[Role::Reviewer],
            NotificationKind::SearchAwaiting | NotificationKind::SecondReviewAwaiting => {
                &[Role::Examiner]
            }
            NotificationKind::AdjudicationNeeded => &[Role::Supervisor],
            NotificationKind::AuditDue => &[Role::LocalAdmin, Role::SystemAdmin],
            NotificationKind::HoldReviewDue => &[Role::LocalAdmin, Role::SystemAdmin],
        }
    }

    /// The kinds a holder of `roles` receives, in [`NotificationKind::ALL`] order.
    pub fn for_roles(roles: &crate::domain::Roles) -> Vec<NotificationKind> {
        NotificationKind::ALL
            .iter()
            .copied()
            .filter(|k| k.roles().iter().any(|r| roles.has(*r)))
            .collect()
    }

    /// The form field of this kind's choice on the account page, e.g. `pref_request_submitted`.
    pub fn field(self) -> &'static str {
        match self {
            NotificationKind::RequestSubmitted => "pref_request_submitted",
            NotificationKind::SearchAwaiting => "pref_search_awaiting",
            NotificationKind::SecondReviewAwaiting => "pref_second_review_awaiting",
            NotificationKind::AdjudicationNeeded => "pref_adjudication_needed",
            NotificationKind::AuditDue => "pref_audit_due",
            NotificationKind::HoldReviewDue => "pref_hold_review_due",
        }
    }
}

/// How a user wants one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// An email for each notification, queued with the event.
    Immediate,
    /// Collected into one email a day (the service's daily digest run).
    Digest,
    /// Not sent.
    Off,
}

crate::text_state!(Delivery, "notification delivery", {
    Immediate => "immediate",
    Digest => "digest",
    Off => "off",
});

impl Delivery {
    /// What a user gets before choosing: every kind at once (documented in docs/POLICIES.md).
    pub const DEFAULT: Delivery = Delivery::Immediate;

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediate => "Email at once",
            Delivery::Digest => "Daily digest",
            Delivery::Off => "Off",
        }
    }
}

/// A refused preference; `Display` is the message shown beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferenceError {
    #[error(
        "This is a compliance reminder (LACRIS FR Policy \"Audits\"): it is always emailed at once and cannot be switched off or collected into a digest."
    )]
    Compliance,
    #[error("Choose email at once, daily digest or off.")]
    Unknown,
}

/// The delivery chosen for `kind` from the submitted `value`; a missing value keeps `current`.
///
/// Errors: [`PreferenceError::Compliance`] for anything but immediate on a compliance kind;
/// [`PreferenceError::Unknown`] for a value that is no delivery.
pub fn choose(
    kind: NotificationKind,
    value: Option<&str>,
    current: Delivery,
) -> Result<Delivery, PreferenceError> {
    let Some(v) = value else {
        return Ok(current);
    };
    let d = Delivery::parse(v.trim()).map_err(|_| PreferenceError::Unknown)?;
    if kind.is_compliance() && d != Delivery::Immediate {
        return Err(PreferenceError::Compliance);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Roles;

    #[test]
    fn compliance_reminders_cannot_be_switched_off_or_digested() {
        for k in [NotificationKind::AuditDue, NotificationKind::HoldReviewDue] {
            assert_eq!(
                choose(k, Some("off"), Delivery::Immediate),
                Err(PreferenceError::Compliance)
            );
            assert_eq!(
                choose(k, Some("digest"), Delivery::Immediate),
                Err(PreferenceError::Compliance)
            );
            assert_eq!(
                choose(k, Some("immediate"), Delivery::Immediate),
                Ok(Delivery::Immediate)
            );
        }
        assert_eq!(
            choose(
                NotificationKind::RequestSubmitted,
                Some("off"),
                Delivery::Digest
            ),
            Ok(Delivery::Off)
        );
        assert_eq!(
            choose(
                NotificationKind::RequestSubmitted,
                Some("weekly"),
                Delivery::Digest
            ),
            Err(PreferenceError::Unknown)
        );
        assert_eq!(
            choose(NotificationKind::RequestSubmitted, None, Delivery::Digest),
            Ok(Delivery::Digest)
        );
    }

    #[test]
    fn each_role_sees_its_own_kinds() {
        let Ok(r) = Roles::parse("examiner") else {
            panic!("roles")
        };
        assert_eq!(
            NotificationKind::for_roles(&r),
            vec![
                NotificationKind::SearchAwaiting,
                NotificationKind::SecondReviewAwaiting
            ]
        );
        let Ok(r) = Roles::parse("requester") else {
            panic!("roles")
        };
        assert!(NotificationKind::for_roles(&r).is_empty());
    }
}
