//! `GET /cases/{id}/images/{sha256}`: a probe image, only to users who may see the case, never
//! cached, and audited.

use actix_web::{HttpResponse, web};

use crate::audit::{self, Entry, Outcome};
use crate::domain::CaseId;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

pub async fn serve(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sha) = path.into_inner();
    let id = CaseId(id);
    let actor = user.actor_as(user.primary_role());
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let st = state.clone();
    let (img, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let viewer = crate::cases::access::Viewer::new(&su, &sa);
        let case = crate::cases::access::case_with_files_for(c, &viewer, id)?;
        let img = match &case {
            Some(case) => crate::cases::access::image_for(c, &viewer, case, &sha)?,
            None => None,
        };
        let Some(img) = img else {
            audit::record(
                c,
                &actor,
                Entry::new("image.view", "image", &sha)
                    .outcome(Outcome::Denied)
                    .details(format!("case {}", id.0)),
            )?;
            return Err(AppError::NotFound);
        };
        let bytes = st.images.get(&img.sha256, &img.content_type)?;
        audit::record(
            c,
            &actor,
            Entry::new("image.view", "image", &img.sha256)
                .reason(case.map(|c| c.search_reason).unwrap_or_default())
                .details(format!("case {}", id.0)),
        )?;
        Ok((img, bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(img.content_type.as_str())
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Disposition", "inline"))
        .body(bytes))
}
