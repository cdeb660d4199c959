//! Prometheus metrics (`crate::platform::metrics`): the middleware that times every request of
//! the main server by its route template, and `GET /metrics`, served only on the separate
//! `metrics.bind` address (never on `http.bind`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::operations::metrics::Source;
use crate::web::state::AppState;

/// Times the request when metrics are on: label `route` is the matched route template
/// (`/cases/{id}`, never the path with its ids), `unmatched` when no route took it.
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.metrics.clone());
    let Some(metrics) = metrics else {
        return next.call(req).await;
    };
    let start = Instant::now();
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        _ => "other",
    };
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    metrics.observe_request(
        &route,
        method,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    Ok(res)
}

/// `GET /metrics` on the metrics address: Prometheus' text format.
pub async fn scrape(source: web::Data<Source>) -> HttpResponse {
    let s = source.into_inner();
    match tokio::task::spawn_blocking(move || s.scrape()).await {
        Ok(Ok(text)) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "Metrics could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
        Err(e) => {
            tracing::error!(error = %e, "Metrics task failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
