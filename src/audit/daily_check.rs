//! The daily check of the audit trail's hash chain: a minute after start and then every 24
//! hours; each result is itself an audit record (LACRIS "Audits"; tamper evidence).

use std::time::Duration;

use crate::audit::entry::{Actor, Entry, Outcome};
use crate::platform::db::DbPool;
use crate::platform::jobs::runner::{Worker, blocking};

/// Verifies the chain and records the result.
pub struct DailyAuditCheck {
    pub pool: DbPool,
}

impl Worker for DailyAuditCheck {
    fn name(&self) -> &'static str {
        "daily audit check"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(24 * 3600)
    }

    fn first_delay(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let p = self.pool.clone();
        let intact = blocking(move || -> anyhow::Result<bool> {
            let mut conn = p.get()?;
            let report = crate::audit::chain::verify(&mut conn)?;
            let entry = Entry::new("audit.verify", "audit", "chain");
            let entry = match &report.problem {
                None => entry.details(format!(
                    "daily check: intact, {} records, head {} {}",
                    report.records, report.head_id, report.head_hash
                )),
                Some(pr) => entry
                    .outcome(Outcome::Failed)
                    .details(format!("daily check: {}: {}", pr.kind, pr.message)),
            };
            crate::audit::entry::record(&mut conn, &Actor::system("daily audit check"), entry)?;
            Ok(report.is_intact())
        })
        .await?;
        if intact {
            tracing::info!("Audit trail hash chain intact");
        } else {
            tracing::error!("Audit trail hash chain BROKEN: run `frdesk audit verify`");
        }
        Ok(false)
    }
}
