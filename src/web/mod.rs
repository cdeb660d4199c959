//! The one route table. Handlers are thin: parse the request, call the workflow, render a page.

pub mod account;
pub mod admin;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod compliance;
pub mod csrf;
pub mod dashboard;
pub mod error;
pub mod examine;
pub mod flash;
pub mod history;
pub mod home;
pub mod layout;
pub mod operations;
pub mod ratelimit;
pub mod reason;
pub mod respond;
pub mod session;
pub mod state;
pub mod transparency;
pub mod verify;

use actix_web::{HttpResponse, web};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(operations::ready::ready))
        .route("/static/app.css", web::get().to(assets::css))
        .route("/static/app.js", web::get().to(assets::js))
        .route("/static/compare.js", web::get().to(assets::compare_js))
        .route("/transparency", web::get().to(transparency::report::page))
        .route(
            "/transparency/audits",
            web::get().to(transparency::audits::page),
        )
        .route(
            "/transparency/audits.csv",
            web::get().to(transparency::audits::csv),
        )
        .route(
            "/transparency.{kind}",
            web::get().to(transparency::report::export),
        )
        .route(
            "/transparency/documents/{id}/{version}.pdf",
            web::get().to(transparency::published::document),
        )
        .route(
            "/transparency/agencies/{agency}/policies/{policy}.pdf",
            web::get().to(transparency::published::agency_policy),
        )
        .route(
            "/transparency/terms-of-use.md",
            web::get().to(transparency::published::terms),
        )
        .route(
            "/transparency/model-card",
            web::get().to(transparency::published::model_card),
        )
        .route(
            "/transparency/model-card.pdf",
            web::get().to(transparency::published::model_card_pdf),
        )
        .service(
            web::resource("/verify")
                .app_data(verify::page::multipart_config())
                .route(web::get().to(verify::page::form))
                .route(web::post().to(verify::page::submit)),
        )
        .route("/login", web::get().to(auth::login::form))
        .route("/login", web::post().to(auth::login::submit))
        .route(
            "/login/verify",
            web::get().to(auth::second_factor::verify_form),
        )
        .route(
            "/login/verify",
            web::post().to(auth::second_factor::verify_submit),
        )
        .route(
            "/login/enrol",
            web::get().to(auth::second_factor::enrol_form),
        )
        .route(
            "/login/enrol",
            web::post().to(auth::second_factor::enrol_submit),
        )
        .route("/logout", web::post().to(auth::logout::submit))
        .route("/account", web::get().to(account::show::page))
        .route(
            "/account/password",
            web::post().to(account::password::submit),
        )
        .route(
            "/account/notifications",
            web::post().to(account::notifications::submit),
        )
        .route(
            "/account/recovery-codes",
            web::post().to(account::recovery_codes::submit),
        )
        .route("/cases", web::get().to(cases::list::page))
        .route("/cases/new", web::get().to(cases::new::page))
        .route("/cases/save", web::post().to(cases::save::submit))
        .route("/cases/{id}", web::get().to(cases::show::page))
        .route("/cases/{id}/edit", web::get().to(cases::edit::page))
        .route(
            "/cases/{id}/retained",
            web::post().to(cases::deleted::submit),
        )
        .route("/cases/{id}/holds", web::get().to(cases::holds::page))
        .route("/cases/{id}/holds", web::post().to(cases::holds::place))
        .route(
            "/cases/{id}/holds/{hold}/{action}",
            web::post().to(cases::holds::act),
        )
        .route("/holds", web::get().to(cases::holds::list))
        .route(
            "/cases/{id}/disclosures",
            web::get().to(cases::disclosures::page),
        )
        .route(
            "/cases/{id}/disclosures",
            web::post().to(cases::disclosures::prepare),
        )
        .route(
            "/cases/{id}/disclosures/{disclosure}/{action}",
            web::post().to(cases::disclosures::act),
        )
        .route(
            "/cases/{id}/disclosures/{disclosure}/{file}",
            web::get().to(cases::disclosures::download),
        )
        .route(
            "/admin/access-review",
            web::get().to(admin::access_review::page),
        )
        .route("/admin/retained", web::get().to(admin::deleted::page))
        .route(
            "/admin/deleted-access",
            web::get().to(admin::deleted_access::page),
        )
        .route(
            "/admin/deleted-access/{id}/approve",
            web::post().to(admin::deleted_access::approve),
        )
        .route(
            "/admin/deleted-access/{id}/refuse",
            web::post().to(admin::deleted_access::refuse),
        )
        .route("/admin/agency", web::get().to(admin::agency::own))
        .route("/admin/agencies", web::get().to(admin::agencies::list))
        .route("/admin/published", web::get().to(admin::published::page))
        .route(
            "/admin/published",
            web::post().to(admin::published::publish),
        )
        .route(
            "/admin/published/{id}/replace",
            web::post().to(admin::published::replace),
        )
        .route(
            "/admin/published/{id}/withdraw",
            web::post().to(admin::published::withdraw),
        )
        .route("/admin/agencies/{id}", web::get().to(admin::agency::page))
        .route(
            "/admin/agencies/{id}/policy",
            web::post().to(admin::agency_policy::upload),
        )
        .route(
            "/admin/agencies/{id}/policy/clear",
            web::post().to(admin::agency::clear),
        )
        .route(
            "/admin/agencies/{id}/terms",
            web::post().to(admin::agency::accept_terms),
        )
        .route(
            "/admin/agencies/{id}/suspend",
            web::post().to(admin::agencies::suspend),
        )
        .route(
            "/admin/agencies/{id}/reinstate",
            web::post().to(admin::agencies::reinstate),
        )
        .route(
            "/agencies/{id}/policies/{policy}",
            web::get().to(admin::agency_policy::download),
        )
        .route("/terms", web::get().to(admin::agency::terms_page))
        .route(
            "/admin/second-factor/reset",
            web::post().to(admin::second_factor::reset),
        )
        .route(
            "/admin/access-review",
            web::post().to(admin::access_review::submit),
        )
        .route("/admin/users/{id}", web::get().to(admin::users::page))
        .route(
            "/admin/users/{id}/training",
            web::post().to(admin::users::training),
        )
        .route(
            "/admin/users/{id}/background-check",
            web::post().to(admin::users::background_check),
        )
        .route(
            "/admin/users/{id}/roles",
            web::post().to(admin::users::roles),
        )
        .route(
            "/cases/{id}/images/{sha}",
            web::get().to(cases::image::serve),
        )
        .route(
            "/cases/{id}/packets/{file}",
            web::get().to(cases::packet::download),
        )
        .route(
            "/cases/{id}/disseminations.csv",
            web::get().to(cases::packet::disseminations_csv),
        )
        .route("/cases/{id}/messages", web::get().to(cases::messages::page))
        .route(
            "/cases/{id}/messages",
            web::post().to(cases::messages::post),
        )
        .route(
            "/cases/{id}/messages/images/{sha}",
            web::get().to(cases::messages::image),
        )
        .route("/cases/{id}/withdraw", web::get().to(cases::withdraw::page))
        .route(
            "/cases/{id}/withdraw",
            web::post().to(cases::withdraw::submit),
        )
        .route(
            "/cases/{id}/result/reissue",
            web::post().to(cases::packet::reissue),
        )
        .route(
            "/cases/{id}/result/withdraw",
            web::post().to(cases::packet::withdraw),
        )
        .route(
            "/cases/{id}/assessment",
            web::get().to(examine::assessment::page),
        )
        .route(
            "/cases/{id}/assessment",
            web::post().to(examine::assessment::start),
        )
        .route(
            "/cases/{id}/probes/{ps}/rerun",
            web::post().to(examine::faces::rerun),
        )
        .route(
            "/cases/{id}/probes/{ps}/faces/{n}.jpg",
            web::get().to(examine::faces::crop),
        )
        .route(
            "/cases/{id}/probes/{ps}/faces/{n}/aligned.jpg",
            web::get().to(examine::faces::aligned),
        )
        .route(
            "/cases/{id}/probes/{ps}/review",
            web::get().to(examine::review::page),
        )
        .route(
            "/cases/{id}/probes/{ps}/review",
            web::post().to(examine::review::submit),
        )
        .route(
            "/cases/{id}/probes/{ps}/adjudicate",
            web::post().to(examine::review::adjudicate),
        )
        .route(
            "/cases/{id}/probes/{ps}/candidates/{rank}.jpg",
            web::get().to(examine::review::candidate_photo),
        )
        .route(
            "/cases/{id}/probes/{ps}/candidates/{rank}/aligned.jpg",
            web::get().to(examine::review::candidate_aligned),
        )
        .route("/review", web::get().to(compliance::queue::page))
        .route("/dashboard", web::get().to(dashboard::page::page))
        .route("/examine", web::get().to(examine::queue::page))
        .route("/examine/claim", web::post().to(examine::claims::claim))
        .route("/examine/release", web::post().to(examine::claims::release))
        .route(
            "/examine/reassign",
            web::post().to(examine::claims::reassign),
        )
        .route("/review/{id}", web::get().to(compliance::show::page))
        .route("/review/{id}", web::post().to(compliance::decide::submit))
        .route("/audit", web::get().to(audit::list::page))
        .route("/audit/export.csv", web::get().to(audit::list::export))
        .route("/audits/monthly", web::get().to(audit::monthly::page))
        .route("/audit/calendar", web::get().to(audit::calendar::page))
        .route("/audit/rereviews", web::get().to(audit::rereview::page))
        .route(
            "/audit/rereviews/{id}",
            web::post().to(audit::rereview::record),
        )
        .route("/audits/corrective", web::get().to(audit::calendar::list))
        .route(
            "/audits/corrective",
            web::post().to(audit::calendar::record),
        )
        .route(
            "/audits/corrective/new",
            web::get().to(audit::calendar::new),
        )
        .route(
            "/audits/corrective/{id}/complete",
            web::post().to(audit::calendar::complete),
        )
        .route(
            "/audits/monthly/signoff",
            web::post().to(audit::monthly::signoff),
        )
        .route(
            "/audits/monthly/export.{kind}",
            web::get().to(audit::monthly::export),
        )
        .route(
            "/audits/monthly/{id}.{kind}",
            web::get().to(audit::monthly::download),
        )
        .route(
            "/audits/monthly/{id}/reviewed",
            web::post().to(audit::monthly::reviewed),
        )
        .route("/search", web::get().to(history::search::page))
        .route("/search/export.csv", web::get().to(history::search::export))
        .route("/search/saved", web::post().to(history::search::save))
        .route(
            "/search/saved/delete",
            web::post().to(history::search::delete),
        )
        .route("/reason/check", web::get().to(reason::check::json))
        .app_data(cases::save::multipart_config());
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}
