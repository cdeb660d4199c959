//! Agencies (issue 13, section 3): the FR policy document with its effective date (upload,
//! future date, replace with history, clear), suspension and reinstatement, the terms of use,
//! and who may do what (another agency's local administrator gets 404).

use reqwest::multipart::{Form, Part};

use crate::helpers::*;

/// A policy upload form: CSRF token, effective date and one file.
pub fn policy_form(csrf: &str, effective: &str, name: &str, bytes: &[u8]) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("effective_date", effective.to_string())
        .part(
            "file",
            Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .expect("mime"),
        )
}

/// A small file that starts like a PDF.
pub fn policy_pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% agency FR policy {tag}\n%%EOF\n").into_bytes()
}

/// Deletes the agency's acceptances of the terms of use (as if it never accepted them).
pub fn withdraw_terms(app: &TestApp, ori: &str) {
    use diesel::prelude::*;
    use frdesk::platform::db::schema::terms_acceptances;
    let mut c = app.pool.get().expect("conn");
    let a = frdesk::accounts::store::Agency::by_ori(&mut c, ori)
        .expect("query")
        .expect("agency");
    diesel::delete(terms_acceptances::table.filter(terms_acceptances::agency_id.eq(a.id)))
        .execute(&mut c)
        .expect("delete acceptances");
}

/// Posts a multipart form (e.g. a policy upload).
pub async fn post_multipart(c: &Client, path: &str, form: Form) -> reqwest::Response {
    c.http
        .post(format!("{}{}", c.base, path))
        .multipart(form)
        .send()
        .await
        .expect("POST multipart")
}

pub fn new_user(app: &TestApp, ori: &str, email: &str, roles: &str) {
    let mut c = app.pool.get().unwrap();
    frdesk::cli::admin::create_user(
        &mut c,
        &frdesk::audit::Actor::cli("test"),
        ori,
        "Extra Staff",
        email,
        "(213) 555-0111",
        roles,
        Some((
            frdesk::domain::training::TrainingProvider::Lacris,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap(),
        )),
        PASSWORD,
    )
    .unwrap();
    app.enrol_directly(&mut c, email);
}

fn agency(app: &TestApp, ori: &str) -> frdesk::accounts::store::Agency {
    let mut c = app.pool.get().unwrap();
    frdesk::accounts::store::Agency::by_ori(&mut c, ori)
        .unwrap()
        .unwrap()
}

fn policies(app: &TestApp, ori: &str) -> Vec<frdesk::agencies::policy::PolicyDocument> {
    let a = agency(app, ori);
    let mut c = app.pool.get().unwrap();
    frdesk::agencies::policy::history(&mut c, a.agency_id()).unwrap()
}

/// The state of the checklist's agency-policy row on the review page.
fn policy_check(page: &str) -> String {
    regex::Regex::new(r#"class="check-(\w+)"><td>Agency FR policy"#)
        .unwrap()
        .captures(page)
        .expect("agency policy row")[1]
        .to_string()
}

/// Submits the valid form and returns the response (303 on success, 422 when refused).
async fn try_submit(c: &Client) -> reqwest::Response {
    let (csrf, key) = c.new_form().await;
    c.post_request(
        &csrf,
        &key,
        "submit",
        &valid_fields(),
        &[photo("Aaron_Eckhart", 1)],
    )
    .await
}

fn today_plus(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

#[actix_web::test]
async fn policy_pdf_upload_future_date_replace_and_clear() {
    let app = spawn_app().await;
    let a = agency(&app, AGENCY_A);
    let requester = app.login("requester.a@test.example").await;
    // Submitted while A has its date-only record (kept from before documents): it passes.
    let case_id = requester.submit_valid_request().await;
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(policy_check(&page), "pass", "date-only record counts");
    assert!(page.contains("no document on file"));

    let admin = app.login("admin.a@test.example").await;
    let r = admin.get("/admin/agency").await;
    assert_eq!(location(&r).unwrap(), format!("/admin/agencies/{}", a.id));
    let page_url = format!("/admin/agencies/{}", a.id);
    let upload_url = format!("/admin/agencies/{}/policy", a.id);
    let (status, page) = admin.get_text(&page_url).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);

    // Not a PDF: refused beside the field, the typed date kept, nothing filed.
    let r = post_multipart(
        &admin,
        &upload_url,
        policy_form(&csrf, "2024-02-01", "policy.docx", b"PK\x03\x04 word"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("is not a PDF file"), "{body}");
    assert!(body.contains(r#"value="2024-02-01""#));
    // No date: refused beside the date field.
    let r = post_multipart(
        &admin,
        &upload_url,
        policy_form(&csrf, "", "p.pdf", &policy_pdf("x")),
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Give the date the policy took effect")
    );
    assert!(policies(&app, AGENCY_A).is_empty());

    // A PDF effective in the future: filed, but it does not count.
    let future = today_plus(30);
    let r = post_multipart(
        &admin,
        &upload_url,
        policy_form(&csrf, &future, "alpha-fr-policy.pdf", &policy_pdf("v1")),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(
        policy_check(&page),
        "fail",
        "a future effective date does not count"
    );
    assert!(page.contains(&format!("Not yet in effect: takes effect on {future}")));
    let r = try_submit(&requester).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("takes effect on"));

    // Replaced by one already in effect: a new row, the first kept in the history.
    let r = post_multipart(
        &admin,
        &upload_url,
        policy_form(
            &csrf,
            "2024-02-01",
            "alpha-fr-policy-2024.pdf",
            &policy_pdf("v2"),
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let history = policies(&app, AGENCY_A);
    assert_eq!(history.len(), 2, "replace keeps history");
    assert_eq!(history[0].file_name, "alpha-fr-policy-2024.pdf");
    assert_eq!(history[0].effective_date.to_string(), "2024-02-01");
    assert_eq!(history[0].uploaded_by, "admin.a@test.example");
    assert!(history.iter().all(|p| p.cleared_at.is_none()));
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(policy_check(&page), "pass");
    let doc_url = format!("/agencies/{}/policies/{}", a.id, history[0].id);
    assert!(page.contains(&doc_url), "the reviewer sees the document");
    // Downloadable by service staff and the agency's own users, not by another agency.
    for c in [&reviewer, &requester] {
        let r = c.get(&doc_url).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            policy_pdf("v2").as_slice()
        );
    }
    let other = app.login("requester.b@test.example").await;
    assert_eq!(other.get(&doc_url).await.status().as_u16(), 404);
    assert_eq!(requester.try_submit_ok().await, 303);
    let audit = app.audit();
    for action in ["agency.policy_upload", "agency.policy_replace"] {
        assert!(
            audit.iter().any(|r| r.action == action
                && r.object_id == a.id.to_string()
                && r.user_email == "admin.a@test.example"),
            "{action} audited"
        );
    }

    // Cleared: no policy on file, submissions refused, history kept.
    let r = admin
        .post_form(
            &format!("/admin/agencies/{}/policy/clear", a.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let history = policies(&app, AGENCY_A);
    assert_eq!(history.len(), 2);
    assert!(history[0].cleared_at.is_some());
    assert_eq!(
        history[0].cleared_by.as_deref(),
        Some("admin.a@test.example")
    );
    assert!(agency(&app, AGENCY_A).fr_policy_date.is_none());
    let (_, page) = admin.get_text(&page_url).await;
    assert!(page.contains("No FR policy on file"));
    let r = try_submit(&requester).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("no facial recognition policy on file")
    );
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "agency.policy_clear")
    );
}

impl Client {
    /// Submits the valid form; the status.
    async fn try_submit_ok(&self) -> u16 {
        try_submit(self).await.status().as_u16()
    }
}

#[actix_web::test]
async fn suspended_agency_cannot_submit_sees_a_banner_and_is_reinstated() {
    let app = spawn_app().await;
    let a = agency(&app, AGENCY_A);
    new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;

    // Only the service's system administrator suspends; the agency's own administrator: 404.
    let local = app.login("admin.a@test.example").await;
    let (_, page) = local.get_text("/cases").await;
    let r = local
        .post_form(
            &format!("/admin/agencies/{}/suspend", a.id),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("reason", "No reason at all here"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(agency(&app, AGENCY_A).suspended_at.is_none());

    let sys = app.login("sysadmin@test.example").await;
    let (status, list) = sys.get_text("/admin/agencies").await;
    assert_eq!(status, 200);
    assert!(list.contains("Alpha Police Department"));
    let (status, page) = sys.get_text(&format!("/admin/agencies/{}", a.id)).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&page);
    let suspend = format!("/admin/agencies/{}/suspend", a.id);
    let r = sys
        .post_form(&suspend, &[("csrf_token", &csrf), ("reason", "short")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("at least 10 characters"));
    let reason = "Monthly audits not submitted since March";
    let r = sys
        .post_form(&suspend, &[("csrf_token", &csrf), ("reason", reason)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let suspended = agency(&app, AGENCY_A);
    assert!(suspended.suspended_at.is_some());
    assert_eq!(
        suspended.suspended_by.as_deref(),
        Some("sysadmin@test.example")
    );

    // Its users still log in and read their cases, with the banner on every page.
    let requester = app.login("requester.a@test.example").await;
    for path in [
        "/cases".to_string(),
        format!("/cases/{case_id}"),
        "/cases/new".into(),
    ] {
        let (status, page) = requester.get_text(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains(r#"id="agency-suspended""#),
            "banner on {path}"
        );
        assert!(page.contains("is suspended by"), "{path}");
        assert!(page.contains(reason));
    }
    // Submitting is refused with the message, and the typed input is kept.
    let (csrf_r, key) = requester.new_form().await;
    let fields = fields_with(&[("search_reason", "Burglary suspect, Case# 24-000111, 459 PC")]);
    let r = requester
        .post_request(
            &csrf_r,
            &key,
            "submit",
            &fields,
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("is suspended by"), "{body}");
    assert!(body.contains("Requests cannot be submitted or resubmitted"));
    assert!(body.contains("Burglary suspect, Case# 24-000111, 459 PC"));
    // Another agency is not affected.
    let b = app.login("requester.b@test.example").await;
    let (_, page) = b.get_text("/cases").await;
    assert!(!page.contains(r#"id="agency-suspended""#));
    let audit = app.audit();
    let rec = audit
        .iter()
        .find(|r| r.action == "agency.suspend")
        .expect("suspension audited");
    assert_eq!(rec.object_id, a.id.to_string());
    assert_eq!(rec.user_email, "sysadmin@test.example");
    assert_eq!(rec.search_reason.as_deref(), Some(reason));

    // Reinstated: the banner is gone and submitting works.
    let r = sys
        .post_form(
            &format!("/admin/agencies/{}/reinstate", a.id),
            &[("csrf_token", &csrf), ("reason", "Audits received")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester.get_text("/cases").await;
    assert!(!page.contains(r#"id="agency-suspended""#));
    assert_eq!(requester.try_submit_ok().await, 303);
    assert!(app.audit().iter().any(|r| r.action == "agency.reinstate"));
}

#[actix_web::test]
async fn terms_of_use_must_be_accepted_by_the_local_administrator() {
    let app = spawn_app().await;
    let a = agency(&app, AGENCY_A);
    withdraw_terms(&app, AGENCY_A);
    let requester = app.login("requester.a@test.example").await;
    let (csrf_r, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf_r,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("has not accepted the current terms of use"),
        "{body}"
    );
    assert!(body.contains("local administrator must accept them"));
    assert!(body.contains("Robbery suspect, Case# 123-89765-0123-41X, 211 PC"));
    let (status, terms) = requester.get_text("/terms").await;
    assert_eq!(status, 200);
    assert!(terms.contains(frdesk::agencies::terms::current_version()));

    // A requester cannot accept for the agency.
    let r = requester
        .post_form(
            &format!("/admin/agencies/{}/terms", a.id),
            &[("csrf_token", &csrf_r)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);

    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/admin/agencies/{}", a.id)).await;
    assert!(page.contains("Not accepted."));
    let before = frdesk::platform::time::now();
    let r = admin
        .post_form(
            &format!("/admin/agencies/{}/terms", a.id),
            &[("csrf_token", &csrf_of(&page))],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let acc = {
        let mut c = app.pool.get().unwrap();
        frdesk::agencies::terms::accepted_current(&mut c, a.agency_id())
            .unwrap()
            .expect("acceptance recorded")
    };
    assert_eq!(acc.version, frdesk::agencies::terms::current_version());
    assert_eq!(acc.accepted_by, "admin.a@test.example");
    assert!(acc.accepted_at >= before - chrono::Duration::seconds(1));
    let rec = app
        .audit()
        .into_iter()
        .find(|r| r.action == "agency.accept_terms" && r.object_id == a.id.to_string())
        .expect("acceptance audited");
    assert_eq!(rec.user_email, "admin.a@test.example");
    assert!(rec.details.unwrap_or_default().contains(&acc.version));
    let (_, page) = admin.get_text(&format!("/admin/agencies/{}", a.id)).await;
    assert!(page.contains("Accepted for the agency by admin.a@test.example"));
    assert_eq!(requester.try_submit_ok().await, 303);
}

#[actix_web::test]
async fn another_agencys_local_admin_cannot_touch_the_policy() {
    let app = spawn_app().await;
    let a = agency(&app, AGENCY_A);
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/admin/agencies/{}", a.id)).await;
    let r = post_multipart(
        &admin,
        &format!("/admin/agencies/{}/policy", a.id),
        policy_form(&csrf_of(&page), "2024-01-01", "alpha.pdf", &policy_pdf("a")),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let doc = policies(&app, AGENCY_A).remove(0);

    new_user(&app, AGENCY_B, "admin.b@test.example", "local_admin");
    let other = app.login("admin.b@test.example").await;
    let (_, page) = other.get_text("/cases").await;
    let csrf = csrf_of(&page);
    assert_eq!(
        other
            .get(&format!("/admin/agencies/{}", a.id))
            .await
            .status()
            .as_u16(),
        404
    );
    let r = post_multipart(
        &other,
        &format!("/admin/agencies/{}/policy", a.id),
        policy_form(&csrf, "2024-01-01", "evil.pdf", &policy_pdf("b")),
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);
    for path in ["policy/clear", "terms", "suspend", "reinstate"] {
        let r = other
            .post_form(
                &format!("/admin/agencies/{}/{path}", a.id),
                &[("csrf_token", &csrf), ("reason", "Not my agency at all")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    assert_eq!(
        other
            .get(&format!("/agencies/{}/policies/{}", a.id, doc.id))
            .await
            .status()
            .as_u16(),
        404
    );
    let after = policies(&app, AGENCY_A);
    assert_eq!(after.len(), 1);
    assert!(after[0].cleared_at.is_none());
    assert!(agency(&app, AGENCY_A).suspended_at.is_none());
    // Their own agency's page works.
    let b = agency(&app, AGENCY_B);
    assert_eq!(
        other
            .get(&format!("/admin/agencies/{}", b.id))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[actix_web::test]
async fn cli_files_policy_suspends_reinstates_and_accepts_terms_audited() {
    let app = spawn_app().await;
    let pdf = app.data_dir.path().join("bravo-policy.pdf");
    std::fs::write(&pdf, policy_pdf("cli")).unwrap();
    let txt = app.data_dir.path().join("bravo-policy.txt");
    std::fs::write(&txt, "not a pdf").unwrap();
    let run = |args: &[&str]| {
        let out = app.frdesk().arg("agency").args(args).output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, out) = run(&[
        "policy",
        "--agency",
        AGENCY_B,
        "--file",
        txt.to_str().unwrap(),
        "--effective",
        "2024-03-01",
    ]);
    assert!(!ok && out.contains("not a PDF"), "{out}");
    let (ok, out) = run(&[
        "policy",
        "--agency",
        AGENCY_B,
        "--file",
        pdf.to_str().unwrap(),
        "--effective",
        "2024-03-01",
    ]);
    assert!(ok, "{out}");
    assert_eq!(policies(&app, AGENCY_B).len(), 1);
    let (ok, out) = run(&[
        "suspend",
        "--agency",
        AGENCY_B,
        "--reason",
        "Policy under review by LACRIS",
    ]);
    assert!(ok, "{out}");
    assert!(agency(&app, AGENCY_B).is_suspended());
    let (ok, out) = run(&["list"]);
    assert!(ok && out.contains("suspended"), "{out}");
    let (ok, out) = run(&["reinstate", "--agency", AGENCY_B]);
    assert!(ok, "{out}");
    assert!(!agency(&app, AGENCY_B).is_suspended());
    withdraw_terms(&app, AGENCY_B);
    let (ok, out) = run(&["accept-terms", "--agency", AGENCY_B]);
    assert!(ok, "{out}");
    let audit = app.audit();
    for action in [
        "agency.policy_upload",
        "agency.suspend",
        "agency.reinstate",
        "agency.accept_terms",
    ] {
        assert!(
            audit
                .iter()
                .any(|r| r.action == action && r.user_email.starts_with("cli:")),
            "{action} audited with the CLI actor"
        );
    }
    // Served from the store by content address.
    let doc = &policies(&app, AGENCY_B)[0];
    let stored = app
        .data_dir
        .path()
        .join("policies")
        .join(&doc.sha256[0..2])
        .join(&doc.sha256[2..4])
        .join(format!("{}.pdf", doc.sha256));
    assert_eq!(std::fs::read(stored).unwrap(), policy_pdf("cli"));
}
