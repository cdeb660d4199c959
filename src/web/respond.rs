//! Responses every handler builds: a page, a page with a status, a redirect, 429.

use actix_web::HttpResponse;

/// Renders an askama template into a `text/html` response that is never cached.
pub fn html<T: askama::Template>(t: &T) -> Result<HttpResponse, crate::web::error::AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(t.render()?))
}

/// Like [`html`] with another status (e.g. 422 for a form with errors).
pub fn html_status<T: askama::Template>(
    status: actix_web::http::StatusCode,
    t: &T,
) -> Result<HttpResponse, crate::web::error::AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(t.render()?))
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// 429 with `Retry-After` (whole seconds, at least 1) and a short plain-text explanation.
pub fn too_many_requests(wait: std::time::Duration) -> HttpResponse {
    let secs = wait.as_secs().max(1) + u64::from(wait.subsec_nanos() > 0);
    HttpResponse::TooManyRequests()
        .insert_header(("Retry-After", secs.to_string()))
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "Too many requests from your address. Wait {secs} seconds and try again."
        ))
}
