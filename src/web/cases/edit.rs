//! `GET /cases/{id}/edit`: edit a draft or a request returned for correction.

use actix_web::{HttpResponse, web};

use crate::cases::store::{CaseImage, RequestVersion};
use crate::domain::{CaseId, Role};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

use crate::web::cases::form::RequestFormPage;

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Requester)?;
    let id = CaseId(path.into_inner());
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let (case, version, images) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let case = crate::cases::access::live_case_for(
                c,
                &crate::cases::access::Viewer::new(&vu, &va),
                id,
            )?
            .ok_or(AppError::NotFound)?;
            let v = RequestVersion::get(c, id, case.current_version)?;
            let imgs = CaseImage::for_version(c, id, case.current_version)?;
            Ok((case, v, imgs))
        })
        .await?;
    if case.requester_id != user.user.id {
        return Err(AppError::Forbidden(
            "Only the requester who started this request can edit it.".into(),
        ));
    }
    if !case.status().is_editable() {
        return Err(AppError::Conflict(format!(
            "This request is {} and can no longer be changed.",
            case.status().label().to_lowercase()
        )));
    }
    let form_key = case.form_key.clone();
    let mut page = RequestFormPage::new(
        Layout::new(&user, &state.settings.service.name),
        Some(case),
        form_key,
        version
            .form()
            .with_requester(&crate::cases::requests::requester_identity(&user.user)),
    );
    page.images = images;
    crate::web::respond::html(&page)
}
