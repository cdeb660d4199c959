//! `GET /ready`: 200 `{"status":"ready"}` when the database answers, the face engine and the
//! gallery are loaded and the gallery index is current; otherwise 503
//! `{"status":"not ready","reason":"…"}` (`crate::operations::readiness`). No login, no case
//! data; never cached.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::web::state::AppState;

/// A check that takes longer (a database that does not answer) is reported as not ready.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize)]
struct Answer<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let readiness = state.readiness.clone();
    let check = tokio::task::spawn_blocking(move || readiness.check());
    let reason = match tokio::time::timeout(TIMEOUT, check).await {
        Ok(Ok(Ok(()))) => {
            return HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(Answer {
                    status: "ready",
                    reason: None,
                });
        }
        Ok(Ok(Err(not_ready))) => not_ready.to_string(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "Readiness check failed");
            "readiness check failed".to_string()
        }
        Err(_) => "database not answering".to_string(),
    };
    HttpResponse::ServiceUnavailable()
        .insert_header(("Cache-Control", "no-store"))
        .json(Answer {
            status: "not ready",
            reason: Some(reason),
        })
}
