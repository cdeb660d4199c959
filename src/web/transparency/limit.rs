//! The public pages' rate limit: each client address is held to
//! `http.public_requests_per_minute` (429 with `Retry-After` beyond it), since the report
//! aggregates the period's cases and PDFs are signed per request.

use actix_web::{HttpRequest, HttpResponse};

use crate::web::state::AppState;

/// The 429 answer when `req`'s address is over the public-report rate, else `None`.
pub fn over_limit(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    let ip = crate::web::session::client_ip(req);
    let wait = state.limits.public(&ip).err()?;
    tracing::warn!(%ip, path = req.path(), "Transparency page refused: rate limit");
    Some(crate::web::respond::too_many_requests(wait))
}
