//! Case-history search (`GET /search`, the history index, `frdesk reindex`).

use std::time::Duration;

use diesel::prelude::*;
use frdesk::cases::store::CaseScope;
use frdesk::domain::AgencyId;
use frdesk::history::{HistoryIndex, HistoryQuery};
use frdesk::platform::time::now;

use crate::helpers::*;

/// Polls `/search?<query>` as `c` until `ok(page)` (the index catches up in the background,
/// about once a second) for up to 10 s; returns the last page.
async fn search_until(c: &Client, query: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut page = String::new();
    for _ in 0..100 {
        let (status, p) = c.get_text(&format!("/search?{query}")).await;
        assert_eq!(status, 200, "{p}");
        page = p;
        if ok(&page) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page
}

fn link(case_id: i64) -> String {
    format!("href=\"/cases/{case_id}\"")
}

/// Submits a valid request whose reason carries `word`; returns the case id.
async fn submit_with_word(c: &Client, word: &str) -> i64 {
    let (csrf, key) = c.new_form().await;
    let reason = format!("Robbery suspect at {word} market, Case# 123-89765-0123-41X, 211 PC");
    let fields = fields_with(&[("search_reason", &reason)]);
    let r = c
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    case_id_from_location(&r)
}

fn agency_id(app: &TestApp, ori: &str) -> i64 {
    let mut c = app.pool.get().unwrap();
    frdesk::accounts::store::Agency::by_ori(&mut c, ori)
        .unwrap()
        .unwrap()
        .id
}

fn find(index: &HistoryIndex, text: &str, scope: CaseScope) -> Vec<i64> {
    let q = HistoryQuery {
        text: text.into(),
        page: 1,
        ..Default::default()
    };
    index
        .search(&q, scope)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.case_id)
        .collect()
}

#[actix_web::test]
async fn a_submitted_case_is_found_by_a_word_of_its_reason_and_the_search_is_audited() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit_with_word(&requester, "Quillfeather").await;

    let reviewer = app.login("reviewer@test.example").await;
    let page = search_until(&reviewer, "q=quillfeather", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)), "{page}");
    assert!(page.contains("<td>Alpha Police Department</td>"), "{page}");
    assert!(page.contains("<td>Dana Reyes</td>"));
    assert!(page.contains("class=\"badge status-submitted\""));
    assert!(page.contains("<mark>Quillfeather</mark>"), "{page}");
    assert!(
        page.contains("<label for=\"agency\">"),
        "staff get the agency filter"
    );
    // The requester finds their own case; a word that is nowhere finds nothing.
    let page = search_until(&requester, "q=quillfeather", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)));
    assert!(!page.contains("<label for=\"agency\">"), "no agency filter");
    let (_, page) = requester.get_text("/search?q=nosuchwordanywhere").await;
    assert!(page.contains("No cases match."));
    // A blank form shows no results and is not audited; every search is.
    let (_, page) = reviewer.get_text("/search").await;
    assert!(!page.contains("Results"));
    let audits: Vec<_> = app
        .audit()
        .into_iter()
        .filter(|r| r.action == "history.search")
        .collect();
    assert!(audits.iter().any(|r| r.role == "reviewer"
        && r.details_text().contains("quillfeather")
        && r.details_text().contains("scope all agencies")));
    assert!(
        audits
            .iter()
            .any(|r| r.user_email == "requester.a@test.example"
                && r.details_text().contains("nosuchwordanywhere")
                && r.details_text().contains("0 result(s)"))
    );
}

#[actix_web::test]
async fn a_requester_never_sees_another_agencys_case() {
    let app = spawn_app().await;
    let a = app.login("requester.a@test.example").await;
    let case_id = submit_with_word(&a, "Marrowfield").await;
    let reviewer = app.login("reviewer@test.example").await;
    // Once staff can find it, the index has it.
    let page = search_until(&reviewer, "q=marrowfield", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)));

    let b = app.login("requester.b@test.example").await;
    let agency_a = agency_id(&app, AGENCY_A);
    for query in [
        "q=marrowfield".to_string(),
        format!("q=marrowfield&agency={agency_a}"),
        format!("q=agency_id%3A{agency_a}"),
        "q=Alpha".to_string(),
        "status=submitted".to_string(),
        "sort=newest".to_string(),
    ] {
        let (status, page) = b.get_text(&format!("/search?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(!page.contains(&link(case_id)), "{query}: {page}");
        assert!(page.contains("No cases match."), "{query}");
    }
}

#[actix_web::test]
async fn the_status_filter_and_bad_input() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let returned = submit_with_word(&requester, "Thistlewick").await;
    let waiting = submit_with_word(&requester, "Thistlewick").await;
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/review/{returned}")).await;
    let csrf = csrf_of(&page);
    let r = reviewer
        .post_form(
            &format!("/review/{returned}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("decision", "return"),
                ("comment", "Please add the Larkspur report number."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // The decision's comment is searchable too.
    let page = search_until(&reviewer, "q=larkspur", |p| p.contains(&link(returned))).await;
    assert!(page.contains(&link(returned)), "{page}");
    assert!(!page.contains(&link(waiting)));
    let page = search_until(&reviewer, "q=thistlewick&status=returned", |p| {
        p.contains(&link(returned))
    })
    .await;
    assert!(page.contains(&link(returned)) && !page.contains(&link(waiting)));
    assert!(page.contains("1 case matches."));
    let (_, page) = reviewer
        .get_text("/search?q=thistlewick&status=submitted")
        .await;
    assert!(page.contains(&link(waiting)) && !page.contains(&link(returned)));
    // Today's dates include both; a range in the past includes neither.
    let today = chrono::Utc::now().date_naive();
    let (_, page) = reviewer
        .get_text(&format!("/search?q=thistlewick&from={today}&to={today}"))
        .await;
    assert!(page.contains("2 cases match."), "{page}");
    let (_, page) = reviewer
        .get_text("/search?q=thistlewick&from=2020-01-01&to=2020-12-31")
        .await;
    assert!(page.contains("No cases match."));

    // Bad dates are named beside their field; odd query syntax is a warning, never a 500.
    let (status, page) = reviewer
        .get_text("/search?q=thistlewick&from=31%2F12%2F2026&to=2026-01-01")
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"from-error\""), "{page}");
    assert!(page.contains("Enter a date as YYYY-MM-DD"));
    let (status, page) = reviewer
        .get_text("/search?q=%22unclosed+AND+(+nosuchfield%3Ax")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"q-warning\""), "{page}");
    let (status, _) = reviewer
        .get_text("/search?status=bogus&sort=sideways")
        .await;
    assert_eq!(status, 422);
}

/// Blind review: examiner notes are indexed only once the examination is concluded, and only
/// staff can match them.
#[actix_web::test]
async fn examiner_notes_are_searchable_only_after_the_examination_concludes() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit_with_word(&requester, "Pembrook").await;
    let examiner2 = app.login("examiner2@test.example").await;
    let reviewer = app.login("reviewer@test.example").await;
    {
        use frdesk::platform::db::schema::{examinations, probe_searches, users};
        let mut c = app.pool.get().unwrap();
        let examiner: i64 = users::table
            .filter(users::email.eq("examiner@test.example"))
            .select(users::id)
            .first(&mut c)
            .unwrap();
        diesel::insert_into(probe_searches::table)
            .values((
                probe_searches::case_id.eq(case_id),
                probe_searches::version.eq(1),
                probe_searches::image_sha256.eq("ab".repeat(32)),
                probe_searches::status.eq("searched"),
                probe_searches::created_at.eq(now()),
            ))
            .execute(&mut c)
            .unwrap();
        let ps: i64 = probe_searches::table
            .filter(probe_searches::case_id.eq(case_id))
            .select(probe_searches::id)
            .first(&mut c)
            .unwrap();
        let review = serde_json::json!({"assessments": [{
            "rank": 1, "disposition": "excluded", "features": ["chin"],
            "notes": "Zygomatic arch differs clearly."
        }]});
        diesel::insert_into(examinations::table)
            .values((
                examinations::case_id.eq(case_id),
                examinations::probe_search_id.eq(ps),
                examinations::examiner_id.eq(examiner),
                examinations::round.eq("first"),
                examinations::review_json.eq(review.to_string()),
                examinations::created_at.eq(now()),
            ))
            .execute(&mut c)
            .unwrap();
        frdesk::cases::timeline::timeline(
            &mut c,
            case_id,
            None,
            "examination",
            "First examiner review recorded",
            Some("Kestrelmark".into()),
        )
        .unwrap();
    }
    // The index has caught up past the first review once its timeline event is searchable...
    let page = search_until(&examiner2, "q=kestrelmark", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)), "{page}");
    // ...and the first examiner's notes are not in it.
    for c in [&examiner2, &reviewer] {
        let (_, page) = c.get_text("/search?q=zygomatic").await;
        assert!(
            !page.contains(&link(case_id)),
            "notes leaked before conclusion"
        );
    }
    {
        let mut c = app.pool.get().unwrap();
        frdesk::cases::timeline::timeline(
            &mut c,
            case_id,
            None,
            "examination_result",
            "Examination concluded: no lead (single examiner)",
            Some("Ospreymark".into()),
        )
        .unwrap();
    }
    let page = search_until(&reviewer, "q=zygomatic", |p| p.contains(&link(case_id))).await;
    assert!(
        page.contains(&link(case_id)),
        "concluded notes are searchable"
    );
    assert!(page.contains("<mark>Zygomatic</mark>"), "{page}");
    // The requester sees the timeline but never the notes, even by naming the field.
    let page = search_until(&requester, "q=ospreymark", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)));
    for q in ["zygomatic", "examiner_notes%3Azygomatic"] {
        let (_, page) = requester.get_text(&format!("/search?q={q}")).await;
        assert!(!page.contains(&link(case_id)), "{q}: {page}");
    }
}

#[actix_web::test]
async fn a_lost_or_corrupt_index_is_rebuilt_from_the_database() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit_with_word(&requester, "Gallowmere").await;
    let dir = app.data_dir.path().join("other-index");
    let agency_a = AgencyId(agency_id(&app, AGENCY_A));

    // Missing: built from the database.
    let index = HistoryIndex::open_or_rebuild(&dir, &app.pool).unwrap();
    assert_eq!(
        find(&index, "gallowmere", CaseScope::Service),
        vec![case_id]
    );
    assert_eq!(
        find(&index, "gallowmere", CaseScope::Agency(agency_a)),
        vec![case_id]
    );
    let agency_b = AgencyId(agency_id(&app, AGENCY_B));
    assert!(find(&index, "gallowmere", CaseScope::Agency(agency_b)).is_empty());
    assert!(index.last_event_id().unwrap() > 0);
    drop(index);

    // Deleted: rebuilt.
    std::fs::remove_dir_all(&dir).unwrap();
    let index = HistoryIndex::open_or_rebuild(&dir, &app.pool).unwrap();
    assert_eq!(
        find(&index, "gallowmere", CaseScope::Service),
        vec![case_id]
    );
    drop(index);

    // Corrupt files: rebuilt, not fatal.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() && !p.ends_with("frdesk-schema-version") {
            std::fs::write(&p, b"garbage").unwrap();
        }
    }
    let index = HistoryIndex::open_or_rebuild(&dir, &app.pool).unwrap();
    assert_eq!(
        find(&index, "gallowmere", CaseScope::Service),
        vec![case_id]
    );
    drop(index);

    // Another schema version: rebuilt.
    std::fs::write(dir.join("frdesk-schema-version"), "0").unwrap();
    assert!(HistoryIndex::open(&dir).is_err());
    let index = HistoryIndex::open_or_rebuild(&dir, &app.pool).unwrap();
    assert_eq!(
        find(&index, "gallowmere", CaseScope::Service),
        vec![case_id]
    );

    // A case changed behind the index's back is refreshed on request.
    {
        use frdesk::platform::db::schema::cases;
        let mut c = app.pool.get().unwrap();
        diesel::update(cases::table.find(case_id))
            .set(cases::search_reason.eq("Burglary suspect, Harrowgate, Case# 1-2-3, 459 PC"))
            .execute(&mut c)
            .unwrap();
        index.refresh_case(&mut c, case_id).unwrap();
    }
    assert!(find(&index, "gallowmere", CaseScope::Service).is_empty());
    assert_eq!(
        find(&index, "harrowgate", CaseScope::Service),
        vec![case_id]
    );
}

#[actix_web::test]
async fn frdesk_reindex_rebuilds_the_index_beside_a_running_server() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let first = submit_with_word(&requester, "Brackenholt").await;
    let second = submit_with_word(&requester, "Brackenholt").await;
    let out = app.frdesk().arg("reindex").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Indexed 2 case(s) in"), "{stdout}");
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "history.reindex" && r.details_text().contains("2 case(s)"))
    );
    // The server's index (same folder) serves the rebuilt documents and keeps catching up.
    let reviewer = app.login("reviewer@test.example").await;
    let page = search_until(&reviewer, "q=brackenholt&sort=case_number", |p| {
        p.contains(&link(first)) && p.contains(&link(second))
    })
    .await;
    let (a, b) = (
        page.find(&link(first)).unwrap(),
        page.find(&link(second)).unwrap(),
    );
    assert!(a < b, "case-number order");
    let third = submit_with_word(&requester, "Brackenholt").await;
    let page = search_until(&reviewer, "q=brackenholt", |p| p.contains(&link(third))).await;
    assert!(page.contains("3 cases match."), "{page}");
}
