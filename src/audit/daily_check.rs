//! The daily check of the audit trail's hash chain.

use std::time::Duration;

use crate::platform::db::DbPool;

/// Verifies the audit trail's hash chain a minute after start and then every 24 hours; each
/// result is itself an audit record (LACRIS "Audits"; tamper evidence).
pub async fn run(pool: DbPool) {
    tokio::time::sleep(Duration::from_secs(60)).await;
    loop {
        let p = pool.clone();
        let result = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let mut conn = p.get()?;
            let report = crate::audit::chain::verify(&mut conn)?;
            let entry = crate::audit::entry::Entry::new("audit.verify", "audit", "chain");
            let entry = match &report.problem {
                None => entry.details(format!(
                    "daily check: intact, {} records, head {} {}",
                    report.records, report.head_id, report.head_hash
                )),
                Some(pr) => entry
                    .outcome(crate::audit::entry::Outcome::Failed)
                    .details(format!("daily check: {}: {}", pr.kind, pr.message)),
            };
            crate::audit::entry::record(
                &mut conn,
                &crate::audit::entry::Actor::system("daily audit check"),
                entry,
            )?;
            Ok(report.is_intact())
        })
        .await;
        match result {
            Ok(Ok(true)) => tracing::info!("Audit trail hash chain intact"),
            Ok(Ok(false)) => {
                tracing::error!("Audit trail hash chain BROKEN: run `frdesk audit verify`")
            }
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "Audit check failed"),
            Err(e) => tracing::error!(error = %e, "Audit check task failed"),
        }
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    }
}

