//! Finding and exporting (issue 16): typo-tolerant and prefix history search with exact
//! identifiers and highlighting, ordering by date, the CSV export of a search, saved searches,
//! and the audit trail page's filters, paging and CSV export.

use std::time::Duration;

use diesel::prelude::*;
use frdesk::audit::{Actor, Entry, Outcome};

use crate::helpers::*;

/// Polls `/search?<query>` as `c` until `ok(page)` (the index catches up in the background)
/// for up to 10 s; returns the last page.
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

/// Submits a valid request whose reason is `reason`; returns the case id.
async fn submit_reason(c: &Client, reason: &str) -> i64 {
    let (csrf, key) = c.new_form().await;
    let fields = fields_with(&[("search_reason", reason)]);
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

fn reason_with(word: &str) -> String {
    format!("Robbery suspect at {word} market, Case# 123-89765-0123-41X, 211 PC")
}

#[actix_web::test]
async fn a_typo_or_a_prefix_finds_the_case_and_both_are_highlighted() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = submit_reason(&requester, &reason_with("Brambleworth")).await;
    let reviewer = app.login("reviewer@test.example").await;
    // Wait until the index has the case.
    let page = search_until(&reviewer, "q=brambleworth", |p| p.contains(&link(case_id))).await;
    assert!(page.contains(&link(case_id)), "{page}");

    // A transposition and a dropped letter (two edits for a long word).
    for typo in ["bramblewroth", "Brambelworth", "bramblworth"] {
        let (_, page) = reviewer.get_text(&format!("/search?q={typo}")).await;
        assert!(page.contains(&link(case_id)), "{typo}: {page}");
        assert!(page.contains("<mark>Brambleworth</mark>"), "{typo}: {page}");
    }
    // The exact word and the typo both highlighted in one snippet.
    let (_, page) = reviewer.get_text("/search?q=robbery+bramblewroth").await;
    assert!(page.contains(&link(case_id)), "{page}");
    assert!(page.contains("<mark>Robbery</mark>"), "{page}");
    assert!(page.contains("<mark>Brambleworth</mark>"), "{page}");
    // A prefix, for staff and for the requester (agency scope).
    let (_, page) = reviewer.get_text("/search?q=brambl*").await;
    assert!(page.contains(&link(case_id)), "{page}");
    assert!(page.contains("<mark>Brambleworth</mark>"), "{page}");
    let (_, page) = requester.get_text("/search?q=bramblewroth").await;
    assert!(page.contains(&link(case_id)), "{page}");
    // Too far off, or a short word with a typo, finds nothing.
    let (_, page) = reviewer.get_text("/search?q=brumbluwerth").await;
    assert!(page.contains("No cases match."), "{page}");
    // Another agency's requester does not find it with a typo either.
    let b = app.login("requester.b@test.example").await;
    let (_, page) = b.get_text("/search?q=bramblewroth").await;
    assert!(page.contains("No cases match."), "{page}");
}

#[actix_web::test]
async fn case_numbers_stay_exact() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let first = submit_reason(&requester, &reason_with("Fennimoor")).await;
    let second = submit_reason(&requester, &reason_with("Fennimoor")).await;
    let (n1, n2) = (case_number(&app, first), case_number(&app, second));
    let reviewer = app.login("reviewer@test.example").await;
    search_until(&reviewer, "q=fennimoor", |p| {
        p.contains(&link(first)) && p.contains(&link(second))
    })
    .await;
    // The numbers differ in their last digit: each finds only its own case.
    for (n, me, other) in [(&n1, first, second), (&n2, second, first)] {
        let (_, page) = reviewer.get_text(&format!("/search?q={n}")).await;
        assert!(page.contains(&link(me)), "{n}: {page}");
        assert!(!page.contains(&link(other)), "{n} also found {other}");
        // A number's digits alone are exact too, never a prefix or a typo.
        let digits = n.rsplit('-').next().unwrap();
        let (_, page) = reviewer.get_text(&format!("/search?q={digits}")).await;
        assert!(page.contains(&link(me)) && !page.contains(&link(other)));
        let (_, page) = reviewer.get_text(&format!("/search?q={digits}*")).await;
        assert!(!page.contains(&link(other)), "{digits}*: {page}");
    }
    // A number one digit off that no case has finds nothing.
    let off = format!("{}9", &n2[..n2.len() - 1]);
    let (_, page) = reviewer.get_text(&format!("/search?q={off}")).await;
    assert!(page.contains("No cases match."), "{off}: {page}");
}

#[actix_web::test]
async fn results_sort_by_date_and_export_as_formula_safe_audited_csv() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let older = submit_reason(
        &requester,
        "=HYPERLINK(\"http://x.example\",\"y\") Robbery suspect at Quenby market, Case# 123-89765-0123-41X, 211 PC",
    )
    .await;
    let newer = submit_reason(&requester, &reason_with("Quenby")).await;
    {
        use frdesk::platform::db::schema::cases;
        let mut c = app.pool.get().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 4)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        diesel::update(cases::table.find(older))
            .set(cases::submitted_at.eq(Some(day)))
            .execute(&mut c)
            .unwrap();
    }
    let out = app.frdesk().arg("reindex").output().unwrap();
    assert!(out.status.success());
    let reviewer = app.login("reviewer@test.example").await;
    let page = search_until(&reviewer, "q=quenby&sort=oldest", |p| {
        p.contains("2025-03-04") && p.contains(&link(newer))
    })
    .await;
    let at = |p: &str, id| p.find(&link(id)).unwrap();
    assert!(at(&page, older) < at(&page, newer), "oldest first: {page}");
    let (_, page) = reviewer.get_text("/search?q=quenby&sort=newest").await;
    assert!(at(&page, newer) < at(&page, older), "newest first");
    assert!(
        page.contains("/search/export.csv?q=quenby&#38;sort=newest"),
        "{page}"
    );

    // The export: header, one row per case in the chosen order, formulas neutralised.
    let r = reviewer
        .get("/search/export.csv?q=quenby&sort=newest")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "case_number,agency,requester,status,submitted_utc,search_reason"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with(&case_number(&app, newer)), "{csv}");
    assert!(lines[2].starts_with(&case_number(&app, older)), "{csv}");
    assert!(lines[2].contains(",\"'=HYPERLINK("), "{csv}");
    assert!(lines[2].contains("2025-03-04 09:00:00"), "{csv}");
    assert!(app.audit().iter().any(|r| r.action == "history.export"
        && r.user_email == "reviewer@test.example"
        && r.details_text().contains("quenby")
        && r.details_text().contains("2 row(s) exported")));
    // Same scope as the page: another agency's requester exports a header only.
    let b = app.login("requester.b@test.example").await;
    let csv = b
        .get("/search/export.csv?q=quenby")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
}

fn saved_id(page: &str) -> String {
    let re = regex::Regex::new(r#"name="id" value="(\d+)""#).unwrap();
    re.captures(page).unwrap()[1].to_string()
}

#[actix_web::test]
async fn a_saved_search_is_rerun_and_deleted_by_its_owner_only() {
    let app = spawn_app().await;
    let a = app.login("requester.a@test.example").await;
    let case_id = submit_reason(&a, &reason_with("Larkhollow")).await;
    search_until(&a, "q=larkhollow", |p| p.contains(&link(case_id))).await;
    let (_, page) = a.get_text("/search?q=larkhol*&sort=newest").await;
    assert!(page.contains("Save this search as"), "{page}");
    let csrf = csrf_of(&page);

    // A missing name is refused beside the field.
    let r = a
        .post_form(
            "/search/saved",
            &[
                ("csrf_token", &csrf),
                ("name", " "),
                ("q", "larkhol*"),
                ("sort", "newest"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"name-error\""), "{page}");
    // Without the CSRF token nothing is saved.
    let r = a
        .post_form(
            "/search/saved",
            &[
                ("csrf_token", "forged"),
                ("name", "Mine"),
                ("q", "larkhol*"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);

    let r = a
        .post_form(
            "/search/saved",
            &[
                ("csrf_token", &csrf),
                ("name", "Larkhollow robberies"),
                ("q", "larkhol*"),
                ("sort", "newest"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let rerun = location(&r).unwrap();
    assert_eq!(rerun, "/search?q=larkhol*&sort=newest");
    let (_, page) = a.get_text(&rerun).await;
    assert!(page.contains(&link(case_id)), "{page}");
    assert!(page.contains("Larkhollow robberies"), "{page}");
    // The same name twice is refused.
    let r = a
        .post_form(
            "/search/saved",
            &[
                ("csrf_token", &csrf),
                ("name", "Larkhollow robberies"),
                ("q", "other"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let id = saved_id(&page);

    // Another user neither sees nor deletes it.
    let other = app.login("admin.a@test.example").await;
    let (_, page) = other.get_text("/search").await;
    assert!(!page.contains("Larkhollow robberies"));
    let r = other
        .post_form(
            "/search/saved/delete",
            &[("csrf_token", &csrf_of(&page)), ("id", &id)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    let (_, page) = a.get_text("/search").await;
    assert!(page.contains("Larkhollow robberies"));

    // The owner deletes it.
    let r = a
        .post_form(
            "/search/saved/delete",
            &[("csrf_token", &csrf), ("id", &id)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = a.get_text("/search").await;
    assert!(!page.contains("Larkhollow robberies"));
    let audit = app.audit();
    assert!(
        audit
            .iter()
            .any(|r| r.action == "saved_search.save" && r.user_email == "requester.a@test.example")
    );
    assert!(audit.iter().any(|r| r.action == "saved_search.delete"
        && r.user_email == "admin.a@test.example"
        && r.outcome == "denied"));
    assert!(audit.iter().any(|r| r.action == "saved_search.delete"
        && r.user_email == "requester.a@test.example"
        && r.outcome == "success"));
}

/// Appends `n` audit records of action `test.bulk` cheaply through the store, every second one
/// refused; the details of the first begin with a formula.
fn bulk_records(app: &TestApp, n: usize) {
    let mut c = app.pool.get().unwrap();
    let actor = Actor {
        user_id: None,
        email: "bulk@test.example".into(),
        role: "tester".into(),
        agency_id: None,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    };
    frdesk::platform::db::write_tx(&mut c, |c| {
        for i in 0..n {
            let e = Entry::new("test.bulk", "thing", i).details(if i == 0 {
                "=1+2 formula".to_string()
            } else {
                format!("record {i}")
            });
            let e = if i % 2 == 0 {
                e.outcome(Outcome::Denied)
            } else {
                e
            };
            frdesk::audit::record(c, &actor, e)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

fn rows(page: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r#"<tr class="outcome-(\w+)"><td class="nowrap">(\d+)</td>"#).unwrap();
    re.captures_iter(page)
        .map(|c| format!("{}:{}", &c[1], &c[2]))
        .collect()
}

fn older_link(page: &str) -> Option<String> {
    let re = regex::Regex::new(r#"href="(/audit\?[^"]*)" rel="next""#).unwrap();
    re.captures(page).map(|c| c[1].replace("&#38;", "&"))
}

#[actix_web::test]
async fn the_audit_trail_filters_pages_past_500_and_exports_the_filtered_set() {
    let app = spawn_app().await;
    bulk_records(&app, 620);
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let number = case_number(&app, case_id);
    let reviewer = app.login("reviewer@test.example").await;

    // Every record of the action, page by page (100 a page), the filter kept in the links.
    let mut seen = Vec::new();
    let mut next = Some("/audit?action=test.bulk".to_string());
    let mut pages = 0;
    while let Some(url) = next {
        let (status, page) = reviewer.get_text(&url).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(rows(&page));
        next = older_link(&page);
        if let Some(n) = &next {
            assert!(n.contains("action=test.bulk"), "{n}");
        }
        pages += 1;
        assert!(pages < 20);
    }
    assert_eq!(pages, 7);
    assert_eq!(seen.len(), 620);
    let ids: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(ids.len(), 620);
    // The newer link of a deeper page goes back.
    let (_, page) = reviewer.get_text("/audit?action=test.bulk").await;
    let second = older_link(&page).unwrap();
    let (_, page) = reviewer.get_text(&second).await;
    assert!(page.contains("rel=\"prev\""), "{page}");

    // Outcome, user, case and dates.
    let (_, page) = reviewer
        .get_text("/audit?action=test.bulk&outcome=denied")
        .await;
    let r = rows(&page);
    assert_eq!(r.len(), 100);
    assert!(r.iter().all(|x| x.starts_with("denied:")), "{r:?}");
    let (_, page) = reviewer
        .get_text("/audit?user=requester.a%40test.example")
        .await;
    assert!(!rows(&page).is_empty());
    assert!(page.contains("requester.a@test.example"));
    assert!(!page.contains("<td>bulk@test.example</td>"));
    let (_, page) = reviewer.get_text(&format!("/audit?case={number}")).await;
    assert!(page.contains("<td>request.submit</td>"), "{page}");
    assert!(!page.contains("<td>test.bulk</td>"));
    let (_, page) = reviewer
        .get_text("/audit?action=test.bulk&from=2020-01-01&to=2020-12-31")
        .await;
    assert!(rows(&page).is_empty());
    // Dates are local days of the service's zone: a day either side of today in UTC holds
    // today's records whatever the zone.
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let (_, page) = reviewer
        .get_text(&format!("/audit?action=test.bulk&from={from}&to={to}"))
        .await;
    assert_eq!(rows(&page).len(), 100);
    // Problems beside their field.
    let (status, page) = reviewer
        .get_text("/audit?case=FR-1999-999999&from=31%2F12%2F2026&outcome=maybe&user=nobody")
        .await;
    assert_eq!(status, 422);
    for f in ["case", "from", "outcome", "user"] {
        assert!(page.contains(&format!("id=\"{f}-error\"")), "{f}: {page}");
    }
    // The agency's local administrator filters on its case too.
    let alpha_admin = app.login("admin.a@test.example").await;
    let (status, page) = alpha_admin.get_text(&format!("/audit?case={number}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<td>request.submit</td>"), "{page}");

    // The export: the filtered set exactly, formulas neutralised, itself audited.
    let r = reviewer
        .get("/audit/export.csv?action=test.bulk&outcome=denied")
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "id");
    assert!(header.contains(&"details".to_string()));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 310);
    assert!(
        records
            .iter()
            .all(|r| &r[5] == "test.bulk" && &r[8] == "denied")
    );
    assert!(records.iter().any(|r| &r[12] == "'=1+2 formula"), "{csv}");
    assert!(app.audit().iter().any(|r| r.action == "audit.export"
        && r.user_email == "reviewer@test.example"
        && r.details_text().contains("action test.bulk")
        && r.details_text().contains("310 record(s)")));
    let (status, _) = reviewer.get_text("/audit/export.csv?from=nope").await;
    assert_eq!(status, 400);
    // Requesters have no audit trail.
    let (status, _) = requester.get_text("/audit/export.csv").await;
    assert_eq!(status, 403);
}
