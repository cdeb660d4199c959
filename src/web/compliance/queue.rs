//! `GET /review`: submitted requests awaiting compliance review, oldest first.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::cases::store::{Case, CaseListRow};
use crate::domain::Role;
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::flash::{Confirmation, NextItem};
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "compliance/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub rows: Vec<CaseListRow>,
    /// Each row's compliance-review clock, by case id (overdue rows are sorted first).
    pub dues: std::collections::HashMap<i64, crate::clocks::DueLabel>,
    pub now: chrono::NaiveDateTime,
    /// The confirmation after a decision, with the next request to review.
    pub done: Option<Confirmation>,
}

impl QueuePage {
    pub fn due_of(&self, case_id: &i64) -> Option<crate::clocks::DueLabel> {
        self.dues.get(case_id).cloned()
    }
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    /// Waiting time as "3 h 12 min" / "2 d 4 h".
    pub fn age(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        let Some(at) = at else { return String::new() };
        let m = (self.now - *at).num_minutes().max(0);
        if m < 60 {
            format!("{m} min")
        } else if m < 60 * 24 {
            format!("{} h {} min", m / 60, m % 60)
        } else {
            format!("{} d {} h", m / (60 * 24), (m / 60) % 24)
        }
    }
}

pub async fn page(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Reviewer)?;
    let flash = crate::web::flash::take(&session);
    let clocks = crate::clocks::Clocks::of(&state.settings);
    let now = crate::platform::time::now();
    let (mut rows, done_case, dues) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let done_case = match flash {
                Some(f) => Case::find(c, crate::domain::CaseId(f.case_id))?
                    .map(|case| (f.done, case.display_number(), case.id)),
                None => None,
            };
            let rows = Case::review_queue(c)?;
            let facts: Vec<crate::clocks::CaseFacts> =
                rows.iter().map(|r| (&r.case).into()).collect();
            let dues: std::collections::HashMap<i64, crate::clocks::DueLabel> =
                crate::clocks::spans::measure(c, &clocks, &facts, now)?
                    .into_iter()
                    .filter_map(|(id, m)| {
                        crate::clocks::due::most_urgent(&m, &clocks.calendar).map(|d| (id, d))
                    })
                    .collect();
            Ok((rows, done_case, dues))
        })
        .await?;
    // Overdue first, then the earliest due; the sort is stable, so the oldest first otherwise.
    rows.sort_by_key(|r| crate::clocks::due::sort_key(dues.get(&r.case.id)));
    // The next request this reviewer may decide (never their own).
    let done = done_case.map(|(d, number, id)| Confirmation {
        message: d.message(&number),
        case_href: format!("/cases/{id}"),
        next: rows
            .iter()
            .find(|r| r.case.requester_id != user.user.id)
            .map(|r| NextItem {
                label: format!("{} — compliance review", r.case.display_number()),
                href: format!("/review/{}", r.case.id),
                claim_key: None,
            }),
    });
    crate::web::respond::html(&QueuePage {
        layout: Layout::new(&user, &state.settings.service.name),
        rows,
        dues,
        now,
        done,
    })
}
