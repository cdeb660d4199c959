//! Who may make a disclosure package for court, and the terms one is made on (issue 17; no
//! I/O).
//!
//! NY MPTC model policy §VI.E: results go outside the agency only after legal review. The
//! desk's rule: a supervisor or system administrator of the service prepares a package with
//! its legal basis; a second such person approves its release; either then releases it.

use crate::domain::text::{multi_line, single_line};
use crate::domain::{Role, Roles};

/// The longest legal basis, order reference or rejection reason kept (characters).
pub const MAX_TEXT: usize = 1000;

/// Whether a user may prepare, approve, reject, release and download disclosure packages:
/// the service's supervisors and system administrators.
pub fn may_disclose(roles: &Roles, is_service: bool) -> bool {
    is_service && (roles.has(Role::Supervisor) || roles.has(Role::SystemAdmin))
}

/// What non-lead candidates look like in the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redaction {
    /// Replaced by rank, score and a salted hash (the default).
    Redacted,
    /// Every candidate named, under this order (reference and date).
    Unredacted { order: String },
}

/// The terms a package is prepared on; exists only when complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureTerms {
    /// Discovery order, subpoena or prosecutor's request: court, docket/number, date,
    /// requesting party (one line).
    pub basis: String,
    pub redaction: Redaction,
    /// Mark every page LAW ENFORCEMENT SENSITIVE — DISCLOSURE UNDER PROTECTIVE ORDER.
    pub protective_order: bool,
}

/// The field errors of a refused preparation: `(field, message)` with field `basis` or
/// `order`.
pub type TermErrors = Vec<(&'static str, String)>;

impl DisclosureTerms {
    /// Parses what the preparer typed: `unredacted` with the order that allows it, or neither.
    ///
    /// Errors: a missing or over-long basis (`basis`); an unredacted package without an order,
    /// or an order without `unredacted` (`order`).
    pub fn parse(
        basis: &str,
        unredacted: bool,
        order: Option<&str>,
        protective_order: bool,
    ) -> Result<DisclosureTerms, TermErrors> {
        let mut errors = TermErrors::new();
        let basis = single_line(basis).trim().to_string();
        if basis.chars().count() < 10 {
            errors.push((
                "basis",
                "State the legal basis (discovery order, subpoena or prosecutor's request: court, docket/number, date, requesting party).".into(),
            ));
        } else if basis.chars().count() > MAX_TEXT {
            errors.push(("basis", format!("At most {MAX_TEXT} characters.")));
        }
        let order = order
            .map(|o| single_line(o).trim().to_string())
            .filter(|o| !o.is_empty());
        let redaction = match (unredacted, order) {
            (true, None) => {
                errors.push((
                    "order",
                    "An unredacted package needs the order that allows it (reference and date)."
                        .into(),
                ));
                Redaction::Redacted
            }
            (false, Some(_)) => {
                errors.push((
                    "order",
                    "An order is only for an unredacted package: tick \"Name every candidate\" or clear the order.".into(),
                ));
                Redaction::Redacted
            }
            (true, Some(o)) if o.chars().count() > MAX_TEXT => {
                errors.push(("order", format!("At most {MAX_TEXT} characters.")));
                Redaction::Redacted
            }
            (true, Some(order)) => Redaction::Unredacted { order },
            (false, None) => Redaction::Redacted,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(DisclosureTerms {
            basis,
            redaction,
            protective_order,
        })
    }

    /// The order of an unredacted package.
    pub fn order(&self) -> Option<&str> {
        match &self.redaction {
            Redaction::Redacted => None,
            Redaction::Unredacted { order } => Some(order),
        }
    }

    /// The words records use for the redaction.
    pub fn redaction_text(&self) -> String {
        redaction_text(self.order())
    }
}

/// The words records use for a package's redaction, from its order (if unredacted).
pub fn redaction_text(order: Option<&str>) -> String {
    match order {
        Some(o) => format!("UNREDACTED under order {o}"),
        None => "non-lead candidates redacted".to_string(),
    }
}

/// Parses the second person's reason for refusing a release (at least 10 characters).
///
/// Errors: the message shown beside the field.
pub fn parse_reject_reason(reason: &str) -> Result<String, String> {
    let r = multi_line(reason).trim().to_string();
    if r.chars().count() < 10 {
        return Err("Say why the release is refused (at least 10 characters).".into());
    }
    if r.chars().count() > MAX_TEXT {
        return Err(format!("At most {MAX_TEXT} characters."));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_services_supervisors_and_system_administrators_disclose() {
        for role in Role::ALL {
            let roles = Roles::new(vec![role]);
            let expect = matches!(role, Role::Supervisor | Role::SystemAdmin);
            assert_eq!(may_disclose(&roles, true), expect, "{role:?}");
            assert!(!may_disclose(&roles, false), "{role:?} of an agency");
        }
    }

    #[test]
    fn terms_need_a_basis_and_an_order_exactly_when_unredacted() {
        let basis = "Subpoena, Superior Court, docket 24-CR-1, 2026-11-30, defence";
        let t = DisclosureTerms::parse(basis, false, None, true).expect("valid");
        assert_eq!(t.redaction, Redaction::Redacted);
        assert!(t.protective_order);
        let t = DisclosureTerms::parse(basis, true, Some(" Order 7, 2026-11-29 "), false)
            .expect("valid");
        assert_eq!(t.order(), Some("Order 7, 2026-11-29"));
        assert_eq!(
            t.redaction_text(),
            "UNREDACTED under order Order 7, 2026-11-29"
        );

        let e = DisclosureTerms::parse("  ", false, None, false).unwrap_err();
        assert_eq!(e.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["basis"]);
        let e = DisclosureTerms::parse(basis, true, Some("   "), false).unwrap_err();
        assert_eq!(e.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["order"]);
        let e = DisclosureTerms::parse("", false, Some("Order 7"), false).unwrap_err();
        assert_eq!(
            e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["basis", "order"]
        );
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        assert!(parse_reject_reason("no").is_err());
        assert_eq!(
            parse_reject_reason("  The order was vacated.  ").as_deref(),
            Ok("The order was vacated.")
        );
    }
}
