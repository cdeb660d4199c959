//! Claims on examiners' work (docs/POLICIES.md, "The examiner's workbench"): before working on
//! a queue item — a probe assessment, a first or blind second review, an adjudication — an
//! examiner (a supervisor, for an adjudication) claims it, so two examiners never start the
//! same work. A claim lapses `idle_minutes` after its holder's last activity on the item
//! (claiming, continuing, opening the assessment, saving a draft); the holder or a supervisor
//! can release it and a supervisor can reassign it ([`crate::examination::claiming`] checks who
//! may take it). Every claim, release, reassignment and lapse is an audit record; finishing the
//! work ends the claim in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{users, work_claims};

/// What a queue item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueTask {
    /// Assess the probes and start the search.
    Assessment,
    FirstReview,
    SecondReview,
    Adjudication,
}

impl QueueTask {
    pub fn label(self) -> &'static str {
        match self {
            QueueTask::Assessment => "Assess the probes and start the search",
            QueueTask::FirstReview => "First review of the candidate list",
            QueueTask::SecondReview => "Blind second review",
            QueueTask::Adjudication => "Adjudicate the examiners' disagreement",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            QueueTask::Assessment => "assessment",
            QueueTask::FirstReview => "first_review",
            QueueTask::SecondReview => "second_review",
            QueueTask::Adjudication => "adjudication",
        }
    }
    pub fn parse(s: &str) -> Option<QueueTask> {
        [
            QueueTask::Assessment,
            QueueTask::FirstReview,
            QueueTask::SecondReview,
            QueueTask::Adjudication,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// One claimable piece of work: a case's probe assessment, or a task on one probe search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkItem {
    pub case_id: i64,
    pub probe_search_id: Option<i64>,
    pub task: QueueTask,
}

impl WorkItem {
    pub fn assessment(case_id: i64) -> WorkItem {
        WorkItem {
            case_id,
            probe_search_id: None,
            task: QueueTask::Assessment,
        }
    }
    pub fn on_probe(case_id: i64, probe_search_id: i64, task: QueueTask) -> WorkItem {
        WorkItem {
            case_id,
            probe_search_id: Some(probe_search_id),
            task,
        }
    }
    /// The claim's unique key: `assessment:<case>` or `<task>:<probe search>`.
    pub fn key(&self) -> String {
        match self.probe_search_id {
            Some(ps) => format!("{}:{ps}", self.task.as_str()),
            None => format!("{}:{}", self.task.as_str(), self.case_id),
        }
    }
}

/// One stored claim.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = work_claims)]
pub struct Claim {
    pub id: i64,
    pub item_key: String,
    pub case_id: i64,
    pub probe_search_id: Option<i64>,
    pub task: String,
    pub user_id: i64,
    pub claimed_at: NaiveDateTime,
    pub active_at: NaiveDateTime,
    pub idle_minutes: i32,
}

impl Claim {
    /// When the claim lapses unless its holder is active on the item again.
    pub fn expires_at(&self) -> NaiveDateTime {
        self.active_at + chrono::Duration::minutes(i64::from(self.idle_minutes))
    }
    pub fn live_at(&self, now: NaiveDateTime) -> bool {
        now < self.expires_at()
    }
    pub fn task(&self) -> Option<QueueTask> {
        QueueTask::parse(&self.task)
    }
}

/// A live claim with its holder's name.
#[derive(Debug, Clone)]
pub struct HeldClaim {
    pub claim: Claim,
    pub holder: String,
}

impl HeldClaim {
    /// `HH:MM UTC`: when the claim lapses without activity.
    pub fn until(&self) -> String {
        crate::platform::time::clock(&self.claim.expires_at())
    }
}

/// Someone else holds a live claim on the work: shown to the person refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "Claimed by {holder} until {until}: they are working on this ({task}). It can be taken when they finish or release it, when a supervisor reassigns it, or after {idle} minutes without activity by them."
)]
pub struct HeldByOther {
    pub holder: String,
    pub until: String,
    pub task: String,
    pub idle: i32,
}

impl HeldByOther {
    fn of(h: &HeldClaim) -> HeldByOther {
        HeldByOther {
            holder: h.holder.clone(),
            until: h.until(),
            task: h
                .claim
                .task()
                .map_or_else(|| h.claim.task.clone(), |t| t.label().to_lowercase()),
            idle: h.claim.idle_minutes,
        }
    }
}

/// Errors of claiming, releasing and reassigning; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error(transparent)]
    Held(#[from] HeldByOther),
    #[error("This work is not claimed (any more): nothing to release or reassign.")]
    NotClaimed,
    #[error("Only the examiner holding a claim or a supervisor can release it.")]
    NotYours,
    #[error("Only a supervisor of the service can reassign a claim.")]
    NotSupervisor,
    /// The person cannot take this work (training, separation of duties, blind second review).
    #[error("{0}")]
    NotEligible(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn load(conn: &mut DbConnection, key: &str) -> QueryResult<Option<HeldClaim>> {
    let row: Option<(Claim, String)> = work_claims::table
        .inner_join(users::table.on(users::id.eq(work_claims::user_id)))
        .filter(work_claims::item_key.eq(key))
        .select((Claim::as_select(), users::name))
        .first(conn)
        .optional()?;
    Ok(row.map(|(claim, holder)| HeldClaim { claim, holder }))
}

/// The live claim stored under `key`, ending it first (audited) if it has lapsed.
///
/// Errors: database errors.
pub fn live_by_key(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(WorkItem, HeldClaim)>> {
    let Some(h) = load(conn, key)? else {
        return Ok(None);
    };
    let Some(task) = h.claim.task() else {
        return Ok(None);
    };
    let item = WorkItem {
        case_id: h.claim.case_id,
        probe_search_id: h.claim.probe_search_id,
        task,
    };
    if !h.claim.live_at(now) {
        lapse(conn, &h)?;
        return Ok(None);
    }
    Ok(Some((item, h)))
}

/// Every claim still live at `now`, oldest first (a lapsed one ends when its item is next claimed or checked).
///
/// Errors: database errors.
pub fn live(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<HeldClaim>> {
    let rows: Vec<(Claim, String)> = work_claims::table
        .inner_join(users::table.on(users::id.eq(work_claims::user_id)))
        .order(work_claims::claimed_at.asc())
        .select((Claim::as_select(), users::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(claim, holder)| HeldClaim { claim, holder })
        .filter(|h| h.claim.live_at(now))
        .collect())
}

/// Ends one lapsed claim, with its `examine.claim_lapse` audit record (by the system).
fn lapse(conn: &mut DbConnection, h: &HeldClaim) -> QueryResult<()> {
    diesel::delete(work_claims::table.find(h.claim.id)).execute(conn)?;
    tracing::info!(
        item = %h.claim.item_key,
        holder_id = h.claim.user_id,
        "Work claim lapsed after idle time"
    );
    audit::record(
        conn,
        &Actor::system("work claims"),
        Entry::new("examine.claim_lapse", "case", h.claim.case_id).details(format!(
            "{}; held by {} (user {}); no activity since {}; lapsed after {} minutes",
            h.claim.item_key,
            h.holder,
            h.claim.user_id,
            crate::platform::time::fmt_time(&h.claim.active_at),
            h.claim.idle_minutes
        )),
    )
}

/// The live claim on `item`, ending it first (audited) if it has lapsed.
fn current(
    conn: &mut DbConnection,
    item: &WorkItem,
    now: NaiveDateTime,
) -> QueryResult<Option<HeldClaim>> {
    match load(conn, &item.key())? {
        Some(h) if !h.claim.live_at(now) => {
            lapse(conn, &h)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// What [`hold`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// A new claim for the user (audited).
    Claimed,
    /// The user's own claim, its idle time restarted.
    Refreshed,
    /// Nobody holds the work and no claim was asked for.
    Free,
}

/// Whether `user` may work on `item` now: refused while someone else holds a live claim; the
/// user's own claim is refreshed; with `claim_for` (idle minutes) a free item is claimed
/// (`examine.claim` audit record). Call inside the transaction that does the work.
///
/// Errors: [`HeldByOther`] (as [`ClaimError::Held`]); database errors.
pub fn hold(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &WorkItem,
    user: &User,
    now: NaiveDateTime,
    claim_for: Option<u32>,
) -> Result<Holding, ClaimError> {
    match current(conn, item, now)? {
        Some(h) if h.claim.user_id != user.id => Err(HeldByOther::of(&h).into()),
        Some(h) => {
            let idle = claim_for
                .and_then(|m| i32::try_from(m).ok())
                .unwrap_or(h.claim.idle_minutes);
            diesel::update(work_claims::table.find(h.claim.id))
                .set((
                    work_claims::active_at.eq(now),
                    work_claims::idle_minutes.eq(idle),
                ))
                .execute(conn)?;
            Ok(Holding::Refreshed)
        }
        None => match claim_for {
            Some(minutes) => {
                insert(conn, item, user.id, now, minutes)?;
                audit::record(
                    conn,
                    actor,
                    Entry::new("examine.claim", "case", item.case_id).details(format!(
                        "{}; {}; lapses after {minutes} minutes without activity",
                        item.key(),
                        item.task.label()
                    )),
                )?;
                tracing::info!(item = %item.key(), user_id = user.id, "Work claimed");
                Ok(Holding::Claimed)
            }
            None => Ok(Holding::Free),
        },
    }
}

fn insert(
    conn: &mut DbConnection,
    item: &WorkItem,
    user_id: i64,
    now: NaiveDateTime,
    minutes: u32,
) -> QueryResult<()> {
    diesel::insert_into(work_claims::table)
        .values((
            work_claims::item_key.eq(item.key()),
            work_claims::case_id.eq(item.case_id),
            work_claims::probe_search_id.eq(item.probe_search_id),
            work_claims::task.eq(item.task.as_str()),
            work_claims::user_id.eq(user_id),
            work_claims::claimed_at.eq(now),
            work_claims::active_at.eq(now),
            work_claims::idle_minutes.eq(i32::try_from(minutes).unwrap_or(i32::MAX)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Restarts the idle time of `user`'s own live claim on `item`, if they hold one (they opened
/// the work). Nothing happens otherwise.
///
/// Errors: database errors.
pub fn touch(
    conn: &mut DbConnection,
    item: &WorkItem,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        work_claims::table
            .filter(work_claims::item_key.eq(item.key()))
            .filter(work_claims::user_id.eq(user_id)),
    )
    .set(work_claims::active_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

/// The live claim on `item` held by someone other than `user_id`, if any (nothing written).
///
/// Errors: database errors.
pub fn held_by_other(
    conn: &mut DbConnection,
    item: &WorkItem,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<HeldByOther>> {
    Ok(load(conn, &item.key())?
        .filter(|h| h.claim.live_at(now) && h.claim.user_id != user_id)
        .map(|h| HeldByOther::of(&h)))
}

/// The work is done (review recorded, search started): its claim ends with it.
///
/// Errors: database errors.
pub fn finish(conn: &mut DbConnection, item: &WorkItem) -> QueryResult<()> {
    diesel::delete(work_claims::table.filter(work_claims::item_key.eq(item.key())))
        .execute(conn)
        .map(|_| ())
}

/// Releases the live claim on `item` (`examine.claim_release`): by its holder, or by a
/// supervisor (`by_supervisor`). Call inside a transaction.
///
/// Errors: [`ClaimError::NotClaimed`], [`ClaimError::NotYours`]; database errors.
pub fn release(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &WorkItem,
    by: &User,
    by_supervisor: bool,
    now: NaiveDateTime,
) -> Result<HeldClaim, ClaimError> {
    let h = current(conn, item, now)?.ok_or(ClaimError::NotClaimed)?;
    if h.claim.user_id != by.id && !by_supervisor {
        return Err(ClaimError::NotYours);
    }
    diesel::delete(work_claims::table.find(h.claim.id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Entry::new("examine.claim_release", "case", item.case_id).details(format!(
            "{}; held by {} (user {}); released by {}",
            item.key(),
            h.holder,
            h.claim.user_id,
            if h.claim.user_id == by.id {
                "the holder".to_string()
            } else {
                format!("supervisor {}", by.name)
            }
        )),
    )?;
    tracing::info!(item = %item.key(), holder_id = h.claim.user_id, by = by.id, "Work claim released");
    Ok(h)
}

/// Gives the work to `to` (`examine.claim_reassign`), ending any claim on it; the caller has
/// checked that `to` may take it ([`crate::examination::claiming::reassign`]).
///
/// Errors: database errors.
pub fn assign(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &WorkItem,
    to: &User,
    now: NaiveDateTime,
    minutes: u32,
) -> Result<(), ClaimError> {
    let before = current(conn, item, now)?;
    if let Some(h) = &before {
        diesel::delete(work_claims::table.find(h.claim.id)).execute(conn)?;
    }
    insert(conn, item, to.id, now, minutes)?;
    audit::record(
        conn,
        actor,
        Entry::new("examine.claim_reassign", "case", item.case_id).details(format!(
            "{}; from {}; to {} (user {})",
            item.key(),
            before.as_ref().map_or_else(
                || "nobody".to_string(),
                |h| format!("{} (user {})", h.holder, h.claim.user_id)
            ),
            to.name,
            to.id
        )),
    )?;
    tracing::info!(item = %item.key(), to = to.id, "Work claim reassigned");
    Ok(())
}

/// Removes every claim on case `case_id` (the case is purged).
///
/// Errors: database errors.
pub fn discard_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<usize> {
    diesel::delete(work_claims::table.filter(work_claims::case_id.eq(case_id))).execute(conn)
}
