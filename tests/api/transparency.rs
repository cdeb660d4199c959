//! The public transparency report: no login, counts only, small cells suppressed, no personal
//! data in the page, the CSV or the signed PDF.

use std::process::Command;

use frdesk::audit::monthly_report::Month;

use crate::helpers::*;
use crate::review::decide;

/// The cells of the table row whose header contains `label`, in the table of `month`.
fn row_cells(html: &str, month: &str, label: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let section =
        scraper::Selector::parse(&format!("section[aria-labelledby=\"m-{month}\"] tr")).unwrap();
    let th = scraper::Selector::parse("th").unwrap();
    let td = scraper::Selector::parse("td").unwrap();
    for tr in doc.select(&section) {
        if tr
            .select(&th)
            .next()
            .is_some_and(|h| h.text().collect::<String>().contains(label))
        {
            return tr
                .select(&td)
                .map(|c| c.text().collect::<String>().trim().to_string())
                .collect();
        }
    }
    panic!("no row {label} for {month}");
}

#[actix_web::test]
async fn the_public_report_counts_requests_suppresses_small_cells_and_holds_no_personal_data() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(requester.submit_valid_request().await);
    }
    // One request whose reason mentions a lawful protest: flagged for review (NY MPTC §V.B).
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[(
                "search_reason",
                "Assault at the rally on Main St, Case# 24-000777, 245 PC",
            )]),
            &[photo("Aaron_Eckhart", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let reviewer = app.login("reviewer@test.example").await;
    let r = decide(
        &reviewer,
        ids[0],
        "reject",
        "No reference to a crime report.",
        false,
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);

    // No login: a fresh client without cookies.
    let public = app.client();
    let (status, page) = public.get_text("/transparency").await;
    assert_eq!(status, 200, "{page}");
    let month = Month::of(frdesk::platform::time::now()).to_string();
    let alpha = row_cells(&page, &month, "Alpha Police Department");
    // Received 6, approved 0, returned 0, rejected 1 (<5), searches 0, leads 0, no lead 0,
    // flagged 1 (<5).
    assert_eq!(
        alpha[..8],
        ["6", "0", "0", "<5", "0", "0", "0", "<5"],
        "{alpha:?}"
    );
    let bravo = row_cells(&page, &month, "Bravo Sheriff");
    assert_eq!(bravo[0], "0");
    let total = row_cells(&page, &month, "All agencies");
    assert_eq!(total[0], "6");
    assert_eq!(
        total[3], "<5",
        "a total equal to one hidden cell is hidden too"
    );
    assert!(page.contains("<svg"), "charts are drawn on the server");
    assert!(page.contains("Identify a person who has committed a criminal offense"));

    // No personal or case data, in any of the three forms.
    let csv = public.get_text("/transparency.csv").await;
    assert_eq!(csv.0, 200);
    assert!(
        csv.1
            .contains(&format!("{month},Alpha Police Department (CA0190001),6,"))
    );
    let pdf = public.get("/transparency.pdf").await;
    assert_eq!(pdf.status().as_u16(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pdf");
    std::fs::write(&path, pdf.bytes().await.unwrap()).unwrap();
    let sig = String::from_utf8_lossy(&Command::new("pdfsig").arg(&path).output().unwrap().stdout)
        .into_owned();
    assert!(sig.contains("Signature is Valid"), "{sig}");
    // Issue 15: no label runs into its value ("Median days from request to res…fewer").
    let overlaps = overlapping_words(&path);
    assert!(
        overlaps.is_empty(),
        "words printed over each other: {overlaps:?}"
    );
    let text = String::from_utf8_lossy(
        &Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(text.contains("PUBLIC RECORD"), "{text}");
    assert!(text.contains("Alpha Police Department"));
    let case_numbers: Vec<String> = {
        use diesel::prelude::*;
        let mut c = app.pool.get().unwrap();
        frdesk::platform::db::schema::cases::table
            .select(frdesk::platform::db::schema::cases::case_number)
            .load::<Option<String>>(&mut c)
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    };
    assert_eq!(case_numbers.len(), 6);
    for (what, body) in [("page", &page), ("csv", &csv.1), ("pdf", &text)] {
        for personal in [
            "Dana Reyes",
            "requester.a@test.example",
            "123-89765-0123-41X",
            "24-000777",
            "rally on Main",
            "Aaron",
            "No reference to a crime report",
            "Sam Ortega",
        ] {
            assert!(!body.contains(personal), "{what} contains {personal}");
        }
        for n in &case_numbers {
            assert!(
                !body.contains(n.as_str()),
                "{what} contains case number {n}"
            );
        }
    }

    // A bad period is an error beside its field, and the page still answers.
    let (status, page) = public.get_text("/transparency?from=2026-13&to=").await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"from-error\""), "{page}");
    let (status, _) = public.get_text("/transparency.csv?from=1999-01").await;
    assert_eq!(status, 400);
}

/// The public report is held to `http.public_requests_per_minute` per address (bursts of twice
/// that): beyond it each of page, CSV and PDF answers 429 with `Retry-After`, and logged-in
/// work from the same address is not affected.
#[actix_web::test]
async fn the_public_report_is_rate_limited_per_address() {
    let app = spawn_app_with(&[("FRDESK_HTTP__PUBLIC_REQUESTS_PER_MINUTE", "2")]).await;
    let public = app.client();
    let mut statuses = Vec::new();
    for path in [
        "/transparency",
        "/transparency.csv",
        "/transparency",
        "/transparency.pdf",
    ] {
        statuses.push(public.get_text(path).await.0);
    }
    assert_eq!(statuses, vec![200, 200, 200, 200], "a burst of 4 passes");
    for path in ["/transparency", "/transparency.csv", "/transparency.pdf"] {
        let r = public.get(path).await;
        assert_eq!(r.status().as_u16(), 429, "{path}");
        let wait: u64 = r
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=30).contains(&wait), "{wait}");
    }
    let requester = app.login("requester.a@test.example").await;
    let (status, _) = requester.get_text("/cases").await;
    assert_eq!(status, 200);
}

/// Complementary suppression hides a cell whatever its size: Bravo's single request is "<5",
/// and Alpha's five — hidden so Bravo's cannot be worked out from the total — are labelled
/// "suppressed", never "<5" (which would misstate a count of 5 or more).
#[actix_web::test]
async fn a_complementary_cell_of_five_or_more_is_labelled_suppressed() {
    let app = spawn_app().await;
    let alpha = app.login("requester.a@test.example").await;
    for _ in 0..5 {
        alpha.submit_valid_request().await;
    }
    let bravo = app.login("requester.b@test.example").await;
    bravo.submit_valid_request().await;

    let public = app.client();
    let (status, page) = public.get_text("/transparency").await;
    assert_eq!(status, 200);
    let month = Month::of(frdesk::platform::time::now()).to_string();
    assert_eq!(row_cells(&page, &month, "Bravo Sheriff")[0], "<5");
    assert_eq!(
        row_cells(&page, &month, "Alpha Police Department")[0],
        "suppressed",
        "5 requests must not be shown as <5"
    );
    assert_eq!(
        row_cells(&page, &month, "All agencies")[0],
        "6",
        "the total gives only the two hidden cells' sum"
    );
    assert!(
        page.contains("may be 5 or more"),
        "the page explains the label"
    );

    let (_, csv) = public.get_text("/transparency.csv").await;
    assert!(
        csv.contains(&format!(
            "{month},Alpha Police Department (CA0190001),suppressed,"
        )),
        "{csv}"
    );
    assert!(csv.contains(&format!("{month},Bravo Sheriff's Office (CA0190002),<5,")));

    let pdf = public.get("/transparency.pdf").await;
    assert_eq!(pdf.status().as_u16(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pdf");
    std::fs::write(&path, pdf.bytes().await.unwrap()).unwrap();
    let text = String::from_utf8_lossy(
        &Command::new("pdftotext")
            .arg("-layout")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    let alpha_block = text
        .split("Alpha Police Department")
        .nth(1)
        .expect("Alpha's block in the PDF");
    let received = alpha_block
        .lines()
        .find(|l| l.contains("Requests received"))
        .expect("requests received line");
    assert!(received.contains("suppressed"), "{received}");
    assert!(!received.contains("<5"), "{received}");
}
