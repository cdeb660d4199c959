//! `GET /reason/check?text=…`: the search-reason verdict as JSON, for the live hint on the form
//! (the same rules as `frdesk reason check --json` and the review checklist).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::reason;
use crate::web::session::CurrentUser;

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    pub text: String,
}

pub async fn json(_user: CurrentUser, q: web::Query<Query>) -> HttpResponse {
    let text: String = q.text.chars().take(2000).collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(reason::assess(&text))
}
