//! The background loop that runs the daily retention pass.

use std::sync::Arc;
use std::time::Duration;

use crate::platform::db::DbPool;

/// Runs the retention pass ([`crate::retention::daily::run`]) two minutes after start and then every
/// 24 hours: logical deletion and purge of cases (never under a legal hold), the five-year
/// audit purge, idle accounts and lapsed examiner training. Each change is an audit record.
pub async fn run(
    pool: DbPool,
    ctx: crate::retention::daily::RetentionContext,
    mail_wake: Arc<tokio::sync::Notify>,
) {
    tokio::time::sleep(Duration::from_secs(120)).await;
    loop {
        let (p, c) = (pool.clone(), ctx.clone());
        let result = tokio::task::spawn_blocking(move || {
            let mut conn = p.get()?;
            crate::retention::daily::run(
                &mut conn,
                &c,
                &crate::audit::Actor::system("daily retention"),
                crate::platform::time::now(),
                false,
            )
        })
        .await;
        match result {
            Ok(Ok(r)) => {
                tracing::info!(
                    hidden = r.hide.len(),
                    purged = r.purge.len(),
                    held = r.held.len(),
                    audit_purged = r.audit_purge.as_ref().map_or(0, |a| a.records),
                    idle_disabled = r.idle_accounts.len(),
                    training_lapsed = r.training_lapsed.len(),
                    files_removed = r.files_removed,
                    "Retention pass done"
                );
                mail_wake.notify_one();
            }
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "Retention pass failed"),
            Err(e) => tracing::error!(error = %e, "Retention task failed"),
        }
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    }
}

