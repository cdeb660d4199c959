//! The disclosure steps in a real browser (headless Chromium, the helpers of `browser.rs`): a
//! supervisor opens the case, prepares a package with a mistake (the error beside the order
//! field, what was typed kept), corrects it; a system administrator approves the release and
//! makes it; the released package offers its downloads. Every state is shot at 1280 and
//! 390 px, fits the width and passes the accessibility check.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::{
    browser, click, fill, log_in, shot, start_driver, submit, text_now, wait_for_text,
};
use crate::helpers::*;

/// Waits until the page shows `what`, for up to a minute (making a package signs a PDF and
/// assembles every fact of the case).
async fn wait_long(b: &fantoccini::Client, what: &str) -> String {
    let mut text = String::new();
    for _ in 0..600 {
        text = text_now(b).await;
        if text.contains(what) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {what:?}: {text}");
}

#[actix_web::test]
async fn two_people_prepare_approve_and_release_a_disclosure_package_in_chromium() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let _photos = crate::search::enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let (case_id, number) = crate::disclosure::concluded_case(&app, 2, true).await;
    crate::agencies::new_user(&app, SERVICE, "sysadmin@test.example", "system_admin");
    let page = format!("/cases/{case_id}/disclosures");
    let profiles = tempfile::tempdir().unwrap();
    let driver = start_driver().await;

    // The supervisor: from the case page to the steps; a mistake, then the package prepared.
    let b = browser(&driver, &profiles.path().join("supervisor")).await;
    log_in(&b, &base, &app, "supervisor@test.example").await;
    b.set_window_size(1280, 900).await.unwrap();
    b.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    wait_for_text(&b, "Disclosure for court").await;
    click(&b, &format!("a[href='{page}']")).await;
    wait_for_text(&b, "Prepare a package").await;
    fill(
        &b,
        "basis",
        "Discovery order, Superior Court of Essex County, Ind. No. 26-11-0042, 2026-11-30, defence counsel",
    )
    .await;
    click(&b, "#unredacted").await;
    click(&b, "#protective_order").await;
    submit(&b, &page).await;
    b.wait()
        .for_element(Locator::Id("order-error"))
        .await
        .unwrap();
    let text = wait_for_text(&b, "needs the order that allows it").await;
    assert!(
        text.contains("Superior Court of Essex County"),
        "typed basis kept"
    );
    shot(&b, "18a-disclosure-prepare-error").await;
    b.set_window_size(390, 900).await.unwrap();
    shot(&b, "18b-disclosure-prepare-error-390").await;
    b.set_window_size(1280, 900).await.unwrap();
    // Name every candidate was ticked by mistake: untick it and prepare.
    click(&b, "#unredacted").await;
    submit(&b, &page).await;
    wait_for_text(&b, "Package prepared").await;
    let text = wait_for_text(&b, "You prepared this package").await;
    assert!(text.contains(&format!("{number}-D1")), "{text}");
    assert!(text.contains("DISCLOSURE UNDER PROTECTIVE ORDER"));
    shot(&b, "18c-disclosure-prepared").await;
    b.close().await.unwrap();

    // The system administrator: approves, then makes and releases it.
    let b = browser(&driver, &profiles.path().join("sysadmin")).await;
    log_in(&b, &base, &app, "sysadmin@test.example").await;
    b.set_window_size(390, 900).await.unwrap();
    b.goto(&format!("{base}{page}")).await.unwrap();
    wait_for_text(&b, "awaiting a second person").await;
    shot(&b, "18d-disclosure-awaiting-approval-390").await;
    submit(&b, &format!("{page}/{number}-D1/approve")).await;
    wait_for_text(
        &b,
        "Release approved. The package is made when it is released.",
    )
    .await;
    shot(&b, "18e-disclosure-approved-390").await;
    submit(&b, &format!("{page}/{number}-D1/release")).await;
    let text = wait_long(&b, "Package released").await;
    assert!(text.contains("Signed report (PDF)") && text.contains("Package (ZIP)"));
    shot(&b, "18f-disclosure-released-390").await;
    b.set_window_size(1280, 900).await.unwrap();
    shot(&b, "18g-disclosure-released").await;
    // The link downloads the recorded report.
    let href: String = b
        .find(Locator::Css("a.download[href$='report.pdf']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let sys = app.login("sysadmin@test.example").await;
    let bytes = sys.get(&href).await.bytes().await.unwrap();
    let row = {
        let mut c = app.pool.get().unwrap();
        frdesk::disclosure::store::Disclosure::by_disclosure_id(&mut c, &format!("{number}-D1"))
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        Some(frdesk::disclosure::package::sha256_hex(&bytes)),
        row.pdf_sha256
    );
    b.close().await.unwrap();
}
