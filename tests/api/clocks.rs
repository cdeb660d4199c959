//! Turnaround clocks and dashboards (issue 16): the due time of each stage in the service's
//! time zone (business days skip weekends and holidays), paused while a request is back with
//! its requester, shown in the queues and on the case page with overdue items flagged in words
//! and sorted first; each person's dashboard; the turnaround figures (median and 90th
//! percentile) on the dashboard and in the monthly audit report. "Now" is the real clock, so
//! the tests move the timeline events of a case into the past.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use frdesk::platform::db::schema::timeline_events;

use crate::helpers::*;
use crate::review::decide;
use crate::search::{approve, enroll_gallery, searched_case};

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// Moves the case's timeline events of `kind` (oldest first) to `times` (UTC), one each.
fn set_events(app: &TestApp, case_id: i64, kind: &str, times: &[&str]) {
    let mut c = app.pool.get().unwrap();
    let ids: Vec<i64> = timeline_events::table
        .filter(timeline_events::case_id.eq(case_id))
        .filter(timeline_events::kind.eq(kind))
        .order(timeline_events::id.asc())
        .select(timeline_events::id)
        .load(&mut c)
        .unwrap();
    assert_eq!(ids.len(), times.len(), "{kind} events of case {case_id}");
    for (id, t) in ids.iter().zip(times) {
        diesel::update(timeline_events::table.find(id))
            .set(timeline_events::at.eq(at(t)))
            .execute(&mut c)
            .unwrap();
    }
}

/// The first table row of the page that holds `needle` (from its `<tr` to its `</tr>`).
fn row_with<'a>(page: &'a str, needle: &str) -> &'a str {
    for (i, _) in page.match_indices(needle) {
        let Some(start) = page[..i].rfind("<tr") else {
            continue;
        };
        // Inside that row only if no row ended between its start and the needle.
        if page[start..i].contains("</tr>") {
            continue;
        }
        let end = page[i..].find("</tr>").map_or(page.len(), |e| i + e);
        return &page[start..end];
    }
    panic!("no table row holds {needle}: {page}")
}

#[actix_web::test]
async fn a_submitted_case_is_due_one_business_day_later_skipping_the_weekend_and_a_holiday() {
    // Monday 2026-11-23 is a holiday here.
    let app = spawn_app_with(&[("FRDESK_SERVICE__HOLIDAYS", "2026-11-23")]).await;
    let requester = app.login("requester.a@test.example").await;
    let late = requester.submit_valid_request().await;
    let fresh = requester.submit_valid_request().await;
    // Submitted Friday 2026-11-20 10:00 PST (18:00 UTC): one business day later is Tuesday
    // 10:00 PST (Saturday, Sunday and the holiday do not count).
    set_events(&app, late, "submitted", &["2026-11-20 18:00"]);
    let (late_no, fresh_no) = (case_number(&app, late), case_number(&app, fresh));

    let reviewer = app.login("reviewer@test.example").await;
    let (status, queue) = reviewer.get_text("/review").await;
    assert_eq!(status, 200);
    let row = row_with(&queue, &late_no);
    assert!(row.contains("due 2026-11-24 10:00 PST"), "{row}");
    assert!(
        row.contains("<strong>Overdue</strong>"),
        "flagged in words: {row}"
    );
    let row = row_with(&queue, &fresh_no);
    assert!(!row.contains("Overdue") && row.contains("due "), "{row}");
    // Overdue first, although the fresh case is also waiting.
    assert!(queue.find(&late_no).unwrap() < queue.find(&fresh_no).unwrap());

    // The case page shows the clock under the status, to the requester too.
    let (_, page) = requester.get_text(&format!("/cases/{late}")).await;
    let clocks = &page[page.find("stage-clocks").expect("clocks on the case page")..];
    let clocks = &clocks[..clocks.find("</ul>").unwrap()];
    assert!(
        clocks.contains("Compliance review (1 business day)")
            && clocks.contains("due 2026-11-24 10:00 PST")
            && clocks.contains("Overdue"),
        "{clocks}"
    );
    assert!(page.find("stage-clocks").unwrap() < page.find("Request version").unwrap());

    // The case list flags it and lists it first.
    let (_, list) = reviewer.get_text("/cases").await;
    assert!(row_with(&list, &late_no).contains("Overdue"));
    assert!(list.find(&late_no).unwrap() < list.find(&fresh_no).unwrap());

    // Once decided, the compliance review has no due time any more.
    approve(&app, late).await;
    let (_, page) = requester.get_text(&format!("/cases/{late}")).await;
    assert!(!page.contains("due 2026-11-24 10:00 PST"), "{page}");
}

#[actix_web::test]
async fn the_clock_is_paused_while_the_request_is_back_with_the_requester() {
    let app = spawn_app_with(&[("FRDESK_SERVICE__HOLIDAYS", "")]).await;
    let requester = app.login("requester.a@test.example").await;
    let case_id = requester.submit_valid_request().await;
    let number = case_number(&app, case_id);
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(
        decide(
            &reviewer,
            case_id,
            "return",
            "Please add the DR number.",
            false
        )
        .await
        .status()
        .as_u16(),
        303
    );
    // While returned the clock is paused: no due time, said in words.
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Clock paused: with the requester"), "{page}");

    let (_, form) = requester.get_text(&format!("/cases/{case_id}/edit")).await;
    let fields = fields_with(&[("search_reason", "Robbery suspect, DR# 23-0145678, 211 PC")]);
    let r = requester
        .post_request(&csrf_of(&form), &form_key_of(&form), "submit", &fields, &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // Submitted Monday 2026-11-16 09:00 PST, returned at 10:00, resubmitted Wednesday 10:00:
    // 1 business hour ran before the return, 8 after it, so the review is due Thursday
    // 09:00 PST — two business days (the time returned) after Tuesday 09:00.
    set_events(
        &app,
        case_id,
        "submitted",
        &["2026-11-16 17:00", "2026-11-18 18:00"],
    );
    set_events(&app, case_id, "returned", &["2026-11-16 18:00"]);
    let (_, queue) = reviewer.get_text("/review").await;
    let row = row_with(&queue, &number);
    assert!(row.contains("due 2026-11-19 09:00 PST"), "{row}");
    assert!(!row.contains("2026-11-17 09:00"), "{row}");
}

#[actix_web::test]
async fn dashboards_show_my_work_counts_and_the_service_view() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (searched, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let requester = app.login("requester.a@test.example").await;
    let waiting = requester.submit_valid_request().await;
    set_events(&app, waiting, "submitted", &["2026-11-20 18:00"]);
    let (waiting_no, searched_no) = (case_number(&app, waiting), case_number(&app, searched));

    // The reviewer: the request awaiting review, overdue, in words.
    let reviewer = app.login("reviewer@test.example").await;
    let (status, page) = reviewer.get_text("/dashboard").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<strong>1 overdue.</strong>"), "{page}");
    let row = row_with(&page, &waiting_no);
    assert!(
        row.contains("Compliance review") && row.contains("Overdue"),
        "{row}"
    );
    assert!(
        !page.contains(&searched_no),
        "not the reviewer's work: {page}"
    );
    // Counts by status, as links to the filtered case list.
    assert!(
        row_with(&page, "href=\"/cases?status=submitted\"").contains(">1</td>"),
        "{page}"
    );
    assert!(row_with(&page, "href=\"/cases?status=searched\"").contains(">1</td>"));
    assert!(
        !page.contains("Queue depth per stage"),
        "the service view is not the reviewer's"
    );

    // An examiner: nothing in "my work" until they claim the first review.
    let examiner = app.login("examiner@test.example").await;
    let (_, page) = examiner.get_text("/dashboard").await;
    assert!(
        !page.contains(&format!("/cases/{searched}/probes/{}/review", ps.id)),
        "{page}"
    );
    let (_, queue) = examiner.get_text("/examine").await;
    let r = examiner
        .post_form(
            "/examine/claim",
            &[
                ("csrf_token", &csrf_of(&queue)),
                ("item", &format!("first_review:{}", ps.id)),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = examiner.get_text("/dashboard").await;
    let row = row_with(&page, &searched_no);
    assert!(
        row.contains("First review of the candidate list")
            && row.contains("Claimed by you")
            && row.contains("due "),
        "{row}"
    );
    // The examiners' queue shows the due time too.
    let (_, queue) = examiner.get_text("/examine").await;
    assert!(row_with(&queue, &searched_no).contains("due "), "{queue}");

    // The requester: their agency's open cases with due times.
    let (_, page) = requester.get_text("/dashboard").await;
    assert!(row_with(&page, &waiting_no).contains("Overdue"), "{page}");
    assert!(page.contains(&searched_no));
    assert!(!page.contains("Queue depth per stage"));

    // The supervisor: the service view, charts drawn as SVG with their tables.
    let supervisor = app.login("supervisor@test.example").await;
    let (_, page) = supervisor.get_text("/dashboard").await;
    assert!(page.contains("Queue depth per stage"), "{page}");
    assert!(page.contains("id=\"chart-depth-title\""), "{page}");
    assert!(!page.contains("style="), "no inline style (CSP)");
    // Today: one request in compliance review, one first review waiting.
    let today = page.rfind("<th scope=\"row\" class=\"nowrap\">").unwrap();
    let today = &page[today..today + page[today..].find("</tr>").unwrap()];
    let cells: Vec<&str> = today
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(cells, ["1", "0", "1", "0", "0"], "{today}");
    // Turnaround of the stages that finished this month (compliance review, search).
    assert!(page.contains("id=\"chart-median-title\""), "{page}");
    assert!(page.contains("<td>Compliance review</td>"), "{page}");
}

#[actix_web::test]
async fn turnaround_figures_are_the_median_and_90th_percentile_in_business_hours() {
    let app = spawn_app_with(&[("FRDESK_SERVICE__HOLIDAYS", "2026-11-26")]).await;
    let requester = app.login("requester.a@test.example").await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = requester.submit_valid_request().await;
        approve(&app, id).await;
        ids.push(id);
    }
    // Three submitted Monday 2026-11-16 09:00 PST and approved after 1, 2 and 3 hours; one
    // submitted Wednesday 2026-11-25 16:00 PST and approved Monday 2026-11-30 09:00 PST:
    // Wednesday 1 h, Thanksgiving (a holiday here) and the weekend not counted, Friday 9 h,
    // Monday 1 h = 11 business hours.
    let times = [
        ("2026-11-16 17:00", "2026-11-16 18:00"),
        ("2026-11-16 17:00", "2026-11-16 19:00"),
        ("2026-11-16 17:00", "2026-11-16 20:00"),
        ("2026-11-26 00:00", "2026-11-30 17:00"),
    ];
    for (id, (s, a)) in ids.iter().zip(times) {
        set_events(&app, *id, "submitted", &[s]);
        set_events(&app, *id, "approved", &[a]);
    }
    // 1, 2, 3 and 11 business hours: median 2.5, 90th percentile (nearest rank 4 of 4) 11.
    let admin = app.login("admin.a@test.example").await;
    let (status, page) = admin.get_text("/audits/monthly?month=2026-11").await;
    assert_eq!(status, 200, "{page}");
    let section = &page[page.find("id=\"turnaround\"").expect("turnaround section")..];
    let row = row_with(section, "<td>Compliance review</td>");
    assert!(
        row.contains(">4</td>") && row.contains(">2.5</td>") && row.contains(">11</td>"),
        "{row}"
    );
    // The signed PDF carries the same figures.
    let r = admin.get("/audits/monthly/export.pdf?month=2026-11").await;
    assert_eq!(r.status().as_u16(), 200);
    let pdf = app.data_dir.path().join("report.pdf");
    std::fs::write(&pdf, r.bytes().await.unwrap()).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("4 finished; median 2.5 business hours, 90th percentile 11 business hours"),
        "{text}"
    );
    // December has none of them.
    let (_, page) = admin.get_text("/audits/monthly?month=2026-12").await;
    assert!(
        page.contains("No stage of this agency's cases finished"),
        "{page}"
    );
}
