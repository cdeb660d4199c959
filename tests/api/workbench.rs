//! Issue 15, the examiner's workbench: a disposition only for a candidate whose photo was
//! shown, a removed candidate recorded as not available, nothing entered is lost; the
//! comparison view (aligned crops of equal size, one candidate at a time, saved as the examiner
//! goes) and the adjudication table.

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
    // Rank 1, a possible lead, lacks its features: refused, and every entry is kept.
    let mut f = fields(&page, &ranks, Some(1));
    f.retain(|(k, _)| k != "d_1");
    f.push(("d_1".into(), "possible_lead".into()));
    let r = post(&e1, &url, &f).await;
    assert_eq!(r.status().as_u16(), 422);
    let back = r.text().await.unwrap();
    assert!(
        back.contains("Tick the facial features you compared"),
        "{back}"
    );
    assert!(back.contains("note for candidate 1: eyes differ"), "{back}");
    assert!(back.contains("value=\"possible_lead\" checked"), "{back}");
    for r in &ranks {
        let (_, one) = e1.get_text(&format!("{url}?rank={r}")).await;
        assert!(
            one.contains(&format!("note for candidate {r}: eyes differ")),
            "{one}"
        );
    }
    let (_, two) = e1.get_text(&format!("{url}?rank=2")).await;
    assert!(two.contains("value=\"excluded\" checked"), "{two}");
    assert!(two.contains("value=\"eyes\" checked"), "{two}");

    // Save a draft; it is filled in on the next visit, for this examiner only.
    let mut draft = fields(&page, &ranks, Some(1));
    draft.push(("action".into(), "draft".into()));
    let r = post(&e1, &url, &draft).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, again) = e1.get_text(&format!("{url}?rank=2")).await;
    assert!(again.contains("Your draft was last saved"), "{again}");
    assert!(
        again.contains("note for candidate 2: eyes differ"),
        "{again}"
    );
    assert!(
        app.audit().iter().any(|a| a.action == "examine.save_draft"),
        "saving a draft is audited"
    );
    let e2 = app.login("examiner2@test.example").await;
    let (_, other) = e2.get_text(&format!("{url}?rank=2")).await;
    assert!(
        !other.contains("note for candidate 2: eyes differ"),
        "another examiner never sees the draft"
    );
    // Recording the review discards the draft. Exclusions need no features (rank 1 has none).
    let r = post(&e1, &url, &fields(&again, &ranks, Some(1))).await;
    assert_eq!(r.status().as_u16(), 303);
    let mut c = app.pool.get().unwrap();
    let drafts: i64 = examination_drafts::table
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(drafts, 0);
}

/// The per-candidate form of the comparison view: `rank` with its disposition, features and
/// note, and `action` (`save`, or none for "Record my review").
fn one_candidate(
    page: &str,
    rank: u32,
    d: &str,
    features: &[&str],
    note: &str,
    action: Option<&str>,
) -> Vec<(String, String)> {
    let mut f = vec![
        ("csrf_token".to_string(), csrf_of(page)),
        ("rank".to_string(), rank.to_string()),
        (format!("d_{rank}"), d.to_string()),
        (format!("n_{rank}"), note.to_string()),
    ];
    for x in features {
        f.push((format!("f_{rank}"), x.to_string()));
    }
    if let Some(a) = action {
        f.push(("action".into(), a.into()));
    }
    f
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[actix_web::test]
async fn the_comparison_view_saves_each_candidate_and_keeps_it_through_a_refused_submit() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    assert!(ranks.len() >= 3, "{ranks:?}");
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    // One candidate at a time: the probe crop and this candidate's crop, previous/next links.
    let (s, page) = e1.get_text(&format!("{url}?rank=2")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("Candidate 2 <span class=\"muted\">(2 of"),
        "{page}"
    );
    assert!(page.contains("/candidates/2/aligned.jpg"), "{page}");
    assert!(
        page.contains("/faces/0/aligned.jpg"),
        "the probe crop beside it"
    );
    assert!(page.contains("rel=\"prev\""), "{page}");
    assert!(page.contains("rel=\"next\""), "{page}");
    assert!(page.contains("/static/compare.js"), "keyboard shortcuts");
    assert!(page.contains("<svg"), "the originals with the face boxed");
    // The crops are what the examiner sees: each counts as the candidate shown.
    for r in &ranks {
        let img = e1
            .get(&format!(
                "/cases/{case_id}/probes/{}/candidates/{r}/aligned.jpg",
                ps.id
            ))
            .await;
        assert_eq!(img.status().as_u16(), 200);
    }
    // Save rank 1 and move on to rank 2.
    let r = post(
        &e1,
        &url,
        &one_candidate(
            &page,
            1,
            "excluded",
            &[],
            "first: different nose",
            Some("save"),
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).contains("rank=2&saved=1"), "{}", location(&r));
    let (_, after) = e1.get_text(&format!("{url}?rank=2&saved=1")).await;
    assert!(after.contains("Candidate 1 saved"), "{after}");
    // A reload keeps it.
    let (_, one) = e1.get_text(&format!("{url}?rank=1")).await;
    assert!(one.contains("first: different nose"), "{one}");
    assert!(one.contains("value=\"excluded\" checked"), "{one}");
    // Rank 2 a possible lead without features, then "Record my review": refused (rank 2 and
    // the rest), nothing lost, the page points at the first candidate with a problem.
    let r = post(
        &e1,
        &url,
        &one_candidate(
            &page,
            2,
            "possible_lead",
            &[],
            "second: same ear shape and hairline",
            None,
        ),
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let back = r.text().await.unwrap();
    assert!(back.contains("required for a possible lead"), "{back}");
    assert!(
        back.contains("Candidate 2 <span class=\"muted\">"),
        "{back}"
    );
    assert!(
        back.contains("second: same ear shape and hairline"),
        "{back}"
    );
    assert!(
        back.contains(&format!(
            "?rank={}#candidate\">Candidate {}</a>",
            ranks[2], ranks[2]
        )),
        "every candidate with a problem is listed: {back}"
    );
    let (_, one) = e1.get_text(&format!("{url}?rank=1")).await;
    assert!(one.contains("first: different nose"), "{one}");
    assert!(
        one.contains("To do"),
        "the overview says what is still needed: {one}"
    );
    // Another examiner never sees it.
    let e2 = app.login("examiner2@test.example").await;
    let (_, other) = e2.get_text(&format!("{url}?rank=2")).await;
    assert!(!other.contains("second: same ear shape"), "{other}");
    assert!(!other.contains("first: different nose"), "{other}");
    // Complete the rest one by one, then record: the whole draft is the review.
    let mut r = post(
        &e1,
        &url,
        &one_candidate(
            &page,
            2,
            "possible_lead",
            &["ears", "hair_hairline"],
            "second: same ear shape and hairline",
            Some("save"),
        ),
    )
    .await;
    for rank in &ranks[2..] {
        assert_eq!(r.status().as_u16(), 303);
        r = post(
            &e1,
            &url,
            &one_candidate(&page, *rank, "excluded", &[], "", Some("save")),
        )
        .await;
    }
    assert_eq!(r.status().as_u16(), 303);
    let (_, last) = e1
        .get_text(&format!("{url}?rank={}", ranks[ranks.len() - 1]))
        .await;
    assert!(last.contains("Every candidate has what it needs"), "{last}");
    let r = post(&e1, &url, &[("csrf_token".to_string(), csrf_of(&last))]).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let mut c = app.pool.get().unwrap();
    let json: String = examinations::table
        .filter(examinations::probe_search_id.eq(ps.id))
        .select(examinations::review_json)
        .first(&mut c)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let a = v["assessments"].as_array().unwrap();
    assert_eq!(a.len(), ranks.len());
    assert_eq!(a[1]["disposition"].as_str(), Some("possible_lead"), "{v}");
    assert_eq!(a[0]["notes"].as_str(), Some("first: different nose"), "{v}");
}

/// Decodes a JPEG answer and checks it is a private 320×320 image.
async fn crop_of(r: reqwest::Response) -> image::RgbImage {
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "image/jpeg"
    );
    let cc = r
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cc.contains("no-store") && cc.contains("private"), "{cc}");
    let bytes = r.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    assert_eq!(img.dimensions(), (320, 320));
    img
}

#[actix_web::test]
async fn aligned_crops_put_the_same_persons_eyes_at_the_same_place() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let mate = ps
        .candidates()
        .into_iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .expect("the mate is a candidate");
    let face = ps.chosen_face.unwrap_or(0);
    let e1 = app.login("examiner@test.example").await;
    let probe = crop_of(
        e1.get(&format!(
            "/cases/{case_id}/probes/{}/faces/{face}/aligned.jpg",
            ps.id
        ))
        .await,
    )
    .await;
    let cand = crop_of(
        e1.get(&format!(
            "/cases/{case_id}/probes/{}/candidates/{}/aligned.jpg",
            ps.id, mate.rank
        ))
        .await,
    )
    .await;
    // Serving the crop is showing the candidate: audited like the photo.
    assert!(app.audit().iter().any(|a| {
        a.action == "subject.view"
            && a.details
                .as_deref()
                .is_some_and(|d| d.contains(&format!("rank {};", mate.rank)))
            && a.user_email == "examiner@test.example"
    }));
    // The detector finds both faces with the eyes and the nose at the same place (a few px).
    let engine = frdesk::face::FaceEngine::from_models_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
        frdesk::face::EngineOptions::batch(),
    )
    .unwrap();
    let lm = |img: &image::RgbImage| {
        let faces = engine.detect_rgb(img).unwrap();
        assert!(!faces.is_empty(), "a face in the crop");
        faces[0].landmarks
    };
    let (a, b) = (lm(&probe), lm(&cand));
    for i in 0..3 {
        let d = ((a[i][0] - b[i][0]).powi(2) + (a[i][1] - b[i][1]).powi(2)).sqrt();
        assert!(d < 12.0, "landmark {i} {:?} vs {:?}", a[i], b[i]);
    }
    // And they are the same person to the face engine.
    let ta = engine
        .template_rgb(&probe, &engine.detect_rgb(&probe).unwrap()[0])
        .unwrap();
    let tb = engine
        .template_rgb(&cand, &engine.detect_rgb(&cand).unwrap()[0])
        .unwrap();
    let sim = ta.similarity(&tb).unwrap();
    assert!(sim > 0.4, "similarity of the crops {sim}");
    // Another agency's requester gets neither.
    let rq = app.login("requester.a@test.example").await;
    assert_eq!(
        rq.get(&format!(
            "/cases/{case_id}/probes/{}/candidates/{}/aligned.jpg",
            ps.id, mate.rank
        ))
        .await
        .status()
        .as_u16(),
        403
    );
}

#[actix_web::test]
async fn the_adjudication_table_marks_where_the_examiners_disagree() {
    let app = spawn_app().await;
    let _g = enroll_gallery(&app, &PEOPLE);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(review(&e1, &url, &ranks, &[1], "lead").await.status(), 303);
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(review(&e2, &url, &ranks, &[], "none").await.status(), 303);
    let sup = app.login("supervisor@test.example").await;
    let (s, page) = sup.get_text(&format!("{url}?rank=1")).await;
    assert_eq!(s, 200);
    assert!(page.contains("The examiners' dispositions"), "{page}");
    // Rank 1: possible lead against excluded, marked in words; rank 2 agrees.
    let row = |rank: u32| {
        let table = &page[page.find("The examiners' dispositions").unwrap()..];
        let start = table
            .find(&format!(
                "?rank={rank}#candidate\">Rank {rank}</a></td>\n  <td>"
            ))
            .unwrap_or_else(|| panic!("row {rank}: {page}"));
        let tail = &table[start..];
        tail[..tail.find("</tr>").unwrap()].to_string()
    };
    let one = row(1);
    assert!(
        one.contains("Possible lead") && one.contains("Excluded"),
        "{one}"
    );
    assert!(one.contains("Disagree"), "{one}");
    assert!(!row(2).contains("Disagree"), "{}", row(2));
    // Beside the same comparison view.
    assert!(page.contains("/candidates/1/aligned.jpg"), "{page}");
    assert!(page.contains("Record adjudication"), "{page}");
    // Before the second review, nobody sees the table (the second review stays blind).
    let app2 = spawn_app().await;
    let _g2 = enroll_gallery(&app2, &PEOPLE);
    let (case2, ps2) = searched_case(&app2, photo("Colin_Powell", 2)).await;
    let url2 = format!("/cases/{case2}/probes/{}/review", ps2.id);
    let ranks2: Vec<u32> = ps2.candidates().iter().map(|c| c.rank).collect();
    let f1 = app2.login("examiner@test.example").await;
    assert_eq!(
        review(&f1, &url2, &ranks2, &[1], "lead").await.status(),
        303
    );
    let f2 = app2.login("examiner2@test.example").await;
    let (_, blind) = f2.get_text(&url2).await;
    assert!(!blind.contains("The examiners' dispositions"), "{blind}");
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
    let crop_r = e1
        .get(&format!(
            "/cases/{case_id}/probes/{}/candidates/{}/aligned.jpg",
            ps.id, gone.rank
        ))
        .await;
    assert_eq!(crop_r.status().as_u16(), 404, "nor its aligned crop");
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
