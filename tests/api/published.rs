//! Published records on the public transparency page (issue 14 §3; shared/seeds/002): the
//! service's documents (publish, replace, withdraw; system administrators only, refusals
//! audited; every version downloadable without login, byte for byte), each participating
//! agency's FR policy with suspension shown, the terms of use, the model card generated from the
//! manifest and calibration, and no way to read other files through the public routes.

use std::process::Command;

use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

use crate::agencies::{new_user, policy_form, policy_pdf, post_multipart};
use crate::helpers::*;

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A publish (or replace, without `kind`) form.
pub fn doc_form(
    csrf: &str,
    kind: Option<&str>,
    title: &str,
    provider: &str,
    effective: &str,
    name: &str,
    bytes: &[u8],
) -> Form {
    let mut f = Form::new()
        .text("csrf_token", csrf.to_string())
        .text("title", title.to_string())
        .text("provider", provider.to_string())
        .text("effective_date", effective.to_string());
    if let Some(k) = kind {
        f = f.text("kind", k.to_string());
    }
    f.part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_string())
            .mime_str("application/pdf")
            .expect("mime"),
    )
}

/// A small PDF-looking file.
pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% published record {tag}\n%%EOF\n").into_bytes()
}

/// Every link on `html` whose href starts with `prefix`.
pub fn links(html: &str, prefix: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let a = scraper::Selector::parse("a[href]").unwrap();
    let mut out: Vec<String> = doc
        .select(&a)
        .filter_map(|e| e.value().attr("href"))
        .filter(|h| h.starts_with(prefix))
        .map(str::to_string)
        .collect();
    out.dedup();
    out
}

fn published(app: &TestApp) -> Vec<frdesk::published::documents::PublishedDocument> {
    let mut c = app.pool.get().unwrap();
    frdesk::published::documents::list(&mut c).unwrap()
}

fn agency(app: &TestApp, ori: &str) -> frdesk::accounts::store::Agency {
    let mut c = app.pool.get().unwrap();
    frdesk::accounts::store::Agency::by_ori(&mut c, ori)
        .unwrap()
        .unwrap()
}

#[actix_web::test]
async fn system_administrators_publish_replace_and_withdraw_and_the_public_downloads_every_version()
{
    let app = spawn_app().await;
    new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let sys = app.login("sysadmin@test.example").await;
    let (status, page) = sys.get_text("/admin/published").await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);

    // A refused upload: every message beside its field, what was typed kept.
    let r = post_multipart(
        &sys,
        "/admin/published",
        doc_form(
            &csrf,
            Some("training_outline"),
            "Face examiner course",
            "",
            "2025-13-01",
            "outline.docx",
            b"PK\x03\x04 word",
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Say who delivers the course"), "{body}");
    assert!(body.contains("is not a PDF file"));
    assert!(body.contains("Give the date the document took effect"));
    assert!(body.contains(r#"value="Face examiner course""#));
    assert!(published(&app).is_empty(), "nothing was published");

    // Publish the service policy and the course outline.
    let (policy_v1, outline_v1, policy_v2) =
        (pdf("policy v1"), pdf("outline v1"), pdf("policy v2"));
    let r = post_multipart(
        &sys,
        "/admin/published",
        doc_form(
            &csrf,
            Some("service_policy"),
            "Regional FR policy",
            "",
            "2024-01-01",
            "service-policy.pdf",
            &policy_v1,
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = post_multipart(
        &sys,
        "/admin/published",
        doc_form(
            &csrf,
            Some("training_outline"),
            "Face examiner course outline",
            "LACRIS Training Unit",
            "2024-02-01",
            "outline.pdf",
            &outline_v1,
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let docs = published(&app);
    assert_eq!(docs.len(), 2);
    let outline = docs[0].row.id;
    let policy = docs[1].row.id;
    assert_eq!(docs[0].row.kind, "training_outline");
    assert_eq!(
        docs[0].current().unwrap().provider.as_deref(),
        Some("LACRIS Training Unit")
    );

    // Replace the policy: a new version; the first stays.
    let r = post_multipart(
        &sys,
        &format!("/admin/published/{policy}/replace"),
        doc_form(
            &csrf,
            None,
            "Regional FR policy (2025 revision)",
            "",
            "2025-01-01",
            "service-policy-2025.pdf",
            &policy_v2,
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    // Withdraw the outline: a reason is needed; the document stays listed as withdrawn.
    let withdraw = format!("/admin/published/{outline}/withdraw");
    let r = sys
        .post_form(&withdraw, &[("csrf_token", &csrf), ("reason", "old")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("at least 10 characters"));
    let reason = "Course replaced by the state curriculum";
    let r = sys
        .post_form(&withdraw, &[("csrf_token", &csrf), ("reason", reason)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // A withdrawn document takes no new version.
    let r = post_multipart(
        &sys,
        &format!("/admin/published/{outline}/replace"),
        doc_form(
            &csrf,
            None,
            "x",
            "LACRIS",
            "2025-01-01",
            "o.pdf",
            &pdf("o2"),
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);

    let docs = published(&app);
    let p = docs.iter().find(|d| d.row.id == policy).unwrap();
    assert_eq!(p.versions.len(), 2);
    assert_eq!(p.current().unwrap().version, 2);
    assert_eq!(p.current().unwrap().sha256, sha(&policy_v2));
    let o = docs.iter().find(|d| d.row.id == outline).unwrap();
    assert!(o.row.withdrawn_at.is_some());
    assert_eq!(o.row.withdrawal_reason.as_deref(), Some(reason));
    assert_eq!(o.versions.len(), 1);

    // Audited and dated.
    let audit = app.audit();
    for (action, n) in [
        ("published.publish", 2),
        ("published.replace", 1),
        ("published.withdraw", 1),
    ] {
        let recs: Vec<_> = audit
            .iter()
            .filter(|r| r.action == action && r.outcome == "success")
            .collect();
        assert_eq!(recs.len(), n, "{action}");
        assert!(
            recs.iter()
                .all(|r| r.user_email == "sysadmin@test.example" && r.role == "system_admin")
        );
    }
    assert!(audit.iter().any(|r| {
        r.action == "published.replace"
            && r.details
                .as_deref()
                .unwrap_or("")
                .contains(&sha(&policy_v2))
    }));

    // Anyone, without logging in: the page lists them, each version downloads byte for byte.
    let public = app.client();
    let (status, page) = public.get_text("/transparency").await;
    assert_eq!(status, 200);
    assert!(page.contains("Published records"));
    assert!(page.contains("Regional FR policy (2025 revision)"));
    assert!(page.contains("delivered by LACRIS Training Unit"));
    assert!(page.contains("Withdrawn"));
    assert!(page.contains(reason));
    let hrefs = links(&page, "/transparency/documents/");
    let expected = [
        (
            format!("/transparency/documents/{policy}/2.pdf"),
            &policy_v2,
        ),
        (
            format!("/transparency/documents/{policy}/1.pdf"),
            &policy_v1,
        ),
        (
            format!("/transparency/documents/{outline}/1.pdf"),
            &outline_v1,
        ),
    ];
    for (href, bytes) in &expected {
        assert!(hrefs.contains(href), "{href} not linked: {hrefs:?}");
        let r = public.get(href).await;
        assert_eq!(r.status().as_u16(), 200, "{href}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/pdf"
        );
        assert_eq!(sha(&r.bytes().await.unwrap()), sha(bytes), "{href}");
    }
    assert_eq!(hrefs.len(), expected.len(), "{hrefs:?}");
}

#[actix_web::test]
async fn others_than_the_service_system_administrators_are_refused_and_audited() {
    let app = spawn_app().await;
    for email in [
        "admin.a@test.example",
        "reviewer@test.example",
        "supervisor@test.example",
    ] {
        let c = app.login(email).await;
        let (status, _) = c.get_text("/admin/published").await;
        assert_eq!(status, 403, "{email} sees the page");
        let (_, cases) = c.get_text("/account").await;
        let csrf = csrf_of(&cases);
        let r = post_multipart(
            &c,
            "/admin/published",
            doc_form(
                &csrf,
                Some("service_policy"),
                "Fake policy",
                "",
                "2024-01-01",
                "fake.pdf",
                &pdf("fake"),
            ),
        )
        .await;
        assert_eq!(r.status().as_u16(), 403, "{email} published");
        let r = c
            .post_form(
                "/admin/published/1/withdraw",
                &[("csrf_token", &csrf), ("reason", "Trying to withdraw it")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 403, "{email} withdrew");
        let denied = app
            .audit()
            .into_iter()
            .filter(|r| {
                r.action == "published.manage" && r.outcome == "denied" && r.user_email == email
            })
            .count();
        assert_eq!(denied, 3, "{email}: each refusal is an audit record");
    }
    assert!(published(&app).is_empty());
    assert!(!app.audit().iter().any(|r| r.action == "published.publish"));
}

#[actix_web::test]
async fn agency_policies_and_terms_are_public_and_nothing_else_can_be_read() {
    let app = spawn_app().await;
    let a = agency(&app, AGENCY_A);
    let b = agency(&app, AGENCY_B);
    let c_agency = agency(&app, NO_POLICY);
    let service = agency(&app, SERVICE);
    // Alpha's local administrator files a policy, then replaces it.
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/admin/agencies/{}", a.id)).await;
    let csrf = csrf_of(&page);
    let (v1, v2) = (policy_pdf("alpha v1"), policy_pdf("alpha v2"));
    for (date, name, bytes) in [
        ("2024-01-01", "alpha-v1.pdf", &v1),
        ("2025-01-01", "alpha-v2.pdf", &v2),
    ] {
        let r = post_multipart(
            &admin,
            &format!("/admin/agencies/{}/policy", a.id),
            policy_form(&csrf, date, name, bytes),
        )
        .await;
        assert_eq!(r.status().as_u16(), 303);
    }
    // The service suspends Bravo.
    new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let sys = app.login("sysadmin@test.example").await;
    let (_, page) = sys.get_text("/admin/agencies").await;
    let r = sys
        .post_form(
            &format!("/admin/agencies/{}/suspend", b.id),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("reason", "Policy breach under investigation"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let suspended_at = agency(&app, AGENCY_B).suspended_at.unwrap();

    let public = app.client();
    let (status, page) = public.get_text("/transparency").await;
    assert_eq!(status, 200);
    let row = |id: i64| -> String {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse(&format!("tr#agency-policy-{id}")).unwrap();
        doc.select(&sel)
            .next()
            .unwrap_or_else(|| panic!("no row for agency {id}"))
            .text()
            .collect::<String>()
    };
    let alpha = row(a.id);
    assert!(alpha.contains("Participating") && alpha.contains("Effective 2025-01-01"));
    assert!(alpha.contains("Earlier: effective 2024-01-01"), "{alpha}");
    let bravo = row(b.id);
    assert!(
        bravo.contains(&format!(
            "Suspended since {}",
            frdesk::platform::time::fmt_time(&suspended_at)
        )),
        "{bravo}"
    );
    assert!(
        bravo.contains("Effective 2023-06-01"),
        "date-only record: {bravo}"
    );
    assert!(row(c_agency.id).contains("No policy on file"));
    assert!(
        !page.contains(&format!("agency-policy-{}", service.id)),
        "the service itself is not a participating agency"
    );

    // Both of Alpha's documents download without login, byte for byte.
    let hrefs = links(&page, "/transparency/agencies/");
    assert_eq!(hrefs.len(), 2, "{hrefs:?}");
    let mut got: Vec<String> = Vec::new();
    for h in &hrefs {
        let r = public.get(h).await;
        assert_eq!(r.status().as_u16(), 200, "{h}");
        got.push(sha(&r.bytes().await.unwrap()));
    }
    got.sort();
    let mut want = vec![sha(&v1), sha(&v2)];
    want.sort();
    assert_eq!(got, want);

    // The terms of use, as agencies accept them.
    assert!(page.contains(frdesk::agencies::terms::current_version()));
    let r = public.get("/transparency/terms-of-use.md").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        frdesk::agencies::terms::TEXT.as_bytes()
    );

    // Nothing else: another agency's document, hashes, paths, the database file.
    let alpha_policy = {
        let mut c = app.pool.get().unwrap();
        frdesk::agencies::policy::history(&mut c, a.agency_id()).unwrap()[0].clone()
    };
    for path in [
        format!(
            "/transparency/agencies/{}/policies/{}.pdf",
            b.id, alpha_policy.id
        ),
        format!(
            "/transparency/agencies/{}/policies/{}.pdf",
            a.id, alpha_policy.sha256
        ),
        format!("/transparency/agencies/{}/policies/999.pdf", a.id),
        format!("/transparency/documents/{}.pdf", alpha_policy.sha256),
        format!("/transparency/documents/1/{}.pdf", alpha_policy.sha256),
        "/transparency/documents/1/1.pdf".to_string(),
        format!(
            "/transparency/agencies/{}/policies/..%2F..%2Ffrdesk.sqlite3",
            a.id
        ),
        "/transparency/documents/%2e%2e/%2e%2e/frdesk.sqlite3".to_string(),
        "/transparency/documents/..%2F..%2Fmfa.key/1.pdf".to_string(),
        format!("/transparency/agencies/{}/policies/1.pdf%00", a.id),
    ] {
        let r = public.get(&path).await;
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        assert_eq!(status, 404, "{path} answered {status}");
        assert!(!body.starts_with(b"SQLite format"), "{path}");
        assert!(!body.starts_with(b"%PDF"), "{path}");
    }
}

#[actix_web::test]
async fn the_model_card_is_generated_from_the_manifest_and_the_calibration() {
    use frdesk::face::manifest::ModelManifest;
    use frdesk::gallery::calibration::Calibration;
    let app = spawn_app().await;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let manifest = ModelManifest::load(&dir).unwrap();
    let cal = Calibration::load(&manifest.calibration_path()).unwrap();
    let acc = cal
        .accuracy
        .clone()
        .expect("the calibration records its accuracy");

    let public = app.client();
    let (status, page) = public.get_text("/transparency").await;
    assert_eq!(status, 200);
    assert!(links(&page, "/transparency/model-card").len() >= 2);
    let (status, card) = public.get_text("/transparency/model-card").await;
    assert_eq!(status, 200, "{card}");
    let mut wanted = vec![
        manifest.detector.id.clone(),
        manifest.detector.version.clone(),
        manifest.embedder.id.clone(),
        manifest.embedder.version.clone(),
        manifest.detector.sha256.clone().unwrap(),
        manifest.embedder.sha256.clone().unwrap(),
        manifest.embedder.licence.clone().unwrap(),
        cal.dataset.clone(),
        cal.impostor_comparisons.to_string(),
        format!("{:.4}", acc.rank1),
        format!("{:.4}", acc.rank20),
        format!("{:.4}", acc.pairs_accuracy.unwrap()),
        format!("{:.3}", cal.threshold_at(1e-3).unwrap()),
        "demographic differentials".into(),
        "investigative lead".into(),
    ];
    for s in [0.3f32, 0.4, 0.5] {
        wanted.push(cal.fmr(s).describe());
    }
    for w in &wanted {
        let escaped = w.replace('<', "&lt;").replace('>', "&gt;");
        assert!(
            card.contains(w.as_str()) || card.contains(&escaped),
            "the card lacks {w}"
        );
    }

    // The signed PDF says the same.
    let r = public.get("/transparency/model-card.pdf").await;
    assert_eq!(r.status().as_u16(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.pdf");
    std::fs::write(&path, r.bytes().await.unwrap()).unwrap();
    let sig = String::from_utf8_lossy(&Command::new("pdfsig").arg(&path).output().unwrap().stdout)
        .into_owned();
    assert!(sig.contains("Signature is Valid"), "{sig}");
    let text = String::from_utf8_lossy(
        &Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    for w in [
        manifest.embedder.id.as_str(),
        manifest.detector.id.as_str(),
        &format!("{:.4}", acc.rank1),
        "demographic",
    ] {
        assert!(text.contains(w), "the PDF lacks {w}: {text}");
    }
}
