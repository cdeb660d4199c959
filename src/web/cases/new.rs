//! `GET /cases/new`: a blank request; the requester's name, phone and email are the account's.

use actix_web::{HttpResponse, web};

use crate::domain::{RequestForm, Role};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

use crate::web::cases::form::RequestFormPage;

pub async fn page(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    user.require(Role::Requester)?;
    let form = RequestForm {
        request_date: chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string(),
        ..RequestForm::default()
    }
    .with_requester(&crate::cases::requests::requester_identity(&user.user));
    let mut page = RequestFormPage::new(
        Layout::new(&user, &state.settings.service.name),
        None,
        uuid::Uuid::new_v4().to_string(),
        form,
    );
    if !user
        .agency
        .policy_in_effect(chrono::Utc::now().date_naive())
    {
        page.notice = Some(format!(
            "{} has no facial recognition policy on file, so requests cannot be submitted (LACRIS, from 2023-07-01). You can save a draft.",
            user.agency.name
        ));
    }
    crate::web::respond::html(&page)
}
