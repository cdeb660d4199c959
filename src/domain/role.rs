//! Roles and what each may do. One user may hold several roles.

use std::fmt;

/// A role held by a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Staff of a requesting agency: fills in and submits search requests.
    Requester,
    /// Service staff who review requests for policy compliance (LACRIS "review each request").
    Reviewer,
    /// Trained facial examiner (NY MPTC §III.B): runs and assesses searches.
    Examiner,
    /// An agency's local administrator: accounts and monthly audits (LACRIS "Audits").
    LocalAdmin,
    /// Read-only access to the audit trail of the agency.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Requester,
        Role::Reviewer,
        Role::Examiner,
        Role::LocalAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Reviewer => "reviewer",
            Role::Examiner => "examiner",
            Role::LocalAdmin => "local_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Requester => "Requester",
            Role::Reviewer => "Reviewer",
            Role::Examiner => "Examiner",
            Role::LocalAdmin => "Local administrator",
            Role::Auditor => "Auditor",
        }
    }

    /// Service staff (reviewers, examiners) work on every agency's cases; everyone else is
    /// confined to their own agency.
    pub fn sees_all_agencies(self) -> bool {
        matches!(self, Role::Reviewer | Role::Examiner)
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
                    "unknown role '{s}' (expected one of requester, reviewer, examiner, local_admin, auditor)"
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

    pub fn sees_all_agencies(&self) -> bool {
        self.0.iter().any(|r| r.sees_all_agencies())
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
    fn refuses_unknown_and_empty() {
        assert!(Roles::parse("admin").unwrap_err().contains("admin"));
        assert!(Roles::parse("").is_err());
    }
}
