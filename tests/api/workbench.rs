//! Issue 15, the examiner's workbench: a disposition only for a candidate whose photo was
//! shown, a removed candidate recorded as not available, nothing entered is lost.

use diesel::prelude::*;
use frdesk::platform::db::schema::{examination_drafts, examinations};

use crate::helpers::*;
use crate::search::{enroll_gallery, post_review, review, searched_case};

const PEOPLE: [&str; 4] = [
    "Colin_Powell",
    "George_W_Bush",
    "Tony_Blair",
    "Donald_Rumsfeld",
];

/// The candidate form of every rank: all excluded with features and a note.
fn fields(page: &str, ranks: &[u32], skip_features_of: Option<u32>) -> Vec<(String, String)> {
    let mut f = vec![("csrf_token".to_string(), csrf_of(page))];
    for r in ranks {
        f.push((format!("d_{r}"), "excluded".into()));
        if Some(*r) != skip_features_of {
            f.push((format!("f_{r}"), "eyes".into()));
        }
        f.push((
            format!("n_{r}"),
            format!("note for candidate {r}: eyes differ"),
        ));
    }
    f
}

async fn post(c: &Client, url: &str, f: &[(String, String)]) -> reqwest::Response {
    c.http
        .post(format!("{}{}", c.base, url))
        .form(f)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_disposition_needs_the_candidates_photo_to_have_been_shown() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    assert!(ranks.len() >= 2);
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    // Only the first photo opened: every other candidate is refused a disposition.
    assert_eq!(
        e1.get(&format!(
            "/cases/{case_id}/probes/{}/candidates/1.jpg",
            ps.id
        ))
        .await
        .status()
        .as_u16(),
        200
    );
    let r = post_review(&e1, &url, &ranks, &[], "unseen").await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("never shown to you"), "{page}");
    assert!(
        page.contains("unseen: compared eyes and nose of candidate 2"),
        "what was typed is kept: {page}"
    );
    let n: i64 = {
        let mut c = app.pool.get().unwrap();
        examinations::table
            .filter(examinations::probe_search_id.eq(ps.id))
            .count()
            .get_result(&mut c)
            .unwrap()
    };
    assert_eq!(n, 0, "nothing recorded");
    // Opening every photo (as `review` does) lets the same review through.
    assert_eq!(review(&e1, &url, &ranks, &[], "seen").await.status(), 303);
}

#[actix_web::test]
async fn entries_survive_a_refused_review_and_a_private_draft_is_kept_on_the_server() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    for r in &ranks {
        e1.get(&format!(
            "/cases/{case_id}/probes/{}/candidates/{r}.jpg",
            ps.id
        ))
        .await;
    }
    let (_, page) = e1.get_text(&url).await;
    assert!(page.contains("What each disposition needs"), "{page}");
    // Rank 1 lacks its features: refused, and every entry comes back.
    let r = post(&e1, &url, &fields(&page, &ranks, Some(1))).await;
    assert_eq!(r.status().as_u16(), 422);
    let back = r.text().await.unwrap();
    assert!(
        back.contains("Tick the facial features you compared"),
        "{back}"
    );
    for r in &ranks {
        assert!(
            back.contains(&format!("note for candidate {r}: eyes differ")),
            "{back}"
        );
    }
    assert!(back.contains("value=\"excluded\" checked"), "{back}");
    assert!(back.contains("value=\"eyes\" checked"), "{back}");

    // Save a draft; it is filled in on the next visit, for this examiner only.
    let mut draft = fields(&page, &ranks, Some(1));
    draft.push(("action".into(), "draft".into()));
    let r = post(&e1, &url, &draft).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, again) = e1.get_text(&url).await;
    assert!(again.contains("Your draft saved"), "{again}");
    assert!(
        again.contains("note for candidate 2: eyes differ"),
        "{again}"
    );
    assert!(
        app.audit().iter().any(|a| a.action == "examine.save_draft"),
        "saving a draft is audited"
    );
    let e2 = app.login("examiner2@test.example").await;
    let (_, other) = e2.get_text(&url).await;
    assert!(
        !other.contains("note for candidate 2: eyes differ"),
        "another examiner never sees the draft"
    );
    // Recording the review discards the draft.
    let r = post(&e1, &url, &fields(&again, &ranks, None)).await;
    assert_eq!(r.status().as_u16(), 303);
    let mut c = app.pool.get().unwrap();
    let drafts: i64 = examination_drafts::table
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(drafts, 0);
}

#[actix_web::test]
async fn a_candidate_removed_from_the_gallery_is_recorded_not_available() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let gone = ps.candidates()[1].clone();
    let out = app
        .frdesk()
        .args([
            "gallery",
            "remove",
            "--subject",
            &gone.subject_key,
            "--reason",
            "record sealed by court order 2026-CR-123",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    let (_, page) = e1.get_text(&url).await;
    assert!(
        page.contains("Removed from the gallery since the search"),
        "{page}"
    );
    let photo_r = e1
        .get(&format!(
            "/cases/{case_id}/probes/{}/candidates/{}.jpg",
            ps.id, gone.rank
        ))
        .await;
    assert_eq!(
        photo_r.status().as_u16(),
        404,
        "a sealed record is not shown"
    );
    // The examiner reviews the others; the removed one is recorded by the system.
    assert_eq!(
        review(&e1, &url, &ranks, &[], "checked").await.status(),
        303
    );
    let mut c = app.pool.get().unwrap();
    let json: String = examinations::table
        .filter(examinations::probe_search_id.eq(ps.id))
        .select(examinations::review_json)
        .first(&mut c)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let a = v["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rank"].as_u64() == Some(gone.rank as u64))
        .unwrap();
    assert_eq!(a["disposition"].as_str(), Some("not_available"), "{v}");
}
