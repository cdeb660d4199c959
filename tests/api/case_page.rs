//! The case page leads with what its reader needs (issue 15): the status and what happens next
//! for every role; a returned request's reviewer comment and "Edit and resubmit"; an issued
//! result with "Download packet (PDF)". The copy a return makes for the corrections is not shown
//! as a second version until it is submitted. The navigation marks the page the user is on.

use std::time::Duration;

use frdesk::domain::CaseId;
use frdesk::result::store::PacketRecord;

use crate::helpers::*;
use crate::review::decide;
use crate::search::{enroll_gallery, review, searched_case};

/// The part of the page before the request's versions: what the reader sees first.
fn head_of(page: &str) -> &str {
    page.split("Request version").next().unwrap_or(page)
}

#[actix_web::test]
async fn a_returned_request_leads_with_the_reviewers_comment_and_edit_and_resubmit() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;

    // Before the decision: the status and the next step lead the page.
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let head = head_of(&page);
    assert!(head.contains("Awaiting compliance review"), "{head}");
    assert!(
        head.contains("A reviewer checks the request against the policy"),
        "{head}"
    );
    assert!(!page.contains("Download packet (PDF)"));

    let reviewer = app.login("reviewer@test.example").await;
    let comment = "Please add the DR number to the reason.";
    assert_eq!(
        decide(&reviewer, case_id, "return", comment, false)
            .await
            .status()
            .as_u16(),
        303
    );

    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let head = head_of(&page);
    assert!(head.contains("Returned for correction"), "{head}");
    assert!(
        head.contains(comment),
        "the reviewer's comment leads: {head}"
    );
    assert!(
        page.contains(&format!(
            "<a class=\"button primary\" href=\"/cases/{case_id}/edit\">Edit and resubmit</a>"
        )),
        "{page}"
    );
    // The comment comes before the request itself and before the decisions list.
    let at_comment = page.find(comment).unwrap();
    assert!(at_comment < page.find("Request version 1").unwrap());
    // The copy made for the corrections (version 2, unsigned) is not a second version.
    assert!(page.contains("Request version 1 (current)"), "{page}");
    assert!(!page.contains("Request version 2"), "{page}");
    assert!(!page.contains("not submitted"), "{page}");

    // Service staff see the comment first too, without the requester's button.
    let (_, page) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert!(head_of(&page).contains(comment));
    assert!(!page.contains("Edit and resubmit"));
    assert!(!page.contains("Request version 2"));

    // Saved corrections are still no version; the requester is told they are not submitted.
    let (_, form) = requester.get_text(&format!("/cases/{case_id}/edit")).await;
    let fields = fields_with(&[("search_reason", "Robbery suspect, DR# 23-0145678, 211 PC")]);
    let r = requester
        .post_request(&csrf_of(&form), &form_key_of(&form), "save", &fields, &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(!page.contains("Request version 2"), "{page}");
    assert!(
        page.contains("Your corrections are saved as version 2, not submitted yet."),
        "{page}"
    );

    // Once resubmitted (signed), version 2 is a version of the request.
    let (_, form) = requester.get_text(&format!("/cases/{case_id}/edit")).await;
    let r = requester
        .post_request(&csrf_of(&form), &form_key_of(&form), "submit", &fields, &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Request version 2 (current)"), "{page}");
    assert!(page.contains("Request version 1"));
    assert!(!page.contains("Edit and resubmit"));
    assert!(head_of(&page).contains("Awaiting compliance review"));
}

#[actix_web::test]
async fn an_issued_result_leads_the_requesters_case_page_with_download_packet_pdf() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let requester = app.login("requester.a@test.example").await;
    // Searched, not yet concluded: the status and the next step; no download yet.
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let head = head_of(&page);
    assert!(head.contains("Searched"), "{head}");
    assert!(
        head.contains("Two trained examiners compare the probe with each candidate"),
        "{head}"
    );
    assert!(!page.contains("Download packet (PDF)"));

    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    for (who, note) in [
        ("examiner@test.example", "first"),
        ("examiner2@test.example", "second"),
    ] {
        let e = app.login(who).await;
        assert_eq!(review(&e, &url, &ranks, &[], note).await.status(), 303);
    }
    let mut packet = None;
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        packet = PacketRecord::current(&mut c, CaseId(case_id)).unwrap();
        if packet.is_some() {
            break;
        }
        drop(c);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let packet = packet.expect("a packet is issued after two agreeing reviews");

    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    let head = head_of(&page);
    assert!(head.contains("Result issued"), "{head}");
    assert!(head.contains(packet.result_label()), "{head}");
    let href = format!("/cases/{case_id}/packets/{}", packet.file_name());
    assert!(
        head.contains(&format!(
            "<a class=\"button primary download\" href=\"{href}\" download>Download packet (PDF)</a>"
        )),
        "{head}"
    );
    // The button downloads the issued packet.
    let r = requester.get(&href).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "application/pdf"
    );
    // An examiner (service staff) sees the result first too.
    let e = app.login("examiner@test.example").await;
    let (_, page) = e.get_text(&format!("/cases/{case_id}")).await;
    assert!(head_of(&page).contains(&format!("Result: {}", packet.result_label())));
}

#[actix_web::test]
async fn the_navigation_marks_the_page_the_user_is_on() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    for (path, current) in [
        ("/cases".to_string(), "/cases"),
        (format!("/cases/{case_id}"), "/cases"),
        ("/cases/new".to_string(), "/cases/new"),
        ("/search".to_string(), "/search"),
    ] {
        let (status, page) = requester.get_text(&path).await;
        assert_eq!(status, 200, "{path}");
        let marked: Vec<&str> = page
            .match_indices("aria-current=\"page\"")
            .map(|(i, _)| {
                let before = &page[..i];
                let start = before.rfind("href=\"").unwrap() + 6;
                &page[start..start + before[start..].find('"').unwrap()]
            })
            .collect();
        assert_eq!(marked, vec![current], "{path}");
    }
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text("/audit/calendar").await;
    assert!(page.contains("<a href=\"/audit/calendar\" aria-current=\"page\">"));
    assert!(!page.contains("<a href=\"/audit\" aria-current"));
}
