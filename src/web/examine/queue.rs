//! `GET /examine`: the examiners' queue ([`crate::examination::queue`]) — where examiners and
//! supervisors land. Each item shows whether it is free ("Claim and start"), claimed by the
//! viewer ("Continue") or claimed by someone else until when; supervisors also see every live
//! claim with release and reassign. After a decision it shows the confirmation and the next
//! item ([`crate::web::flash`]).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::Role;
use crate::examination::claiming::Reassignable;
use crate::examination::queue::{ExaminerQueue, QueueItem};
use crate::web::error::AppError;
use crate::web::flash::{Confirmation, NextItem};
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One live claim as a supervisor manages it.
pub struct ClaimRow {
    pub key: String,
    pub case_id: i64,
    pub case_number: String,
    pub task: String,
    pub holder: String,
    pub until: String,
    /// Who could take it instead: (user id, name).
    pub candidates: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "examine/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub items: Vec<QueueItem>,
    /// Each item's stage clock, in the order of `items` (overdue first).
    pub dues: Vec<Option<crate::clocks::DueLabel>>,
    pub blocked: Option<String>,
    pub done: Option<Confirmation>,
    pub is_supervisor: bool,
    pub claims: Vec<ClaimRow>,
    pub idle_minutes: u32,
}

/// The next item of `items` the person can work on now (free or claimed by them).
pub fn next_item(items: &[QueueItem]) -> Option<NextItem> {
    items.iter().find(|i| i.open_to_me()).map(|i| NextItem {
        label: format!("{} — {}", i.row.case.display_number(), i.task.label()),
        href: i.href.clone(),
        claim_key: Some(i.key()),
    })
}

pub async fn page(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if !(user.has(Role::Examiner) || user.has(Role::Supervisor)) {
        return Err(AppError::Forbidden(
            "The examiners' queue is for examiners and supervisors of the service.".into(),
        ));
    }
    let flash = crate::web::flash::take(&session);
    let u = user.clone();
    let is_supervisor = user.has(Role::Supervisor);
    let st = state.clone();
    let clocks = crate::clocks::Clocks::of(&state.settings);
    let (ExaminerQueue { items, blocked }, done_case, claims, measured) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let now = crate::platform::time::now();
            let queue = crate::examination::queue::for_user(
                c,
                &u.user,
                &u.roles,
                now,
                st.settings.face.single_examiner_allowed,
                st.settings.face.approver_may_examine,
            )?;
            let done_case = match flash {
                Some(f) => crate::cases::store::Case::find(c, crate::domain::CaseId(f.case_id))?
                    .map(|case| (f.done, case.display_number(), case.id)),
                None => None,
            };
            let claims: Vec<Reassignable> = if is_supervisor {
                crate::examination::claiming::claims_with_candidates(
                    c,
                    &crate::examination::claiming::Ctx {
                        user: &u.user,
                        agency: &u.agency,
                        actor: u.actor(Role::Supervisor),
                        now,
                        idle_minutes: st.settings.examination.claim_idle_minutes,
                        single_examiner_allowed: st.settings.face.single_examiner_allowed,
                        approver_may_examine: st.settings.face.approver_may_examine,
                    },
                )?
            } else {
                Vec::new()
            };
            let mut rows = Vec::new();
            for (h, candidates) in claims {
                let number =
                    crate::cases::store::Case::find(c, crate::domain::CaseId(h.claim.case_id))?
                        .map(|case| case.display_number())
                        .unwrap_or_default();
                rows.push(ClaimRow {
                    key: h.claim.item_key.clone(),
                    case_id: h.claim.case_id,
                    case_number: number,
                    task: h
                        .claim
                        .task()
                        .map_or_else(|| h.claim.task.clone(), |t| t.label().to_string()),
                    until: h.until(),
                    holder: h.holder,
                    candidates,
                });
            }
            let facts: Vec<crate::clocks::CaseFacts> =
                queue.items.iter().map(|i| (&i.row.case).into()).collect();
            let measured = crate::clocks::spans::measure(c, &clocks, &facts, now)?;
            Ok((queue, done_case, rows, measured))
        })
        .await?;
    // Overdue first, then the earliest due (stable: oldest submission first otherwise).
    let cal = &state.settings.service.calendar;
    let mut items: Vec<(QueueItem, Option<crate::clocks::DueLabel>)> = items
        .into_iter()
        .map(|i| {
            let due = measured
                .get(&i.row.case.id)
                .and_then(|m| crate::clocks::due::for_item(m, &i.item, cal));
            (i, due)
        })
        .collect();
    items.sort_by_key(|(_, d)| crate::clocks::due::sort_key(d.as_ref()));
    let (items, dues): (Vec<QueueItem>, Vec<_>) = items.into_iter().unzip();
    let done = done_case.map(|(d, number, id)| Confirmation {
        message: d.message(&number),
        case_href: format!("/cases/{id}"),
        next: next_item(&items),
    });
    crate::web::respond::html(&QueuePage {
        layout: Layout::new(&user, &state.settings.service.name),
        items,
        dues,
        blocked,
        done,
        is_supervisor,
        claims,
        idle_minutes: state.settings.examination.claim_idle_minutes,
    })
}
