//! Separation of duties on one case (docs/POLICIES.md, "Separation of duties"; NY MPTC §IV.A,
//! §IV.E): nobody reviews, examines or adjudicates a request they submitted; the reviewer who
//! approved a case is not one of its examiners (nor its adjudicator, nor the examiner who starts
//! its search) unless the service's setting `face.approver_may_examine` allows it; the
//! adjudicating supervisor examined nothing of the case. A disputed case so needs three
//! distinct trained people: two examiners and a supervisor.
//!
//! Pure: callers load the [`CaseParties`] and pass the user id.

/// Who has already acted on a case, by user id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseParties {
    /// The account that submitted the request.
    pub requester: i64,
    /// Reviewers who approved a version of the request.
    pub approvers: Vec<i64>,
    /// Examiners who recorded a review of one of the case's candidate lists.
    pub examiners: Vec<i64>,
}

/// A duty the user may not take on this case; `Display` is the user's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DutyRefusal {
    #[error("You submitted this request: someone else must review, examine or adjudicate it.")]
    OwnRequest,
    #[error(
        "You approved this request in compliance review: another examiner must do the examination."
    )]
    ApprovedIt,
    #[error("You examined this case: the adjudication must be done by a supervisor who did not.")]
    ExaminedIt,
}

/// The examination duties of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Compliance review of the request.
    Review,
    /// Starting the search (probe assessment) or recording an examiner review.
    Examine,
    /// A supervisor's adjudication of the examiners' disagreement.
    Adjudicate,
}

/// Whether `user` may take `duty` on the case of `parties`.
pub fn may_take(
    user: i64,
    duty: Duty,
    parties: &CaseParties,
    approver_may_examine: bool,
) -> Result<(), DutyRefusal> {
    if parties.requester == user {
        return Err(DutyRefusal::OwnRequest);
    }
    let approved = parties.approvers.contains(&user);
    match duty {
        Duty::Review => Ok(()),
        Duty::Examine if approved && !approver_may_examine => Err(DutyRefusal::ApprovedIt),
        Duty::Examine => Ok(()),
        Duty::Adjudicate if parties.examiners.contains(&user) => Err(DutyRefusal::ExaminedIt),
        Duty::Adjudicate if approved && !approver_may_examine => Err(DutyRefusal::ApprovedIt),
        Duty::Adjudicate => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> CaseParties {
        CaseParties {
            requester: 1,
            approvers: vec![2],
            examiners: vec![3, 4],
        }
    }

    #[test]
    fn nobody_acts_on_their_own_request() {
        for d in [Duty::Review, Duty::Examine, Duty::Adjudicate] {
            assert_eq!(
                may_take(1, d, &parties(), true),
                Err(DutyRefusal::OwnRequest)
            );
        }
    }

    #[test]
    fn the_approver_examines_only_where_the_setting_allows() {
        assert_eq!(
            may_take(2, Duty::Examine, &parties(), false),
            Err(DutyRefusal::ApprovedIt)
        );
        assert_eq!(may_take(2, Duty::Examine, &parties(), true), Ok(()));
        assert_eq!(
            may_take(2, Duty::Adjudicate, &parties(), false),
            Err(DutyRefusal::ApprovedIt)
        );
    }

    #[test]
    fn the_adjudicator_examined_nothing() {
        assert_eq!(
            may_take(3, Duty::Adjudicate, &parties(), true),
            Err(DutyRefusal::ExaminedIt)
        );
        assert_eq!(may_take(5, Duty::Adjudicate, &parties(), false), Ok(()));
        assert_eq!(may_take(3, Duty::Examine, &parties(), false), Ok(()));
    }
}
