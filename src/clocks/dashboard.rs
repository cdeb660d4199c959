//! Each person's dashboard (issue 16, "Dashboards"): "my work" with due times (requesters: their
//! agency's open cases; reviewers: requests awaiting compliance review; examiners and
//! supervisors: the items they hold a claim on, and the items open to them that are due soon
//! or overdue), the count of cases per status in their scope, and for the service's
//! supervisors and system administrators the service view (queue depth per stage over the last
//! days, turnaround per stage per month).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::{Agency, User};
use crate::cases::store::{Case, CaseListRow, CaseScope};
use crate::clocks::due::{DueLabel, for_item, most_urgent, sort_key};
use crate::clocks::figures::{Depth, Turnaround, queue_depth, turnaround};
use crate::clocks::spans::{CaseFacts, Clocks, measure};
use crate::domain::clock::DueState;
use crate::domain::{CaseStatus, Role, Roles};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{agencies, cases};

/// Days of queue depth shown.
pub const DEPTH_DAYS: u32 = 14;
/// Months of turnaround shown (this one and the five before).
pub const TURNAROUND_MONTHS: u32 = 6;
/// Most rows of "my work".
const MAX_ITEMS: i64 = 200;

/// One row of "my work".
#[derive(Debug, Clone)]
pub struct MyItem {
    pub case_id: i64,
    pub case_number: String,
    /// What is to be done, e.g. "Compliance review", "Blind second review".
    pub task: String,
    pub href: String,
    pub due: Option<DueLabel>,
    /// "Claimed by you", "Free", "Back with you for correction", ….
    pub standing: String,
}

/// The service view (supervisors and system administrators of the service).
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub depth: Vec<Depth>,
    pub turnaround: Vec<Turnaround>,
}

/// A person's dashboard.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub my_work: Vec<MyItem>,
    /// (status text, label, count) for every status, in the state machine's order.
    pub counts: Vec<(&'static str, &'static str, i64)>,
    pub service: Option<ServiceView>,
}

/// Who is asking, and the settings that shape their work.
pub struct Viewer<'a> {
    pub user: &'a User,
    pub roles: &'a Roles,
    pub agency: &'a Agency,
    pub scope: CaseScope,
    pub approver_may_examine: bool,
}

/// Whether `roles` of `agency` see the service view.
pub fn sees_service_view(roles: &Roles, agency: &Agency) -> bool {
    agency.is_service && (roles.has(Role::Supervisor) || roles.has(Role::SystemAdmin))
}

/// Builds the dashboard of `v` at `now`.
///
/// Errors: a database query failed.
pub fn build(
    conn: &mut DbConnection,
    clocks: &Clocks,
    v: &Viewer<'_>,
    now: NaiveDateTime,
) -> QueryResult<Dashboard> {
    let mut my_work = Vec::new();
    let cal = &clocks.calendar;
    if v.roles.has(Role::Requester)
        && let CaseScope::Agency(a) = v.scope
    {
        let mut rows = Vec::new();
        for s in [
            CaseStatus::Returned,
            CaseStatus::Submitted,
            CaseStatus::Approved,
            CaseStatus::Searched,
        ] {
            rows.extend(Case::list_page(
                conn,
                CaseScope::Agency(a),
                Some(s),
                0,
                MAX_ITEMS,
            )?);
        }
        let measured = measure(conn, clocks, &facts(&rows), now)?;
        for r in rows {
            let due = measured.get(&r.case.id).and_then(|m| most_urgent(m, cal));
            my_work.push(MyItem {
                case_id: r.case.id,
                case_number: r.case.display_number(),
                task: due.as_ref().map_or_else(
                    || r.case.status_label().to_string(),
                    |d| d.stage.to_string(),
                ),
                href: format!("/cases/{}", r.case.id),
                standing: if r.case.status() == CaseStatus::Returned {
                    "Back with your agency for correction".into()
                } else {
                    r.case.status_label().to_string()
                },
                due,
            });
        }
    }
    if v.roles.has(Role::Reviewer) {
        let rows: Vec<CaseListRow> = Case::review_queue(conn)?
            .into_iter()
            .filter(|r| r.case.requester_id != v.user.id)
            .collect();
        let measured = measure(conn, clocks, &facts(&rows), now)?;
        for r in rows {
            let due = measured.get(&r.case.id).and_then(|m| most_urgent(m, cal));
            my_work.push(MyItem {
                case_id: r.case.id,
                case_number: r.case.display_number(),
                task: "Compliance review".into(),
                href: format!("/review/{}", r.case.id),
                standing: "Awaiting a reviewer".into(),
                due,
            });
        }
    }
    if v.roles.has(Role::Examiner) || v.roles.has(Role::Supervisor) {
        let queue = crate::examination::queue::for_user(
            conn,
            v.user,
            v.roles,
            now,
            clocks.single_examiner_allowed,
            v.approver_may_examine,
        )?;
        let rows: Vec<CaseListRow> = queue.items.iter().map(|i| i.row.clone()).collect();
        let measured = measure(conn, clocks, &facts(&rows), now)?;
        for i in &queue.items {
            let due = measured
                .get(&i.row.case.id)
                .and_then(|m| for_item(m, &i.item, cal));
            let mine = i.claim.as_ref().is_some_and(|c| c.mine);
            let pressing = due
                .as_ref()
                .is_some_and(|d| matches!(d.urgency.0, DueState::Overdue | DueState::DueSoon));
            if !(mine || (pressing && i.open_to_me())) {
                continue;
            }
            my_work.push(MyItem {
                case_id: i.row.case.id,
                case_number: i.row.case.display_number(),
                task: i.task.label().to_string(),
                href: i.href.clone(),
                standing: if mine {
                    "Claimed by you".into()
                } else {
                    "Free: claim it on the examiners' queue".into()
                },
                due,
            });
        }
    }
    my_work.sort_by_key(|i| sort_key(i.due.as_ref()));
    let counts = counts(conn, v.scope)?;
    let service = if sees_service_view(v.roles, v.agency) {
        let months_back = crate::audit::monthly_report::Month::of(now);
        let mut first = months_back;
        for _ in 1..TURNAROUND_MONTHS {
            first = first.previous();
        }
        Some(ServiceView {
            depth: queue_depth(conn, clocks, now, DEPTH_DAYS)?,
            turnaround: turnaround(
                conn,
                &clocks.calendar,
                first.start(),
                months_back.end(),
                None,
            )?,
        })
    } else {
        None
    };
    Ok(Dashboard {
        my_work,
        counts,
        service,
    })
}

fn facts(rows: &[CaseListRow]) -> Vec<CaseFacts> {
    rows.iter().map(|r| CaseFacts::from(&r.case)).collect()
}

/// Cases per status in `scope` (logically deleted cases left out), as the case list counts them.
fn counts(
    conn: &mut DbConnection,
    scope: CaseScope,
) -> QueryResult<Vec<(&'static str, &'static str, i64)>> {
    let mut out = Vec::new();
    for &s in CaseStatus::ALL {
        let mut q = cases::table
            .inner_join(agencies::table)
            .filter(cases::hidden_at.is_null())
            .filter(cases::status.eq(s.as_str()))
            .into_boxed();
        q = match scope {
            CaseScope::Agency(a) => q.filter(cases::agency_id.eq(a.0)),
            CaseScope::Service => q.filter(
                cases::submitted_at
                    .is_not_null()
                    .or(agencies::is_service.eq(true)),
            ),
        };
        let n: i64 = q.count().get_result(conn)?;
        out.push((s.as_str(), s.label(), n));
    }
    Ok(out)
}
