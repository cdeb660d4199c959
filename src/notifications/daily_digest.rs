//! The daily digest ([`crate::notifications::digest::send_digests`]) as a background worker,
//! once a day across every instance ([`crate::platform::jobs::daily`]; checked three minutes
//! after start and then every quarter hour). A run also sends each user at most one digest per
//! day.

use std::sync::Arc;
use std::time::Duration;

use crate::notifications::NotifyContext;
use crate::platform::db::DbPool;
use crate::platform::jobs::runner::{Worker, blocking};

/// Sends the daily digests once a day.
pub struct DailyDigest {
    pub pool: DbPool,
    pub ctx: NotifyContext,
    /// Wakes the outbox sender after a run that queued digests.
    pub mail_wake: Arc<tokio::sync::Notify>,
}

impl Worker for DailyDigest {
    fn name(&self) -> &'static str {
        "daily digest"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(15 * 60)
    }

    fn first_delay(&self) -> Duration {
        Duration::from_secs(180)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let (p, c) = (self.pool.clone(), self.ctx.clone());
        let sent = blocking(move || {
            let mut conn = p.get()?;
            crate::platform::jobs::daily::run_once_today(&mut conn, "digest", |conn| {
                crate::notifications::digest::send_digests(conn, &c, crate::platform::time::now())
            })
        })
        .await?;
        if sent.is_some_and(|s| !s.is_empty()) {
            self.mail_wake.notify_one();
        }
        Ok(false)
    }
}
