//! Search on approval: a persisted job per probe image runs through the real face engine and
//! the gallery; the candidate list is stored as returned; the case moves to `searched`.

use crate::helpers::*;

/// Enrolls a small LFW gallery (one photo each of a few people) through the CLI. The returned
/// folder holds the booking photos the gallery refers to: keep it alive.
#[must_use]
pub(crate) fn enroll_gallery(app: &TestApp, people: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for p in people {
        let d = dir.path().join(p);
        std::fs::create_dir_all(&d).unwrap();
        let (name, bytes) = photo(p, 1);
        std::fs::write(d.join(name), bytes).unwrap();
    }
    let out = app
        .frdesk()
        .args(["gallery", "enroll", "--source", "test booking system"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "enroll failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

pub(crate) async fn approve(app: &TestApp, case_id: i64) {
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    let csrf = csrf_of(&page);
    let r = reviewer
        .post_form(
            &format!("/review/{case_id}"),
            &[
                ("csrf_token", &csrf),
                ("decision", "approve"),
                ("comment", "Compliant; approved for search."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

/// Waits until every probe of the case is analysed (faces found), then starts the search as
/// the trained examiner `examiner@test.example` from the probe assessment: every probe with a
/// face, the first face of each.
pub(crate) async fn start_search(app: &TestApp, case_id: i64) {
    let examiner = app.login("examiner@test.example").await;
    start_search_as(&examiner, app, case_id).await;
}

pub(crate) async fn start_search_as(examiner: &Client, app: &TestApp, case_id: i64) {
    let probes = wait_until_analysed(app, case_id).await;
    let url = format!("/cases/{case_id}/assessment");
    let (status, page) = examiner.get_text(&url).await;
    assert_eq!(status, 200, "{page}");
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf_of(&page))];
    for p in &probes {
        if !p.faces().is_empty() {
            fields.push((format!("search_{}", p.id), "on".into()));
            fields.push((format!("face_{}", p.id), "0".into()));
        }
    }
    let r = examiner
        .http
        .post(format!("{}{}", examiner.base, url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

/// Approves the request and starts its search as a trained examiner.
pub(crate) async fn approve_and_start(app: &TestApp, case_id: i64) {
    approve(app, case_id).await;
    start_search(app, case_id).await;
}

/// Waits until no probe of the case is still being analysed.
pub(crate) async fn wait_until_analysed(
    app: &TestApp,
    case_id: i64,
) -> Vec<frdesk::search::ProbeSearch> {
    for _ in 0..600 {
        let s = searches(app, case_id);
        if !s.is_empty() && s.iter().all(|p| p.status.as_str() != "analysing") {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "probe analysis did not finish: {:?}",
        searches(app, case_id)
    );
}

pub(crate) fn searches(app: &TestApp, case_id: i64) -> Vec<frdesk::search::ProbeSearch> {
    let mut c = app.pool.get().unwrap();
    frdesk::search::ProbeSearch::for_case(&mut c, frdesk::domain::CaseId(case_id)).unwrap()
}

pub(crate) async fn wait_until_finished(
    app: &TestApp,
    case_id: i64,
) -> Vec<frdesk::search::ProbeSearch> {
    for _ in 0..600 {
        let s = searches(app, case_id);
        if !s.is_empty()
            && s.iter()
                .all(|p| !matches!(p.status.as_str(), "queued" | "analysing"))
        {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("search did not finish: {:?}", searches(app, case_id));
}

#[actix_web::test]
async fn a_trained_examiner_starts_the_search_from_the_probe_assessment() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(
        &app,
        &[
            "Colin_Powell",
            "George_W_Bush",
            "Tony_Blair",
            "Donald_Rumsfeld",
            "Gerhard_Schroeder",
            "Jean_Chretien",
        ],
    );
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    approve(&app, case_id).await;

    // Approval analyses the probe (faces, quality) and puts the case in the examiners' queue;
    // nothing is searched yet.
    let s = wait_until_analysed(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "awaiting_assessment", "{:?}", s[0]);
    assert_eq!(s[0].faces().len(), 1);
    assert!(s[0].candidates_json.is_none() && s[0].started_by.is_none());
    assert!(!app.audit().iter().any(|r| r.action == "search.run"));
    let url = format!("/cases/{case_id}/assessment");
    // A reviewer (no examiner training) may not start it; the refusal is audited.
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(reviewer.get(&url).await.status().as_u16(), 403);
    assert!(app.audit().iter().any(|r| r.action == "search.assess"
        && r.outcome == "denied"
        && r.user_email == "reviewer@test.example"));
    assert_eq!(reviewer.get("/examine").await.status().as_u16(), 403);
    let examiner = app.login("examiner@test.example").await;
    // The approved case waits in the examiners' queue.
    let (_, queue) = examiner.get_text("/examine").await;
    // Claimed from the queue before working on it ("Claim and start" posts the item).
    assert!(
        queue.contains(&format!("value=\"assessment:{case_id}\"")),
        "{queue}"
    );
    assert!(queue.contains("Assess the probes and start the search"));
    let (_, case_page) = examiner.get_text(&format!("/cases/{case_id}")).await;
    assert!(
        case_page.contains("Assess the probes and start the search"),
        "{case_page}"
    );
    let (status, page) = examiner.get_text(&url).await;
    assert_eq!(status, 200);
    for shown in [
        "between the eyes",
        "sharpness",
        "Search probe image 1",
        "Start the search",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    // Nothing selected and no note: refused beside the form, nothing started.
    let csrf = csrf_of(&page);
    let r = examiner
        .post_form(&url, &[("csrf_token", &csrf), ("note", "")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Select at least one probe")
    );
    assert_eq!(
        searches(&app, case_id)[0].status.as_str(),
        "awaiting_assessment"
    );
    start_search_as(&examiner, &app, case_id).await;
    // One action per case.
    let again = examiner
        .post_form(
            &url,
            &[
                ("csrf_token", &csrf),
                (&format!("search_{}", s[0].id), "on"),
            ],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].status.as_str(), "searched", "{:?}", s[0]);
    // Next in the queue: the first review of the candidate list.
    let (_, queue) = examiner.get_text("/examine").await;
    assert!(
        queue.contains("First review of the candidate list"),
        "{queue}"
    );
    // The run, its audit record and the timeline name the examiner who started it.
    let lee = app
        .audit()
        .into_iter()
        .find(|r| r.action == "search.start" && r.outcome == "success")
        .expect("search.start audited");
    assert_eq!(lee.user_email, "examiner@test.example");
    assert_eq!(Some(s[0].started_by.unwrap()), lee.user_id);
    assert!(
        app.audit().iter().any(|r| r.action == "search.run"
            && r.details_text().contains("started by examiner Lee Park"))
    );
    let list = s[0].candidates();
    assert!(list.len() >= 2, "{list:?}");
    assert_eq!(list[0].rank, 1);
    assert_eq!(
        list[0].subject_key, "Colin_Powell",
        "the mate is at rank 1: {list:?}"
    );
    assert!(list[0].score > list[1].score);
    assert!(
        list.iter()
            .all(|c| c.model_id == list[0].model_id && c.fmr_rate > 0.0)
    );
    assert!(s[0].model_key.as_deref().unwrap_or("").contains("sface"));
    // The case moved on and shows it; the probe was not added to the gallery.
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(
        page.contains("Searched — awaiting examiner review"),
        "status in view"
    );
    assert!(page.contains("candidate(s)"), "timeline shows the search");
    assert!(
        page.contains("search started by examiner Lee Park"),
        "{page}"
    );
    for c in &list[1..] {
        assert!(
            !page.contains(&c.subject_key),
            "requesters never see the candidate list"
        );
    }
    let stats = app.frdesk().args(["gallery", "stats"]).output().unwrap();
    let out = String::from_utf8_lossy(&stats.stdout);
    assert!(
        out.contains('6'),
        "six photos enrolled, the probe not among them: {out}"
    );
    // The search run is a record of access (LAPD's order): when, the probe hash and case
    // number queried, on whose behalf, and the search reason.
    assert!(app.audit().iter().any(|r| {
        r.action == "search.run"
            && r.object_id == s[0].image_sha256
            && r.details_text().contains("case FR-")
            && r.details_text()
                .contains("requested by requester.a@test.example")
            && r.search_reason.as_deref()
                == Some("Robbery suspect, Case# 123-89765-0123-41X, 211 PC")
    }));
}

#[actix_web::test]
async fn a_probe_without_a_face_is_recorded_not_dropped() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    // A real photo with no face: a plain grey JPEG.
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[("wall.jpg".to_string(), bytes)],
        )
        .await;
    let case_id = case_id_from_location(&r);
    approve(&app, case_id).await;
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "no_face");
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("No face found in this image"));

    // Nothing to examine: the case is not left hanging. A no-lead packet saying that no search
    // was possible is issued and sent, with no examiner review.
    let mut issued = Vec::new();
    for _ in 0..300 {
        let mut c = app.pool.get().unwrap();
        issued =
            frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(case_id))
                .unwrap();
        if !issued.is_empty() {
            break;
        }
        drop(c);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let jobs: Vec<(String, String, Option<String>)> = {
        use diesel::prelude::*;
        use frdesk::platform::db::schema::jobs::dsl as j;
        let mut c = app.pool.get().unwrap();
        j::jobs
            .select((j::kind, j::status, j::last_error))
            .load(&mut c)
            .unwrap()
    };
    assert_eq!(issued.len(), 1, "a result is issued; jobs: {jobs:?}");
    assert_eq!(issued[0].result, "no_lead");
    let file = app
        .data_dir
        .path()
        .join("packets")
        .join(issued[0].file_name());
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    assert!(text.contains("NO SEARCH POSSIBLE"), "{text}");
    assert!(text.contains("No face could be found"), "{text}");
    assert!(text.contains("INVESTIGATIVE LEAD ONLY"));
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Result issued"), "{page}");
    assert!(
        app.wait_for_mail_to("requester.a@test.example", 3)
            .await
            .iter()
            .any(|m| m.contains("Face search result")),
        "the requester is told"
    );
}

#[actix_web::test]
async fn a_multi_face_probe_waits_for_a_trained_examiner_to_choose_the_face() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let group = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/demo/players.jpg"),
    )
    .expect("models/demo/players.jpg (run script/setup)");
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[("players.jpg".to_string(), group)],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let case_id = case_id_from_location(&r);
    approve(&app, case_id).await;
    let s = wait_until_analysed(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "awaiting_assessment");
    assert!(s[0].faces().len() >= 2);
    assert!(
        s[0].candidates_json.is_none(),
        "nothing searched before the choice"
    );
    let url = format!("/cases/{case_id}/assessment");
    let faces_url = format!("/cases/{case_id}/probes/{}/faces", s[0].id);
    // Only a trained examiner may assess; the refusal is audited.
    assert_eq!(requester.get(&url).await.status().as_u16(), 403);
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "search.assess" && r.outcome == "denied")
    );
    let examiner = app.login("examiner@test.example").await;
    let (status, page) = examiner.get_text(&url).await;
    assert_eq!(status, 200);
    assert!(page.contains("choose the one to search"), "{page}");
    let crop = examiner.get(&format!("{faces_url}/1.jpg")).await;
    assert_eq!(crop.status().as_u16(), 200);
    assert_eq!(crop.headers().get("content-type").unwrap(), "image/jpeg");
    let csrf = csrf_of(&page);
    let search = format!("search_{}", s[0].id);
    let face = format!("face_{}", s[0].id);
    // Selected without a face chosen: refused, the selection kept.
    let r = examiner
        .post_form(&url, &[("csrf_token", &csrf), (&search, "on")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Choose the face to search in probe image 1"),
        "{body}"
    );
    assert!(
        body.contains(&format!("name=\"{search}\" value=\"on\" checked")),
        "{body}"
    );
    let r = examiner
        .post_form(
            &url,
            &[("csrf_token", &csrf), (&search, "on"), (&face, "1")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "searched", "{:?}", s[0]);
    assert_eq!(s[0].chosen_face, Some(1));
    assert!(!s[0].candidates().is_empty());
    // A second start is refused.
    let r = examiner
        .post_form(
            &url,
            &[("csrf_token", &csrf), (&search, "on"), (&face, "0")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
}

/// Submits a request probing with `probe`, approves it and waits for the search; returns
/// (case id, probe search).
pub(crate) async fn searched_case(
    app: &TestApp,
    probe: (String, Vec<u8>),
) -> (i64, frdesk::search::ProbeSearch) {
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(&csrf, &key, "submit", &valid_fields(), &[probe])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    approve_and_start(app, case_id).await;
    let s = wait_until_finished(app, case_id).await;
    assert_eq!(s[0].status.as_str(), "searched");
    (case_id, s[0].clone())
}

/// Posts a review after opening every candidate's booking photo, as an examiner does: `lead`
/// ranks are possible leads, the rest excluded.
pub(crate) async fn review(
    c: &Client,
    url: &str,
    ranks: &[u32],
    lead: &[u32],
    note: &str,
) -> reqwest::Response {
    let base = url.trim_end_matches("/review");
    for r in ranks {
        // A refused viewer gets 403 here and again on the post, which the caller checks.
        let _ = c.get(&format!("{base}/candidates/{r}.jpg")).await;
    }
    post_review(c, url, ranks, lead, note).await
}

/// Posts a review without opening any photo first.
pub(crate) async fn post_review(
    c: &Client,
    url: &str,
    ranks: &[u32],
    lead: &[u32],
    note: &str,
) -> reqwest::Response {
    let (status, page) = c.get_text(url).await;
    assert_eq!(status, 200, "{page}");
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf_of(&page))];
    for r in ranks {
        let d = if lead.contains(r) {
            "possible_lead"
        } else {
            "excluded"
        };
        fields.push((format!("d_{r}"), d.into()));
        fields.push((format!("f_{r}"), "eyes".into()));
        fields.push((format!("f_{r}"), "nose".into()));
        fields.push((
            format!("n_{r}"),
            format!("{note}: compared eyes and nose of candidate {r}"),
        ));
    }
    c.http
        .post(format!("{}{}", c.base, url))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn two_examiners_review_blind_and_agree_on_a_possible_lead() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(
        &app,
        &[
            "Colin_Powell",
            "George_W_Bush",
            "Tony_Blair",
            "Donald_Rumsfeld",
        ],
    );
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);

    // Requesters never see candidate lists; untrained or non-examiners are refused.
    let requester = app.login("requester.a@test.example").await;
    assert_eq!(requester.get(&url).await.status().as_u16(), 403);

    let e1 = app.login("examiner@test.example").await;
    // Every candidate needs a disposition.
    let (_, page) = e1.get_text(&url).await;
    let r = e1
        .post_form(
            &url,
            &[("csrf_token", &csrf_of(&page)), ("d_1", "possible_lead")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    // Opening a candidate's photo is a "subject viewed" audit record.
    let photo_r = e1
        .get(&format!(
            "/cases/{case_id}/probes/{}/candidates/1.jpg",
            ps.id
        ))
        .await;
    assert_eq!(photo_r.status().as_u16(), 200);
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "subject.view" && a.object_id == "Colin_Powell")
    );

    let r = review(&e1, &url, &ranks, &[1], "first examiner secret note").await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = e1.get_text(&url).await;
    assert!(page.contains("Awaiting the blind second review"));
    // The queue offers the second review to another examiner only.
    let (_, q1) = e1.get_text("/examine").await;
    assert!(
        !q1.contains(&format!(":{}\"", ps.id)),
        "never a list they already reviewed: {q1}"
    );
    let (_, q2) = app
        .login("examiner2@test.example")
        .await
        .get_text("/examine")
        .await;
    assert!(
        q2.contains(&format!("value=\"second_review:{}\"", ps.id))
            && q2.contains("Blind second review"),
        "{q2}"
    );
    // The same examiner cannot do the second review.
    let r = review(&e1, &url, &ranks, &[1], "again").await;
    assert_eq!(r.status().as_u16(), 403);

    // The second examiner does not see the first one's dispositions or notes.
    let e2 = app.login("examiner2@test.example").await;
    let (_, page) = e2.get_text(&url).await;
    assert!(
        !page.contains("first examiner secret note"),
        "second review must be blind"
    );
    assert!(!page.contains("Possible lead</li>") && !page.contains("rank 1: Possible lead"));
    let r = review(&e2, &url, &ranks, &[1], "second examiner").await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = e2.get_text(&url).await;
    assert!(
        page.contains("Concluded: possible investigative lead (rank 1)"),
        "{page}"
    );
    assert!(
        !page.contains("awaiting examiner review"),
        "no stale status beside the conclusion: {page}"
    );
    assert!(
        page.contains("first examiner secret note"),
        "all views are kept and shown once concluded"
    );
    let (_, case_page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(case_page.contains("Examination concluded: possible investigative lead"));
}

#[actix_web::test]
async fn disagreement_goes_to_a_supervisor() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 3)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[1], "lead")
            .await
            .status()
            .as_u16(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[], "no lead")
            .await
            .status()
            .as_u16(),
        303
    );
    let adj = format!("/cases/{case_id}/probes/{}/adjudicate", ps.id);
    // A reviewer is not a supervisor: no candidate list, no adjudication; both audited.
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(reviewer.get(&url).await.status().as_u16(), 403);
    let (_, rpage) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    let r = reviewer
        .post_form(
            &adj,
            &[
                ("csrf_token", &csrf_of(&rpage)),
                ("lead", "none"),
                ("comment", "Probe too poor to support a lead."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(app.audit().iter().any(|r| r.action == "examine.adjudicate"
        && r.outcome == "denied"
        && r.user_email == "reviewer@test.example"));
    let supervisor = app.login("supervisor@test.example").await;
    let (_, page) = supervisor.get_text(&url).await;
    assert!(page.contains("awaiting a supervisor"));
    let csrf = csrf_of(&page);
    // The supervisor's own comparison is recorded: features for a lead; a candidate no
    // examiner marked needs a full comparison.
    let other = ranks.iter().find(|r| **r != 1).unwrap().to_string();
    let r = supervisor
        .post_form(
            &adj,
            &[
                ("csrf_token", &csrf),
                ("lead", "1"),
                ("comment", "Compared the faces side by side."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("Tick the facial features"));
    let r = supervisor
        .post_form(
            &adj,
            &[
                ("csrf_token", &csrf),
                ("lead", &other),
                ("f", "eyes"),
                ("comment", "Compared the faces side by side."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("No examiner marked candidate")
    );
    let r = supervisor
        .post_form(
            &adj,
            &[
                ("csrf_token", &csrf_of(&page)),
                ("lead", "none"),
                ("f", "eyes"),
                ("comment", "Probe too poor to support a lead."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(app.audit().iter().any(|r| r.action == "examine.adjudicate"
        && r.outcome == "success"
        && r.details_text().contains("features compared: eyes")));
    let (_, page) = supervisor.get_text(&url).await;
    assert!(page.contains("Concluded: no lead"));
    assert!(page.contains("adjudication"), "all three views kept");
    // An examiner cannot adjudicate.
    let r = e1
        .post_form(
            &adj,
            &[
                ("csrf_token", "x"),
                ("lead", "none"),
                ("comment", "nope nope"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
}

#[actix_web::test]
async fn a_failed_search_can_be_run_again_by_an_examiner_once() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush"]);
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let (name, bytes) = photo("Colin_Powell", 2);
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[(name, bytes.clone())],
        )
        .await;
    let case_id = case_id_from_location(&r);
    // The stored probe goes missing before the search runs: every attempt fails.
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let stored = app
        .data_dir
        .path()
        .join("images")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(format!("{sha}.jpg"));
    let aside = app.data_dir.path().join("aside.jpg");
    std::fs::rename(&stored, &aside).expect("the stored probe file");
    approve(&app, case_id).await;
    let s = wait_until_finished(&app, case_id).await;
    assert_eq!(s[0].status.as_str(), "failed", "{:?}", s[0]);
    assert!(
        s[0].started_by.is_none(),
        "the analysis failed, before any assessment"
    );
    let examiner = app.login("examiner@test.example").await;
    let (_, page) = examiner.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Run this search again"), "{page}");
    let rerun = format!("/cases/{case_id}/probes/{}/rerun", s[0].id);

    // A requester cannot; the file is back; the examiner re-runs it; it is searched once.
    let (_, rpage) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(!rpage.contains("Run this search again"));
    let r = requester
        .post_form(&rerun, &[("csrf_token", &csrf_of(&rpage))])
        .await;
    assert_eq!(r.status().as_u16(), 403);
    std::fs::rename(&aside, &stored).unwrap();
    let csrf = csrf_of(&page);
    let r = examiner.post_form(&rerun, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 303);
    let r = examiner.post_form(&rerun, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 409, "a double submit queues it once");
    // The analysis runs again; the examiner assesses the probe and starts the search.
    start_search_as(&examiner, &app, case_id).await;
    let done = wait_until_finished(&app, case_id).await;
    assert_eq!(done[0].status.as_str(), "searched", "{:?}", done[0]);
    assert_eq!(done[0].candidates()[0].subject_key, "Colin_Powell");
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "search.rerun" && a.user_email == "examiner@test.example")
    );
}
