//! The daily check of the audit trail's hash chain, once a day across every instance
//! ([`crate::platform::jobs::daily`]; checked a minute after start and then every quarter
//! hour); each result is itself an audit record (LACRIS "Audits"; tamper evidence). An intact
//! chain's head is then signed with the desk's key, once per UTC day
//! ([`crate::audit::signed_head`]).

use std::sync::Arc;
use std::time::Duration;

use crate::audit::entry::{Actor, Entry, Outcome};
use crate::platform::db::DbPool;
use crate::platform::jobs::runner::{Worker, blocking};
use crate::platform::pdf::Signer;

/// Verifies the chain and records the result.
pub struct DailyAuditCheck {
    pub pool: DbPool,
    /// The packets' key, which signs the day's chain head.
    pub signer: Arc<Signer>,
    /// The service's name, written into each signed head.
    pub desk: String,
}

impl Worker for DailyAuditCheck {
    fn name(&self) -> &'static str {
        "daily audit check"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(15 * 60)
    }

    fn first_delay(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let p = self.pool.clone();
        let (signer, desk) = (self.signer.clone(), self.desk.clone());
        let intact = blocking(move || -> anyhow::Result<Option<bool>> {
            let mut conn = p.get()?;
            crate::platform::jobs::daily::run_once_today(&mut conn, "audit_check", |conn| {
                let report = crate::audit::chain::verify(conn)?;
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
                crate::audit::entry::record(conn, &Actor::system("daily audit check"), entry)?;
                if report.is_intact()
                    && let Some(head) = crate::audit::signed_head::sign_daily(conn, &signer, &desk)?
                {
                    crate::audit::entry::record(
                        conn,
                        &Actor::system("daily audit check"),
                        Entry::new("audit.sign_head", "audit", "chain").details(format!(
                            "day {}: head record {} hash {} signed by {}",
                            head.day, head.head_id, head.head_hash, head.signer_fingerprint
                        )),
                    )?;
                }
                Ok(report.is_intact())
            })
        })
        .await?;
        let Some(intact) = intact else {
            return Ok(false);
        };
        if intact {
            tracing::info!("Audit trail hash chain intact");
        } else {
            tracing::error!("Audit trail hash chain BROKEN: run `frdesk audit verify`");
        }
        Ok(false)
    }
}
