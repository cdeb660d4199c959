//! Roles and what each may do. One user may hold several roles.

use std::fmt;

/// A role held by a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Staff of a requesting agency: fills in and submits search requests.
    Requester,
    /// Service staff who review requests for policy compliance (LACRIS "review each request").
    Reviewer,
    /// Trained facial examiner (NY MPTC §III.B; LACRIS "Facial Reviewer"): assesses probes,
    /// starts searches and compares candidates. Service agency only.
    Examiner,
    /// A trained examiner who adjudicates disagreements between examiners and re-reviews
    /// samples of concluded examinations (NY MPTC §VI.C). Service agency only.
    Supervisor,
    /// The service's system administrator: deleted-case access, published documents, hold
    /// approvals. Service agency only.
    SystemAdmin,
    /// An agency's local administrator: accounts and monthly audits (LACRIS "Audits").
    LocalAdmin,
    /// Read-only access to the audit trail of the agency.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Requester,
        Role::Reviewer,
        Role::Examiner,
        Role::Supervisor,
        Role::SystemAdmin,
        Role::LocalAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Reviewer => "reviewer",
            Role::Examiner => "examiner",
            Role::Supervisor => "supervisor",
            Role::SystemAdmin => "system_admin",
            Role::LocalAdmin => "local_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Requester => "Requester",
            Role::Reviewer => "Reviewer",
            Role::Examiner => "Examiner",
            Role::Supervisor => "Supervisor",
            Role::SystemAdmin => "System administrator",
            Role::LocalAdmin => "Local administrator",
            Role::Auditor => "Auditor",
        }
    }

    /// Roles that exist only in the service agency (docs/POLICIES.md, "Roles"): reviewer,
    /// examiner, supervisor, system administrator. Held by an account of any other agency they
    /// grant nothing ([`Roles::effective`]).
    pub fn is_service_role(self) -> bool {
        matches!(
            self,
            Role::Reviewer | Role::Examiner | Role::Supervisor | Role::SystemAdmin
        )
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown role '{s}' (expected one of requester, reviewer, examiner, supervisor, system_admin, local_admin, auditor)"
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of roles of one account, stored as a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort();
        roles.dedup();
        Roles(roles)
    }

    /// Parses `"requester,reviewer"`; errors name the unknown role.
    pub fn parse(s: &str) -> Result<Self, String> {
        let roles = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Role>, String>>()?;
        if roles.is_empty() {
            return Err("an account needs at least one role".into());
        }
        Ok(Roles::new(roles))
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    /// Whether these roles reach every agency's submitted cases. Call it on
    /// [`Roles::effective`] roles: a service role held outside the service agency grants nothing.
    pub fn sees_all_agencies(&self) -> bool {
        self.0.iter().any(|r| r.is_service_role())
    }

    /// The roles that work for an account of an agency: every role in the service agency; the
    /// agency roles (requester, local administrator, auditor) elsewhere. Service roles stored
    /// on an ordinary agency's account (created before the rule, or by a direct database edit)
    /// stop working; [`Roles::misplaced`] names them for the start-up log.
    pub fn effective(&self, service_agency: bool) -> Roles {
        if service_agency {
            return self.clone();
        }
        Roles(
            self.0
                .iter()
                .copied()
                .filter(|r| !r.is_service_role())
                .collect(),
        )
    }

    /// Service roles held by an account of an ordinary agency (empty when the rule holds).
    pub fn misplaced(&self, service_agency: bool) -> Vec<Role> {
        if service_agency {
            return Vec::new();
        }
        self.0
            .iter()
            .copied()
            .filter(|r| r.is_service_role())
            .collect()
    }

    /// The check the CLI and admin pages make before storing roles: service roles only in the
    /// service agency. The error names the refused roles.
    pub fn check_for_agency(&self, service_agency: bool) -> Result<(), String> {
        let bad = self.misplaced(service_agency);
        if bad.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} {} only in the service agency; this agency is not the service",
            bad.iter().map(|r| r.label()).collect::<Vec<_>>().join(", "),
            if bad.len() == 1 { "exists" } else { "exist" }
        ))
    }

    pub fn to_db(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn labels(&self) -> String {
        self.0
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let r = Roles::parse("reviewer, requester,reviewer").unwrap();
        assert_eq!(r.to_db(), "requester,reviewer");
        assert!(r.has(Role::Reviewer));
        assert!(!r.has(Role::Examiner));
    }

    #[test]
    fn service_roles_work_only_in_the_service_agency() {
        let r = Roles::parse("reviewer,requester,examiner").unwrap();
        assert!(r.effective(true).sees_all_agencies());
        let ordinary = r.effective(false);
        assert!(!ordinary.sees_all_agencies());
        assert!(ordinary.has(Role::Requester));
        assert!(!ordinary.has(Role::Examiner));
        assert_eq!(r.misplaced(false), vec![Role::Reviewer, Role::Examiner]);
        assert!(
            r.check_for_agency(false)
                .unwrap_err()
                .contains("Reviewer, Examiner")
        );
        assert!(r.check_for_agency(true).is_ok());
    }

    #[test]
    fn refuses_unknown_and_empty() {
        assert!(Roles::parse("admin").unwrap_err().contains("admin"));
        assert!(Roles::parse("").is_err());
    }
}
