//! Who may claim, and to whom a supervisor may reassign, a piece of examiners' work: exactly
//! the work that appears in that person's queue ([`crate::examination::queue::eligible_work`]:
//! current training, separation of duties, never the second review of a list they reviewed
//! first, never an adjudication of a case they examined). The claims themselves are
//! [`crate::examination::claims`]. Refusals are audit records.

use chrono::NaiveDateTime;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::domain::{Role, UserId};
use crate::examination::claims::{self, ClaimError, HeldClaim, QueueTask};
use crate::examination::queue::{QueueItem, eligible_work};
use crate::examination::standing::{Examination, Standing, standing};
use crate::platform::db::DbConnection;

/// The person acting and the settings that apply.
pub struct Ctx<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
    pub actor: Actor,
    pub now: NaiveDateTime,
    /// `examination.claim_idle_minutes`.
    pub idle_minutes: u32,
    pub single_examiner_allowed: bool,
    pub approver_may_examine: bool,
}

impl Ctx<'_> {
    fn queue_of(
        &self,
        conn: &mut DbConnection,
        who: &User,
        agency: &Agency,
    ) -> diesel::QueryResult<Vec<QueueItem>> {
        Ok(eligible_work(
            conn,
            who,
            &who.roles_in(agency),
            self.now.date(),
            self.single_examiner_allowed,
            self.approver_may_examine,
        )?
        .items)
    }
}

const NOT_IN_QUEUE: &str = "This work is not (or no longer) in your queue: it may be done already, or you may not take it (training, separation of duties, blind second review).";

/// Claims the queue item `key` for the acting user (or continues their own claim, restarting
/// its idle time). Returns where the work is done.
///
/// Errors: [`ClaimError::Held`] while someone else holds it, [`ClaimError::NotEligible`] when
/// the item is not in the user's queue; database errors. Refusals are audited.
pub fn claim(conn: &mut DbConnection, ctx: &Ctx<'_>, key: &str) -> Result<String, ClaimError> {
    let result = crate::platform::db::write_tx(conn, |c| -> Result<(String, i64), ClaimError> {
        let item = ctx
            .queue_of(c, ctx.user, ctx.agency)?
            .into_iter()
            .find(|i| i.key() == key)
            .ok_or_else(|| ClaimError::NotEligible(NOT_IN_QUEUE.into()))?;
        claims::hold(
            c,
            &ctx.actor,
            &item.item,
            ctx.user,
            ctx.now,
            Some(ctx.idle_minutes),
        )?;
        Ok((item.href, item.item.case_id))
    });
    match result {
        Ok((href, _)) => Ok(href),
        Err(e) => {
            refused(conn, ctx, "examine.claim", key, &e)?;
            Err(e)
        }
    }
}

fn refused(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    action: &str,
    key: &str,
    e: &ClaimError,
) -> Result<(), ClaimError> {
    if matches!(
        e,
        ClaimError::Held(_)
            | ClaimError::NotEligible(_)
            | ClaimError::NotYours
            | ClaimError::NotSupervisor
    ) {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new(action, "work_claim", key)
                .outcome(Outcome::Denied)
                .details(e.to_string()),
        )?;
    }
    Ok(())
}

/// Releases the claim `key`: its holder, or a supervisor of the service.
///
/// Errors: [`ClaimError::NotClaimed`], [`ClaimError::NotYours`]; database errors.
pub fn release(conn: &mut DbConnection, ctx: &Ctx<'_>, key: &str) -> Result<HeldClaim, ClaimError> {
    let supervisor = ctx.user.roles_in(ctx.agency).has(Role::Supervisor);
    let result = crate::platform::db::write_tx(conn, |c| -> Result<HeldClaim, ClaimError> {
        let (item, _) = claims::live_by_key(c, key, ctx.now)?.ok_or(ClaimError::NotClaimed)?;
        claims::release(c, &ctx.actor, &item, ctx.user, supervisor, ctx.now)
    });
    if let Err(e) = &result {
        refused(conn, ctx, "examine.claim_release", key, e)?;
    }
    result
}

/// A supervisor gives the claimed work `key` to examiner `to`, who must be able to take it:
/// it is in their queue, and a blind second review never goes to the list's first examiner.
///
/// Errors: [`ClaimError::NotSupervisor`], [`ClaimError::NotClaimed`],
/// [`ClaimError::NotEligible`]; database errors. Refusals are audited.
pub fn reassign(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    key: &str,
    to: i64,
) -> Result<User, ClaimError> {
    let result = crate::platform::db::write_tx(conn, |c| -> Result<User, ClaimError> {
        if !ctx.user.roles_in(ctx.agency).has(Role::Supervisor) {
            return Err(ClaimError::NotSupervisor);
        }
        let (item, _) = claims::live_by_key(c, key, ctx.now)?.ok_or(ClaimError::NotClaimed)?;
        let target = User::find(c, UserId(to)).map_err(|e| match e {
            diesel::result::Error::NotFound => {
                ClaimError::NotEligible("There is no such examiner.".into())
            }
            e => e.into(),
        })?;
        let agency = Agency::find(c, target.agency())?;
        if item.task == QueueTask::SecondReview
            && let Some(ps) = item.probe_search_id
            && let Standing::AwaitingSecond { first_examiner } =
                standing(&Examination::for_probe(c, ps)?, false)
            && first_examiner == target.id
        {
            return Err(ClaimError::NotEligible(format!(
                "{} did the first review of this candidate list: the second review is blind and must be done by another examiner.",
                target.name
            )));
        }
        let in_queue = target.active
            && agency.active
            && ctx
                .queue_of(c, &target, &agency)?
                .iter()
                .any(|i| i.key() == key);
        if !in_queue {
            return Err(ClaimError::NotEligible(format!(
                "{} cannot take this work: it must be in their queue (an active, trained examiner — a supervisor for an adjudication — free of this case under the separation-of-duties rules).",
                target.name
            )));
        }
        claims::assign(c, &ctx.actor, &item, &target, ctx.now, ctx.idle_minutes)?;
        Ok(target)
    });
    if let Err(e) = &result {
        refused(conn, ctx, "examine.claim_reassign", key, e)?;
    }
    result
}

/// A live claim and who could take it instead: (user id, name).
pub type Reassignable = (HeldClaim, Vec<(i64, String)>);

/// For a supervisor's page: each live claim with the people it could be reassigned to (active
/// examiners and supervisors of the supervisor's agency whose queue holds the work, the holder
/// excepted), oldest claim first.
///
/// Errors: database errors.
pub fn claims_with_candidates(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
) -> diesel::QueryResult<Vec<Reassignable>> {
    let live = claims::live(conn, ctx.now)?;
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let mut queues = Vec::new();
    for u in User::for_agency(conn, ctx.agency.agency_id())? {
        let roles = u.roles_in(ctx.agency);
        if !u.active || !(roles.has(Role::Examiner) || roles.has(Role::Supervisor)) {
            continue;
        }
        let keys: Vec<String> = ctx
            .queue_of(conn, &u, ctx.agency)?
            .iter()
            .map(QueueItem::key)
            .collect();
        queues.push((u, keys));
    }
    Ok(live
        .into_iter()
        .map(|h| {
            let to = queues
                .iter()
                .filter(|(u, keys)| u.id != h.claim.user_id && keys.contains(&h.claim.item_key))
                .map(|(u, _)| (u.id, u.name.clone()))
                .collect();
            (h, to)
        })
        .collect())
}
