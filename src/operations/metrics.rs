//! The figures a Prometheus scrape reads from the database
//! ([`crate::platform::metrics::Snapshot`]): a handful of aggregate queries, run once per
//! scrape (every 15–60 s), none of them over case content.

use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use crate::clocks::spans::Clocks;
use crate::gallery::schema::gallery_templates;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{jobs, outbox_messages};
use crate::platform::metrics::Snapshot;
use crate::platform::time::now;
use crate::search::job::SearchContext;

/// Reads the snapshot: queue depths and oldest ages per stage (the turnaround clocks' view of
/// what is waiting), jobs by kind and state, the outbox, the gallery.
///
/// Errors: a query failed.
pub fn snapshot(
    conn: &mut DbConnection,
    clocks: &Clocks,
    search: &SearchContext,
) -> QueryResult<Snapshot> {
    let at = now();
    let age = |t: chrono::NaiveDateTime| ((at - t).num_milliseconds() as f64 / 1000.0).max(0.0);
    let stages = crate::clocks::figures::waiting_now(conn, clocks, at)?
        .into_iter()
        .map(|(stage, n, oldest)| {
            (
                stage.as_str(),
                i64::try_from(n).unwrap_or(i64::MAX),
                oldest.map_or(0.0, age),
            )
        })
        .collect();
    let job_rows: Vec<(String, String, i64)> = jobs::table
        .filter(jobs::status.eq_any(["queued", "running", "failed"]))
        .group_by((jobs::kind, jobs::status))
        .select((jobs::kind, jobs::status, count_star()))
        .load(conn)?;
    let oldest: Vec<(String, Option<chrono::NaiveDateTime>)> = jobs::table
        .filter(jobs::status.eq("queued"))
        .group_by(jobs::kind)
        .select((jobs::kind, min(jobs::created_at)))
        .load(conn)?;
    let (outbox_unsent, outbox_oldest): (i64, Option<chrono::NaiveDateTime>) =
        outbox_messages::table
            .filter(outbox_messages::status.eq_any(["queued", "retrying"]))
            .select((count_star(), min(outbox_messages::created_at)))
            .first(conn)?;
    let outbox_failed: i64 = outbox_messages::table
        .filter(outbox_messages::status.eq("failed"))
        .count()
        .get_result(conn)?;
    let gallery_templates: i64 = gallery_templates::table
        .filter(gallery_templates::active.eq(true))
        .count()
        .get_result(conn)?;
    let gallery_index_templates = search
        .loaded()
        .map_or(0, |e| i64::try_from(e.gallery.len()).unwrap_or(i64::MAX));
    Ok(Snapshot {
        stages,
        jobs: job_rows,
        jobs_oldest: oldest
            .into_iter()
            .filter_map(|(k, t)| t.map(|t| (k, age(t))))
            .collect(),
        outbox_unsent,
        outbox_oldest_seconds: outbox_oldest.map_or(0.0, age),
        outbox_failed,
        gallery_templates,
        gallery_index_templates,
    })
}

/// What the metrics server needs to answer a scrape.
pub struct Source {
    pub metrics: std::sync::Arc<crate::platform::metrics::Metrics>,
    pub pool: crate::platform::db::DbPool,
    pub clocks: Clocks,
    /// The search worker's context (the gallery index, once loaded).
    pub search: SearchContext,
}

impl Source {
    /// Reads the database's figures into the metrics (blocking) and renders every metric in
    /// Prometheus' text format. A failed read is logged and the figures of the last scrape are
    /// kept, so the measured metrics are still served.
    ///
    /// Errors: rendering failed.
    pub fn scrape(&self) -> anyhow::Result<String> {
        let read = self
            .pool
            .get()
            .map_err(anyhow::Error::from)
            .and_then(|mut c| Ok(snapshot(&mut c, &self.clocks, &self.search)?));
        match read {
            Ok(s) => self.metrics.set_snapshot(&s),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "Metrics: the database figures could not be read")
            }
        }
        Ok(self.metrics.render()?)
    }
}
