//! The examiners' queue: what a trained examiner or supervisor can take on now — probe
//! assessments that start a search, first reviews, blind second reviews (never one of a list
//! they already reviewed), and for supervisors adjudications. Each item respects the
//! separation-of-duties rules (`crate::domain::duties`); an examiner whose facial-comparison
//! training is not current gets nothing.

use chrono::{NaiveDate, NaiveDateTime};

use crate::accounts::store::User;
use crate::cases::store::{Case, CaseListRow, CaseScope};
use crate::domain::duties::{Duty, may_take};
use crate::domain::examination::{may_adjudicate, may_examine};
use crate::domain::{CaseStatus, Roles};
use crate::examination::claims::WorkItem;
use crate::examination::standing::{Examination, Standing, standing};
use crate::platform::db::DbConnection;
use crate::search::{ProbeSearch, ProbeSearchState};

/// Cases read per status (the queue shows the oldest work; beyond this, use the case list).
const MAX_CASES: i64 = 500;

pub use crate::examination::claims::QueueTask;

/// One piece of work.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub row: CaseListRow,
    pub task: QueueTask,
    /// Where the work is done.
    pub href: String,
    pub item: WorkItem,
    /// The live claim on it, if any.
    pub claim: Option<ClaimState>,
}

/// Who holds an item (the queue shows "claimed by you" or "claimed by X until HH:MM").
#[derive(Debug, Clone)]
pub struct ClaimState {
    pub holder: String,
    pub until: String,
    pub mine: bool,
}

impl QueueItem {
    /// The claim key posted by the queue's buttons.
    pub fn key(&self) -> String {
        self.item.key()
    }
    /// Nobody else holds it: the user may claim it or continue.
    pub fn open_to_me(&self) -> bool {
        self.claim.as_ref().is_none_or(|c| c.mine)
    }
}

/// The queue of one user.
#[derive(Debug, Clone, Default)]
pub struct ExaminerQueue {
    pub items: Vec<QueueItem>,
    /// Why an examiner or supervisor gets no work (e.g. training not current), if so.
    pub blocked: Option<String>,
}

/// The work `user` (with effective `roles`) can take now, oldest submission first, each with
/// the live claim on it at `now` (items claimed by others stay listed, marked).
///
/// Errors: a database query failed.
pub fn for_user(
    conn: &mut DbConnection,
    user: &User,
    roles: &Roles,
    now: NaiveDateTime,
    single_examiner_allowed: bool,
    approver_may_examine: bool,
) -> diesel::QueryResult<ExaminerQueue> {
    let mut queue = eligible_work(
        conn,
        user,
        roles,
        now.date(),
        single_examiner_allowed,
        approver_may_examine,
    )?;
    let claims = crate::examination::claims::live(conn, now)?;
    for i in &mut queue.items {
        let key = i.item.key();
        i.claim = claims
            .iter()
            .find(|h| h.claim.item_key == key)
            .map(|h| ClaimState {
                holder: h.holder.clone(),
                until: h.until(),
                mine: h.claim.user_id == user.id,
            });
    }
    Ok(queue)
}

/// The work `user` may take (training, separation of duties, blind second review), whoever
/// holds a claim on it; claims are not read.
///
/// Errors: a database query failed.
pub fn eligible_work(
    conn: &mut DbConnection,
    user: &User,
    roles: &Roles,
    today: NaiveDate,
    single_examiner_allowed: bool,
    approver_may_examine: bool,
) -> diesel::QueryResult<ExaminerQueue> {
    let training = crate::accounts::training::records_of(conn, user.user_id())?;
    let examiner = may_examine(roles, &training, today);
    let supervisor = may_adjudicate(roles, &training, today);
    let mut queue = ExaminerQueue::default();
    if let (Err(e), Err(_)) = (&examiner, &supervisor) {
        queue.blocked = Some(e.to_string());
        return Ok(queue);
    }
    let mut rows = Case::list_page(
        conn,
        CaseScope::Service,
        Some(CaseStatus::Approved),
        0,
        MAX_CASES,
    )?;
    rows.extend(Case::list_page(
        conn,
        CaseScope::Service,
        Some(CaseStatus::Searched),
        0,
        MAX_CASES,
    )?);
    rows.sort_by_key(|r| (r.case.submitted_at, r.case.id));
    for row in rows {
        let case = &row.case;
        let parties = crate::examination::duties::parties(conn, case)?;
        let may = |duty| may_take(user.id, duty, &parties, approver_may_examine).is_ok();
        let probes: Vec<ProbeSearch> = ProbeSearch::for_case(conn, case.case_id())?
            .into_iter()
            .filter(|p| p.version == case.current_version)
            .collect();
        if case.status() == CaseStatus::Approved {
            let waiting = probes
                .iter()
                .any(|p| p.status == ProbeSearchState::AwaitingAssessment);
            if waiting
                && probes.iter().all(|p| p.started_by.is_none())
                && examiner.is_ok()
                && may(Duty::Examine)
            {
                queue.items.push(QueueItem {
                    href: format!("/cases/{}/assessment", case.id),
                    row: row.clone(),
                    task: QueueTask::Assessment,
                    item: WorkItem::assessment(case.id),
                    claim: None,
                });
            }
            continue;
        }
        for p in probes
            .iter()
            .filter(|p| p.status == ProbeSearchState::Searched)
        {
            let exams = Examination::for_probe(conn, p.id)?;
            let task = match standing(&exams, single_examiner_allowed) {
                Standing::AwaitingFirst if examiner.is_ok() && may(Duty::Examine) => {
                    Some(QueueTask::FirstReview)
                }
                Standing::AwaitingSecond { first_examiner }
                    if first_examiner != user.id && examiner.is_ok() && may(Duty::Examine) =>
                {
                    Some(QueueTask::SecondReview)
                }
                Standing::NeedsAdjudication
                    if supervisor.is_ok()
                        && may(Duty::Adjudicate)
                        && !exams.iter().any(|e| e.examiner_id == user.id) =>
                {
                    Some(QueueTask::Adjudication)
                }
                _ => None,
            };
            if let Some(task) = task {
                queue.items.push(QueueItem {
                    href: format!("/cases/{}/probes/{}/review", case.id, p.id),
                    row: row.clone(),
                    task,
                    item: WorkItem::on_probe(case.id, p.id, task),
                    claim: None,
                });
            }
        }
    }
    Ok(queue)
}
