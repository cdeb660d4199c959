//! `GET /examine`: the examiners' queue ([`crate::examination::queue`]) — where examiners and
//! supervisors land.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::Role;
use crate::examination::queue::{ExaminerQueue, QueueItem};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "examine/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub items: Vec<QueueItem>,
    pub blocked: Option<String>,
}

pub async fn page(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !(user.has(Role::Examiner) || user.has(Role::Supervisor)) {
        return Err(AppError::Forbidden(
            "The examiners' queue is for examiners and supervisors of the service.".into(),
        ));
    }
    let u = user.clone();
    let (single, ame) = (
        state.settings.face.single_examiner_allowed,
        state.settings.face.approver_may_examine,
    );
    let ExaminerQueue { items, blocked } =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            Ok(crate::examination::queue::for_user(
                c,
                &u.user,
                &u.roles,
                chrono::Utc::now().date_naive(),
                single,
                ame,
            )?)
        })
        .await?;
    crate::web::respond::html(&QueuePage {
        layout: Layout::new(&user, &state.settings.service.name),
        items,
        blocked,
    })
}
