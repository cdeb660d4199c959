//! Access to a logically deleted case and who may receive a result packet (no I/O).
//!
//! LAPD ALPR order, "Retention and Deletion of ALPR Data": logically deleted data "can only be
//! queried by an ALPR System Administrator", and "will only be searchable under the following
//! circumstances" ([`DeletedAccessCriterion`]); the investigator's commanding officer documents
//! that the criteria are met and a second officer (the CO of ITB) approves before the search.
//! NY MPTC §IV.G: results are disseminated only to those with a need to know.

use crate::domain::retention::StatedReason;
use crate::domain::{Role, Roles};

/// How long an approved request opens the case to its requester: 24 hours from approval.
pub const ACCESS_HOURS: i64 = 24;

/// The circumstances under which logically deleted data may be searched (LAPD ALPR order,
/// "Retention and Deletion of ALPR Data", the bulleted list), stored as [`Self::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedAccessCriterion {
    SeriousOrViolentFelony,
    WitnessIntimidation,
    HumanTrafficking,
    ProtectiveOrder,
    Stalking,
    SexOffenderRegistration,
    Terrorism,
    CourtOrder,
}

impl DeletedAccessCriterion {
    /// Every criterion, in the seed's order.
    pub const ALL: [DeletedAccessCriterion; 8] = [
        DeletedAccessCriterion::SeriousOrViolentFelony,
        DeletedAccessCriterion::WitnessIntimidation,
        DeletedAccessCriterion::HumanTrafficking,
        DeletedAccessCriterion::ProtectiveOrder,
        DeletedAccessCriterion::Stalking,
        DeletedAccessCriterion::SexOffenderRegistration,
        DeletedAccessCriterion::Terrorism,
        DeletedAccessCriterion::CourtOrder,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeletedAccessCriterion::SeriousOrViolentFelony => "serious_or_violent_felony",
            DeletedAccessCriterion::WitnessIntimidation => "witness_intimidation",
            DeletedAccessCriterion::HumanTrafficking => "human_trafficking",
            DeletedAccessCriterion::ProtectiveOrder => "protective_order",
            DeletedAccessCriterion::Stalking => "stalking",
            DeletedAccessCriterion::SexOffenderRegistration => "sex_offender_registration",
            DeletedAccessCriterion::Terrorism => "terrorism",
            DeletedAccessCriterion::CourtOrder => "court_order",
        }
    }

    /// The seed's wording.
    pub fn label(self) -> &'static str {
        match self {
            DeletedAccessCriterion::SeriousOrViolentFelony => {
                "The investigation is related to a \"serious felony\" (PC 1192.7(c)) and/or a \"violent felony\" (PC 667.5(c))"
            }
            DeletedAccessCriterion::WitnessIntimidation => {
                "The investigation is related to a violation of 136.1 PC – Intimidation of Witnesses and Victims (with force or threat of force, in a conspiracy, with a prior conviction, or for pecuniary gain)"
            }
            DeletedAccessCriterion::HumanTrafficking => {
                "The investigation is related to a violation of 236.1 PC – Human Trafficking"
            }
            DeletedAccessCriterion::ProtectiveOrder => {
                "The investigation is related to a violation of 273.6(a) PC – Violation of a Protective Order"
            }
            DeletedAccessCriterion::Stalking => {
                "The investigation is related to a violation of 646.9 PC – Stalking"
            }
            DeletedAccessCriterion::SexOffenderRegistration => {
                "The investigation is related to a violation of 290(c) PC – Sex Offender Registration"
            }
            DeletedAccessCriterion::Terrorism => {
                "The investigation is related to terrorist activity (individuals and groups who plan, threaten, finance, aid/abet, attempt or perform unlawful acts in furtherance of terrorist activity)"
            }
            DeletedAccessCriterion::CourtOrder => "Pursuant to a court order",
        }
    }

    /// Errors: `None` for an unknown value (a stored value the code does not know is an error
    /// for the caller, never a default).
    pub fn parse(s: &str) -> Option<DeletedAccessCriterion> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// A request to open a logically deleted case, as typed: the criterion met, the reference that
/// documents it (DR/case number, court order, correspondence; 1–100 characters) and a statement
/// (10–1000 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedAccessRequest {
    pub criterion: DeletedAccessCriterion,
    pub reference: String,
    pub statement: StatedReason,
}

impl DeletedAccessRequest {
    /// Errors: `(field, message)` pairs for `criterion`, `reference` and `statement`.
    pub fn parse(
        criterion: &str,
        reference: &str,
        statement: &str,
    ) -> Result<DeletedAccessRequest, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let criterion = DeletedAccessCriterion::parse(criterion);
        if criterion.is_none() {
            errors.push((
                "criterion",
                "Choose the criterion the investigation meets.".to_string(),
            ));
        }
        let r = reference.trim();
        if r.is_empty() || r.chars().count() > 100 {
            errors.push((
                "reference",
                "Give the DR/case number or the correspondence that documents the criterion (up to 100 characters).".to_string(),
            ));
        }
        let statement = match StatedReason::parse(statement) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(("statement", e));
                None
            }
        };
        match (criterion, statement) {
            (Some(criterion), Some(statement)) if errors.is_empty() => Ok(DeletedAccessRequest {
                criterion,
                reference: r.to_string(),
                statement,
            }),
            _ => Err(errors),
        }
    }
}

/// Who may ask to open a logically deleted case: the service's system administrators only.
pub fn may_request_deleted_access(roles: &Roles, in_service_agency: bool) -> bool {
    in_service_agency && roles.has(Role::SystemAdmin)
}

/// Who may approve or refuse such a request: another system administrator or a supervisor of
/// the service — never the person who asked (checked by the caller with [`is_second_person`]).
pub fn may_decide_deleted_access(roles: &Roles, in_service_agency: bool) -> bool {
    in_service_agency && (roles.has(Role::SystemAdmin) || roles.has(Role::Supervisor))
}

/// Whether the decider is a second person (not the requester).
pub fn is_second_person(requester_id: i64, decider_id: i64) -> bool {
    requester_id != decider_id
}

/// Who may download a case's result packet (NY MPTC §IV.G need to know): the requester who
/// submitted the case, a local administrator of the case's agency, and the service's staff
/// (reviewer, examiner, supervisor, system administrator). Other users of the agency may see
/// the case page but not receive the packet.
pub fn may_receive_packet(
    roles: &Roles,
    in_service_agency: bool,
    of_case_agency: bool,
    is_case_requester: bool,
) -> bool {
    let staff = in_service_agency
        && [
            Role::Reviewer,
            Role::Examiner,
            Role::Supervisor,
            Role::SystemAdmin,
        ]
        .into_iter()
        .any(|r| roles.has(r));
    staff || (of_case_agency && (is_case_requester || roles.has(Role::LocalAdmin)))
}

/// Who sees a case's dissemination log: service staff and the case agency's local administrator.
pub fn may_see_disseminations(
    roles: &Roles,
    in_service_agency: bool,
    of_case_agency: bool,
) -> bool {
    (in_service_agency && roles.sees_all_agencies())
        || (of_case_agency && roles.has(Role::LocalAdmin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_round_trip_and_requests_parse() {
        for c in DeletedAccessCriterion::ALL {
            assert_eq!(DeletedAccessCriterion::parse(c.as_str()), Some(c));
        }
        assert_eq!(DeletedAccessCriterion::parse("curiosity"), None);
        let e = DeletedAccessRequest::parse("", "", "short").unwrap_err();
        assert_eq!(e.len(), 3);
        let r = DeletedAccessRequest::parse(
            "court_order",
            " CO 24-1187 ",
            "Court order for disclosure",
        )
        .unwrap();
        assert_eq!(r.reference, "CO 24-1187");
        assert_eq!(r.criterion, DeletedAccessCriterion::CourtOrder);
    }

    #[test]
    fn only_system_admins_ask_and_never_approve_their_own() {
        let admin: Roles = Roles::parse("system_admin").unwrap();
        let local: Roles = Roles::parse("local_admin").unwrap();
        let sup: Roles = Roles::parse("supervisor").unwrap();
        assert!(may_request_deleted_access(&admin, true));
        assert!(!may_request_deleted_access(&admin, false));
        assert!(!may_request_deleted_access(&local, true));
        assert!(may_decide_deleted_access(&sup, true));
        assert!(!may_decide_deleted_access(&local, true));
        assert!(!is_second_person(7, 7));
    }

    #[test]
    fn packets_only_to_those_with_a_need_to_know() {
        let req: Roles = Roles::parse("requester").unwrap();
        let local: Roles = Roles::parse("local_admin").unwrap();
        let rev: Roles = Roles::parse("reviewer").unwrap();
        assert!(may_receive_packet(&req, false, true, true));
        assert!(!may_receive_packet(&req, false, true, false));
        assert!(may_receive_packet(&local, false, true, false));
        assert!(!may_receive_packet(&local, false, false, false));
        assert!(may_receive_packet(&rev, true, false, false));
        assert!(!may_receive_packet(&rev, false, true, false));
    }
}
