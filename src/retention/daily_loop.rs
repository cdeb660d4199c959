//! The daily retention pass ([`crate::retention::daily::run`]) as a background worker, once a
//! day across every instance ([`crate::platform::jobs::daily`]; checked two minutes after start
//! and then every quarter hour) — logical deletion and purge of cases (never under a legal
//! hold), the five-year audit purge, idle accounts and lapsed examiner training. Each change is
//! an audit record; the mail it queues is sent at once.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::entry::Actor;
use crate::platform::db::DbPool;
use crate::platform::jobs::runner::{Worker, blocking};
use crate::retention::daily::RetentionContext;

/// Runs the retention pass once a day.
pub struct DailyRetention {
    pub pool: DbPool,
    pub ctx: RetentionContext,
    /// The audit calendar's reminders, sent after the retention pass (`audit::calendar`).
    pub reminders: crate::audit::calendar::ReminderContext,
    /// Wakes the outbox sender after a pass that may have queued notices.
    pub mail_wake: Arc<tokio::sync::Notify>,
}

impl Worker for DailyRetention {
    fn name(&self) -> &'static str {
        "daily retention"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(15 * 60)
    }

    fn first_delay(&self) -> Duration {
        Duration::from_secs(120)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let (p, c, rc) = (self.pool.clone(), self.ctx.clone(), self.reminders.clone());
        let ran = blocking(move || {
            let mut conn = p.get()?;
            crate::platform::jobs::daily::run_once_today(&mut conn, "retention", |conn| {
                let r = crate::retention::daily::run(
                    conn,
                    &c,
                    &Actor::system("daily retention"),
                    crate::platform::time::now(),
                    false,
                );
                // The audit calendar's reminders: their own step, run even if retention failed.
                let reminders = crate::audit::calendar::send_reminders(
                    conn,
                    &rc,
                    &Actor::system("audit calendar"),
                    crate::platform::time::now(),
                );
                // The monthly re-review sample (NY MPTC §VI.C): drawn once a month.
                let draw = crate::audit::rereview::draw_monthly(
                    conn,
                    rc.rereview_percent,
                    &Actor::system("re-review draw"),
                    crate::platform::time::now(),
                );
                if let Err(e) = &draw {
                    tracing::error!(error = %e, "Re-review draw failed");
                }
                Ok::<_, anyhow::Error>((r?, reminders?))
            })
        })
        .await?;
        let Some((r, reminders)) = ran else {
            return Ok(false);
        };
        tracing::info!(reminders = reminders.len(), "Audit reminders sent");
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
        self.mail_wake.notify_one();
        Ok(false)
    }
}
