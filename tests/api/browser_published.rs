//! The published records in a real browser (headless Chromium, the helpers of `browser.rs`):
//! without logging in, the transparency page lists every published document, agency policy,
//! the terms of use and the model card, and each link downloads (fetched from the page's own
//! hrefs; status and SHA-256 of the bytes checked).

use fantoccini::Locator;
use sha2::{Digest, Sha256};

use crate::agencies::{new_user, policy_form, policy_pdf, post_multipart};
use crate::browser::{assert_fits_width, browser, shot, start_driver, wait_for_text};
use crate::helpers::*;
use crate::published::{doc_form, pdf};

#[actix_web::test]
async fn anyone_downloads_every_published_record_from_the_transparency_page_in_chromium() {
    let app = spawn_app().await;
    let a = {
        let mut c = app.pool.get().unwrap();
        frdesk::accounts::store::Agency::by_ori(&mut c, AGENCY_A)
            .unwrap()
            .unwrap()
    };
    // An agency policy, and two service documents (one replaced).
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/admin/agencies/{}", a.id)).await;
    let agency_pdf = policy_pdf("alpha browser");
    let r = post_multipart(
        &admin,
        &format!("/admin/agencies/{}/policy", a.id),
        policy_form(&csrf_of(&page), "2024-03-01", "alpha.pdf", &agency_pdf),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let sys = app.login("sysadmin@test.example").await;
    let (_, page) = sys.get_text("/admin/published").await;
    let csrf = csrf_of(&page);
    let (p1, p2, outline) = (pdf("b1"), pdf("b2"), pdf("outline"));
    for (kind, title, provider, bytes) in [
        ("service_policy", "Service FR policy", "", &p1),
        (
            "training_outline",
            "Examiner course outline",
            "LACRIS",
            &outline,
        ),
    ] {
        let r = post_multipart(
            &sys,
            "/admin/published",
            doc_form(
                &csrf,
                Some(kind),
                title,
                provider,
                "2024-01-01",
                "d.pdf",
                bytes,
            ),
        )
        .await;
        assert_eq!(r.status().as_u16(), 303);
    }
    let policy_id = {
        let mut c = app.pool.get().unwrap();
        frdesk::published::documents::list(&mut c).unwrap()[1]
            .row
            .id
    };
    let r = post_multipart(
        &sys,
        &format!("/admin/published/{policy_id}/replace"),
        doc_form(
            &csrf,
            None,
            "Service FR policy",
            "",
            "2025-01-01",
            "d2.pdf",
            &p2,
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    let mut expected: Vec<String> = [&agency_pdf, &p1, &p2, &outline]
        .iter()
        .map(|b| sha(b))
        .collect();
    expected.push(sha(frdesk::agencies::terms::TEXT.as_bytes()));
    expected.sort();

    let driver = start_driver().await;
    let profiles = tempfile::tempdir().unwrap();
    let b = browser(&driver, &profiles.path().join("public")).await;
    b.goto(&format!("{}/transparency", app.address))
        .await
        .unwrap();
    wait_for_text(&b, "Published records").await;
    b.find(Locator::Id("published-records")).await.unwrap();
    shot(&b, "published-records").await;
    // Every download link of the section, fetched by the page itself (no cookies: not logged in).
    let got = b
        .execute(
            r#"
            const links = [...document.querySelectorAll('section.published-records a[download]')]
              .map(a => a.getAttribute('href'));
            const hex = buf => [...new Uint8Array(buf)].map(x => x.toString(16).padStart(2, '0')).join('');
            return Promise.all(links.map(async href => {
              const r = await fetch(href, {credentials: 'omit'});
              const body = await r.arrayBuffer();
              return {href, status: r.status, type: r.headers.get('content-type'),
                      sha: hex(await crypto.subtle.digest('SHA-256', body))};
            }));
            "#,
            vec![],
        )
        .await
        .unwrap();
    let got = got.as_array().expect("a list of downloads").clone();
    let mut hashes = Vec::new();
    let mut model_card_pdf = false;
    for d in &got {
        let href = d["href"].as_str().unwrap();
        assert_eq!(d["status"], 200, "{href}: {d}");
        if href == "/transparency/model-card.pdf" {
            model_card_pdf = d["type"] == "application/pdf";
            continue;
        }
        hashes.push(d["sha"].as_str().unwrap().to_string());
    }
    hashes.sort();
    assert_eq!(hashes, expected, "{got:?}");
    assert!(model_card_pdf, "the model card downloads as a PDF: {got:?}");

    // The model card page, at a phone's width.
    b.find(Locator::Css("a[href='/transparency/model-card']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&b, "Limits: read this first").await;
    b.set_window_size(390, 844).await.unwrap();
    assert_fits_width(&b, "the model card").await;
    shot(&b, "model-card-390").await;
    b.close().await.unwrap();
}
