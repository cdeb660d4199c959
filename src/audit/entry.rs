//! One audit record as the workflow writes it: who (the actor), what (the entry), and how it
//! ended (the outcome); [`record`] appends it to the hash chain.

use serde::Serialize;

use crate::audit::store::NewAuditRecord;
use crate::platform::db::DbConnection;
use crate::platform::time::now;

/// Who did something, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub email: String,
    /// The role under which the action was taken (e.g. `reviewer`), or `anonymous`.
    pub role: String,
    pub agency_id: Option<i64>,
    pub ip: String,
    pub user_agent: String,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Success,
    Denied,
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Denied, Outcome::Failed];

    /// The word on the audit trail page.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Success => "Succeeded",
            Outcome::Denied => "Refused",
            Outcome::Failed => "Failed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit entry to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub outcome: Outcome,
    pub search_reason: Option<String>,
    pub details: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Entry {
            action,
            object_type,
            object_id: object_id.to_string(),
            outcome: Outcome::Success,
            search_reason: None,
            details: None,
        }
    }
    pub fn outcome(mut self, o: Outcome) -> Self {
        self.outcome = o;
        self
    }
    pub fn reason(mut self, r: impl Into<String>) -> Self {
        let r = r.into();
        if !r.is_empty() {
            self.search_reason = Some(r);
        }
        self
    }
    pub fn details(mut self, d: impl Into<String>) -> Self {
        self.details = Some(d.into());
        self
    }
}

/// Appends one record for `actor`. Call it inside the transaction of the action.
pub fn record(conn: &mut DbConnection, actor: &Actor, e: Entry<'_>) -> diesel::QueryResult<()> {
    crate::audit::chain::append(
        conn,
        &NewAuditRecord {
            at: now(),
            user_id: actor.user_id,
            user_email: actor.email.clone(),
            role: actor.role.clone(),
            agency_id: actor.agency_id,
            action: e.action.to_string(),
            object_type: e.object_type.to_string(),
            object_id: e.object_id,
            outcome: e.outcome.as_str().to_string(),
            source_ip: actor.ip.clone(),
            user_agent: truncate(&actor.user_agent, 300),
            search_reason: e.search_reason,
            details: e.details.map(|d| truncate(&d, 2000)),
        },
    )
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Actor {
    /// The actor for the server's own scheduled tasks.
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            email: "system".into(),
            role: "system".into(),
            agency_id: None,
            ip: "local".into(),
            user_agent: format!("frdesk {what}"),
        }
    }

    /// The actor for command-line operations.
    pub fn cli(what: &str) -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Actor {
            user_id: None,
            email: format!("cli:{user}"),
            role: "operator".into(),
            agency_id: None,
            ip: "local".into(),
            user_agent: format!("frdesk-cli {what}"),
        }
    }
}
