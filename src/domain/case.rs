//! The case state machine (the first half of the workflow; see docs/ARCHITECTURE.md).
//!
//! ```text
//! draft ──submit──▶ submitted ──approve──▶ approved ──searches done──▶ searched
//!   ▲                  │   │                                              │
//!   └──return (edit)───┘   └──reject──▶ rejected          examination concluded
//! returned ──resubmit──▶ submitted                                        ▼
//! withdrawn ◀── withdraw (draft, submitted, returned,    concluded (packet issued;
//!                approved, searched: by the requester)     re-issue keeps it concluded)
//! result_withdrawn ◀── withdraw result (concluded: by a supervisor)
//! ```
//! `withdrawn` (the requester withdrew the request before a result) and `result_withdrawn` (a
//! supervisor withdrew the issued result) are different states with different labels.
//! Every transition is checked here; the service layer writes the new state, a timeline event
//! and an audit record in one transaction.

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
    /// Every probe image has been searched (or found to hold no face); examiners review next.
    Searched,
    /// The examination concluded and a signed result packet was issued to the requester.
    Concluded,
    Rejected,
    /// The requester withdrew the request before a result was issued.
    Withdrawn,
    /// A supervisor withdrew the issued result (every packet stopped being current).
    ResultWithdrawn,
}

/// Something a user asks to do to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    Edit,
    Submit,
    Approve,
    Return,
    Reject,
    Withdraw,
    /// The system finished every search job of the case.
    CompleteSearch,
    /// A result packet is issued (first issue, or a re-issue after a correction).
    IssueResult,
    /// The issued result is withdrawn (every packet stops being current).
    WithdrawResult,
}

/// A transition that is not legal from the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot be {action}")]
pub struct TransitionError {
    pub from: CaseStatus,
    pub action: &'static str,
}

crate::text_state!(CaseStatus, "case status", {
    Draft => "draft",
    Submitted => "submitted",
    Returned => "returned",
    Approved => "approved",
    Searched => "searched",
    Concluded => "concluded",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
    ResultWithdrawn => "result_withdrawn",
});

impl CaseStatus {
    /// Human label shown in the status badge.
    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Draft => "Draft",
            CaseStatus::Submitted => "Awaiting compliance review",
            CaseStatus::Returned => "Returned for correction",
            CaseStatus::Approved => "Approved — probe assessment and search by an examiner",
            CaseStatus::Searched => "Searched — awaiting examiner review",
            CaseStatus::Concluded => "Result issued (investigative lead only)",
            CaseStatus::Rejected => "Rejected",
            CaseStatus::Withdrawn => "Withdrawn by the requester",
            CaseStatus::ResultWithdrawn => "Result withdrawn",
        }
    }

    /// What happens next, in a sentence: shown under the status at the top of the case page
    /// for every role.
    pub fn next_step(self) -> &'static str {
        match self {
            CaseStatus::Draft => {
                "Not submitted yet: complete the form and submit it; a reviewer then checks it against the policy."
            }
            CaseStatus::Submitted => {
                "A reviewer checks the request against the policy and approves it, returns it for correction or rejects it; the requester is told by email."
            }
            CaseStatus::Returned => {
                "The requester corrects the request as the reviewer asks and submits it again; it then goes back to a reviewer."
            }
            CaseStatus::Approved => {
                "A trained examiner assesses the probe images and starts the search of the booking-photo gallery."
            }
            CaseStatus::Searched => {
                "Two trained examiners compare the probe with each candidate (a first review, then a blind second review; a supervisor settles a disagreement). The signed result packet is then issued."
            }
            CaseStatus::Concluded => {
                "Nothing more, unless a supervisor corrects or withdraws the result (the requester is told by email). The signed packet is an investigative lead only, never a positive identification."
            }
            CaseStatus::Rejected => {
                "Nothing more happens to this request: it does not meet the policy. A new request may be made."
            }
            CaseStatus::Withdrawn => {
                "Nothing more happens: the requester withdrew the request before a result was issued (the reason is on the timeline). A new request may be made."
            }
            CaseStatus::ResultWithdrawn => {
                "Nothing more happens: a supervisor withdrew the issued result, so no packet of this case is current (the requester was told by email)."
            }
        }
    }

    /// Whether the requester may change the form (drafts and returned requests).
    pub fn is_editable(self) -> bool {
        matches!(self, CaseStatus::Draft | CaseStatus::Returned)
    }

    /// Whether nothing more can happen to the case (rejected, withdrawn, result withdrawn).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Rejected | CaseStatus::Withdrawn | CaseStatus::ResultWithdrawn
        )
    }

    /// Whether the requester may still withdraw the request: submitted or not, until a result
    /// is issued.
    pub fn may_withdraw(self) -> bool {
        self.apply(CaseAction::Withdraw).is_ok()
    }

    /// The state `action` leads to, or why it is not allowed now.
    pub fn apply(self, action: CaseAction) -> Result<CaseStatus, TransitionError> {
        use CaseAction as A;
        use CaseStatus as S;
        let next = match (self, action) {
            (S::Draft, A::Edit) => Some(S::Draft),
            (S::Returned, A::Edit) => Some(S::Returned),
            (S::Draft | S::Returned, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Approve) => Some(S::Approved),
            (S::Submitted, A::Return) => Some(S::Returned),
            (S::Submitted, A::Reject) => Some(S::Rejected),
            (S::Draft | S::Submitted | S::Returned | S::Approved | S::Searched, A::Withdraw) => {
                Some(S::Withdrawn)
            }
            (S::Approved, A::CompleteSearch) => Some(S::Searched),
            (S::Searched | S::Concluded, A::IssueResult) => Some(S::Concluded),
            (S::Concluded, A::WithdrawResult) => Some(S::ResultWithdrawn),
            _ => None,
        };
        next.ok_or(TransitionError {
            from: self,
            action: action.past_tense(),
        })
    }
}

impl CaseAction {
    pub fn past_tense(self) -> &'static str {
        match self {
            CaseAction::Edit => "edited",
            CaseAction::Submit => "submitted",
            CaseAction::Approve => "approved",
            CaseAction::Return => "returned for correction",
            CaseAction::Reject => "rejected",
            CaseAction::Withdraw => "withdrawn",
            CaseAction::CompleteSearch => "marked searched",
            CaseAction::IssueResult => "given a result",
            CaseAction::WithdrawResult => "withdrawn after its result",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_says_what_happens_next() {
        for s in [
            CaseStatus::Draft,
            CaseStatus::Submitted,
            CaseStatus::Returned,
            CaseStatus::Approved,
            CaseStatus::Searched,
            CaseStatus::Concluded,
            CaseStatus::Rejected,
            CaseStatus::Withdrawn,
            CaseStatus::ResultWithdrawn,
        ] {
            assert!(s.next_step().ends_with('.'), "{s:?}");
        }
        assert!(CaseStatus::Returned.next_step().contains("corrects"));
    }

    const ACTIONS: [CaseAction; 9] = [
        CaseAction::CompleteSearch,
        CaseAction::IssueResult,
        CaseAction::WithdrawResult,
        CaseAction::Edit,
        CaseAction::Submit,
        CaseAction::Approve,
        CaseAction::Return,
        CaseAction::Reject,
        CaseAction::Withdraw,
    ];

    #[test]
    fn decisions_only_on_submitted_cases() {
        for &s in CaseStatus::ALL {
            for a in [CaseAction::Approve, CaseAction::Return, CaseAction::Reject] {
                assert_eq!(
                    s.apply(a).is_ok(),
                    s == CaseStatus::Submitted,
                    "{s:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in [
            CaseStatus::Rejected,
            CaseStatus::Withdrawn,
            CaseStatus::ResultWithdrawn,
        ] {
            assert!(s.is_final());
            for a in ACTIONS {
                assert!(s.apply(a).is_err(), "{s:?} {a:?}");
            }
        }
    }

    #[test]
    fn return_then_resubmit() {
        let s = CaseStatus::Draft.apply(CaseAction::Submit).unwrap();
        let s = s.apply(CaseAction::Return).unwrap();
        assert!(s.is_editable());
        assert_eq!(s.apply(CaseAction::Submit).unwrap(), CaseStatus::Submitted);
    }

    #[test]
    fn results_only_after_search() {
        for &s in CaseStatus::ALL {
            assert_eq!(
                s.apply(CaseAction::IssueResult).is_ok(),
                matches!(s, CaseStatus::Searched | CaseStatus::Concluded),
                "{s:?}"
            );
            assert_eq!(
                s.apply(CaseAction::WithdrawResult).ok(),
                (s == CaseStatus::Concluded).then_some(CaseStatus::ResultWithdrawn),
                "{s:?}"
            );
        }
    }

    #[test]
    fn the_requester_withdraws_until_a_result_is_issued() {
        for &s in CaseStatus::ALL {
            let open = matches!(
                s,
                CaseStatus::Draft
                    | CaseStatus::Submitted
                    | CaseStatus::Returned
                    | CaseStatus::Approved
                    | CaseStatus::Searched
            );
            assert_eq!(s.may_withdraw(), open, "{s:?}");
            if open {
                assert_eq!(s.apply(CaseAction::Withdraw), Ok(CaseStatus::Withdrawn));
            }
        }
        assert_ne!(
            CaseStatus::Withdrawn.label(),
            CaseStatus::ResultWithdrawn.label()
        );
    }

    #[test]
    fn status_strings_round_trip() {
        for &s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Ok(s));
        }
    }
}
