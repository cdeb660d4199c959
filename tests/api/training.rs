//! Training, background checks and roles (issue 13, "Training, people"): the LACRIS FR Policy's
//! "Training" and "Facial Reviewer" rules, and the commands and admin pages that record them.

use diesel::prelude::*;
use frdesk::platform::db::schema::{training_records, users};

use crate::helpers::*;

/// An account with no training on record (enrolled for the second factor).
fn untrained(app: &TestApp, ori: &str, email: &str, roles: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    let u = frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        "Pat Examiner",
        email,
        "(213) 555-0199",
        roles,
        None,
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, email);
    u.id
}

/// Runs `frdesk user …`; returns (success, stdout + stderr).
fn user_cmd(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = app.frdesk().arg("user").args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn record(app: &TestApp, email: &str, kind: &str, provider: &str, completed: &str) {
    let (ok, out) = user_cmd(
        app,
        &[
            "training",
            "--email",
            email,
            "--kind",
            kind,
            "--provider",
            provider,
            "--completed",
            completed,
        ],
    );
    assert!(ok, "{out}");
}

/// The examiner's answer for a candidate list (the training check comes before the case).
async fn review_page(c: &Client) -> (u16, String) {
    c.get_text("/cases/1/probes/1/review").await
}

const FACIAL_REVIEWER: &str =
    "A person who completed the FBI or LACRIS training in facial comparison.";
const AFTER_2017: &str =
    "must have attended the training after January 1, 2017, to maintain access to the FR system.";

#[actix_web::test]
async fn only_fbi_or_lacris_facial_comparison_training_makes_an_examiner() {
    let app = spawn_app().await;
    let email = "pat@test.example";
    untrained(&app, SERVICE, email, "examiner");
    record(&app, email, "fr-system", "LACRIS", "2024-01-10");
    let c = app.login(email).await;

    // FR-system training alone: refused, quoting the "Facial Reviewer" definition.
    let (status, body) = review_page(&c).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(FACIAL_REVIEWER), "{body}");
    // "Other" facial-comparison training does not make an examiner.
    record(&app, email, "facial-comparison", "other", "2025-02-01");
    let (status, body) = review_page(&c).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(FACIAL_REVIEWER), "{body}");
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "examine.view_candidates"
                && r.details
                    .as_deref()
                    .unwrap_or("")
                    .contains("Facial Reviewer")),
        "the refusal is audited with the rule"
    );
    // FBI facial-comparison training does.
    record(&app, email, "facial-comparison", "FBI", "2025-03-01");
    let (status, body) = review_page(&c).await;
    assert_ne!(status, 403, "{body}");

    // LACRIS facial comparison counts too.
    let other = "pat2@test.example";
    untrained(&app, SERVICE, other, "examiner");
    record(&app, other, "fr-system", "LACRIS", "2024-01-10");
    record(&app, other, "facial-comparison", "LACRIS", "2019-06-01");
    let (status, _) = review_page(&app.login(other).await).await;
    assert_ne!(status, 403);
}

#[actix_web::test]
async fn fbi_fr_training_must_be_after_2017_01_01() {
    let app = spawn_app().await;
    let email = "pat@test.example";
    untrained(&app, SERVICE, email, "examiner");
    record(&app, email, "facial-comparison", "FBI", "2024-01-10");
    record(&app, email, "fr-system", "FBI", "2017-01-01");
    let c = app.login(email).await;
    let (status, body) = review_page(&c).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(AFTER_2017), "{body}");
    record(&app, email, "fr-system", "FBI", "2017-01-02");
    let (status, body) = review_page(&c).await;
    assert_ne!(status, 403, "{body}");
}

#[actix_web::test]
async fn a_lapsed_examiner_drops_out_of_the_examiner_queue() {
    let app = spawn_app().await;
    let today = frdesk::platform::time::now().date();
    let queue = || -> Vec<String> {
        let mut c = app.pool.get().unwrap();
        frdesk::accounts::training::trained_examiners(&mut c, today)
            .unwrap()
            .into_iter()
            .map(|u| u.email)
            .collect()
    };
    assert!(queue().contains(&"examiner2@test.example".to_string()));
    // Migrated or recorded FBI-equivalent training from before the cutoff: lapsed.
    let email = "old@test.example";
    untrained(&app, SERVICE, email, "examiner");
    record(&app, email, "fr-system", "FBI", "2016-05-01");
    record(&app, email, "facial-comparison", "FBI", "2016-05-01");
    assert!(!queue().contains(&email.to_string()));
    let (_, page) = app.login(email).await.get_text("/account").await;
    assert!(page.contains("not current"), "{page}");
    // Renewed: back in the queue.
    record(&app, email, "fr-system", "FBI", "2024-05-01");
    assert!(queue().contains(&email.to_string()));
}

#[actix_web::test]
async fn renewed_training_is_a_new_audited_record() {
    let app = spawn_app().await;
    let admin = app.login("admin.a@test.example").await;
    let dana: i64 = {
        let mut c = app.pool.get().unwrap();
        users::table
            .filter(users::email.eq("requester.a@test.example"))
            .select(users::id)
            .first(&mut c)
            .unwrap()
    };
    let url = format!("/admin/users/{dana}");
    let (status, page) = admin.get_text(&url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2024-01-10"), "the seeded record is shown");
    let csrf = csrf_of(&page);
    // A date in the future is refused beside its field.
    let r = admin
        .post_form(
            &format!("{url}/training"),
            &[
                ("csrf_token", &csrf),
                ("kind", "fr_system"),
                ("provider", "LACRIS"),
                ("completed", "2999-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(r#"<p class="error" id="completed-error">"#),
        "{body}"
    );
    // The renewal.
    let r = admin
        .post_form(
            &format!("{url}/training"),
            &[
                ("csrf_token", &csrf),
                ("kind", "fr_system"),
                ("provider", "LACRIS"),
                ("completed", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let n: i64 = {
        let mut c = app.pool.get().unwrap();
        training_records::table
            .filter(training_records::user_id.eq(dana))
            .count()
            .get_result(&mut c)
            .unwrap()
    };
    assert_eq!(n, 2, "the earlier record stays; the renewal is a new one");
    let rec = app
        .audit()
        .into_iter()
        .find(|r| r.action == "user.training_record")
        .expect("audited");
    assert_eq!(rec.user_email, "admin.a@test.example");
    let details = rec.details.unwrap_or_default();
    assert!(
        details.contains("FR-system training by LACRIS, completed 2026-03-01"),
        "{details}"
    );
    let (_, page) = admin.get_text(&url).await;
    assert!(page.contains("2026-03-01"));

    // Another agency's administrator cannot see the account.
    untrained(&app, AGENCY_B, "admin.b@test.example", "local_admin");
    let b = app.login("admin.b@test.example").await;
    assert_eq!(b.get_text(&url).await.0, 404);
}

#[actix_web::test]
async fn background_checks_are_audited_and_shown_in_the_access_review() {
    let app = spawn_app().await;
    let (ok, out) = user_cmd(
        &app,
        &[
            "background-check",
            "--email",
            "requester.a@test.example",
            "--date",
            "2025-04-02",
        ],
    );
    assert!(ok, "{out}");
    let rec = app
        .audit()
        .into_iter()
        .find(|r| r.action == "user.background_check")
        .expect("audited");
    assert!(rec.user_email.starts_with("cli:"));
    assert!(rec.details.unwrap_or_default().contains("2025-04-02"));
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text("/admin/access-review").await;
    assert!(page.contains("Background check"), "{page}");
    assert!(page.contains("2025-04-02"), "{page}");
    // A future date is refused.
    let (ok, out) = user_cmd(
        &app,
        &[
            "background-check",
            "--email",
            "requester.a@test.example",
            "--date",
            "2999-01-01",
        ],
    );
    assert!(!ok && out.contains("in the future"), "{out}");
}

#[actix_web::test]
async fn role_changes_are_audited_and_service_roles_stay_in_the_service_agency() {
    let app = spawn_app().await;
    // Command line: refused outside the service agency, with the rule.
    let (ok, out) = user_cmd(
        &app,
        &[
            "roles",
            "--email",
            "requester.a@test.example",
            "--roles",
            "requester,examiner",
        ],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("only in the service agency"), "{out}");
    // …allowed in it, and audited.
    let (ok, out) = user_cmd(
        &app,
        &[
            "roles",
            "--email",
            "reviewer@test.example",
            "--roles",
            "reviewer,examiner",
        ],
    );
    assert!(ok, "{out}");
    let rec = app
        .audit()
        .into_iter()
        .find(|r| r.action == "user.roles")
        .expect("audited");
    let details = rec.details.unwrap_or_default();
    assert!(
        details.contains("roles reviewer → reviewer,examiner"),
        "{details}"
    );

    // Admin page: the same rule beside the roles field.
    let admin = app.login("admin.a@test.example").await;
    let dana: i64 = {
        let mut c = app.pool.get().unwrap();
        users::table
            .filter(users::email.eq("requester.a@test.example"))
            .select(users::id)
            .first(&mut c)
            .unwrap()
    };
    let url = format!("/admin/users/{dana}");
    let (_, page) = admin.get_text(&url).await;
    let csrf = csrf_of(&page);
    let r = admin
        .post_form(
            &format!("{url}/roles"),
            &[
                ("csrf_token", &csrf),
                ("requester", "on"),
                ("examiner", "on"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            r#"<p class="error" id="roles-error">Examiner exists only in the service agency"#
        ),
        "{body}"
    );
    let r = admin
        .post_form(
            &format!("{url}/roles"),
            &[
                ("csrf_token", &csrf),
                ("requester", "on"),
                ("auditor", "on"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let roles: String = {
        let mut c = app.pool.get().unwrap();
        users::table
            .find(dana)
            .select(users::roles)
            .first(&mut c)
            .unwrap()
    };
    assert_eq!(roles, "requester,auditor");
    assert_eq!(
        app.audit()
            .iter()
            .filter(|r| r.action == "user.roles" && r.user_email == "admin.a@test.example")
            .count(),
        1
    );
}
