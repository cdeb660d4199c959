//! `POST /review/{id}`: approve, return for correction, or reject, with a required comment.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use crate::compliance::decision::{
    self as review, Ctx, DecisionError, DecisionInput, DecisionKind,
};
use crate::domain::{CaseId, Role};
use crate::platform::jobs::effects::AfterCommit;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Done;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct DecisionForm {
    pub csrf_token: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub acknowledge_flags: Option<String>,
}

crate::web::csrf::csrf_forms!(DecisionForm; multi_line: ["comment"]);

pub async fn submit(
    session: actix_session::Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Reviewer)?;
    let id = CaseId(path.into_inner());
    let form = form.into_inner();
    let input = DecisionInput {
        decision: DecisionKind::parse(&form.decision),
        comment: form.comment.clone(),
        acknowledge_flags: form.acknowledge_flags.as_deref() == Some("on"),
    };
    let st = state.clone();
    let u = user.clone();
    let result = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<Result<(DecisionKind, AfterCommit), DecisionError>, AppError> {
            let ctx = Ctx {
                user: &u.user,
                agency: &u.agency,
                actor: u.actor(Role::Reviewer),
                service_name: &st.settings.service.name,
                base_url: &st.settings.service.base_url,
                today: chrono::Utc::now().date_naive(),
            };
            Ok(review::decide(c, &ctx, id, &input))
        },
    )
    .await?;
    match result {
        Ok((kind, effects)) => {
            state.after_commit(&effects);
            // Back to the review queue with a confirmation and the next request.
            let done = match kind {
                DecisionKind::Approve => Done::Approved,
                DecisionKind::Return => Done::Returned,
                DecisionKind::Reject => Done::Rejected,
            };
            crate::web::flash::redirect(&session, done, id.0, "/review")
        }
        Err(e) if e.is_form_error() => {
            let mut page = crate::web::compliance::show::load(&user, &state, id).await?;
            page.error = Some(e.to_string());
            page.comment = form.comment;
            page.decision = form.decision;
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
