//! Issue 14: the breach procedure's export (LAPD ALPR order "Data Security & Security Breach of
//! Notification"): `frdesk audit breach-scope` lists what an account reached in a window.

use crate::helpers::*;

fn run_scope(app: &TestApp, user: &str) -> (serde_json::Value, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Duration::days(1)).to_string();
    let to = (today + chrono::Duration::days(1)).to_string();
    let out = app
        .frdesk()
        .args([
            "audit",
            "breach-scope",
            "--from",
            &from,
            "--to",
            &to,
            "--user",
            user,
            "--out",
        ])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("breach-scope.json")).unwrap())
            .unwrap();
    let csv = std::fs::read_to_string(out_dir.path().join("breach-scope.csv")).unwrap();
    (json, csv)
}

#[actix_web::test]
async fn breach_scope_lists_what_an_account_reached_and_whom_to_tell() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields_with(&[("images_declared", "2")]),
            &[photo("Aaron_Eckhart", 1), photo("Colin_Powell", 1)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);

    // The reviewer opens the case: it is in their scope.
    let reviewer = app.login("reviewer@test.example").await;
    let (status, _) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(status, 200);
    // Another agency's requester tries and is refused: nothing was exposed to them.
    let other = app.login("requester.b@test.example").await;
    let (status, _) = other.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 404);

    let (scope, csv) = run_scope(&app, "reviewer@test.example");
    let cases = scope["cases"].as_array().unwrap();
    let reached = cases
        .iter()
        .find(|c| c["case_id"].as_i64() == Some(case_id))
        .unwrap_or_else(|| panic!("case {case_id} not in {scope}"));
    assert_eq!(reached["probe_images"].as_u64(), Some(2), "{scope}");
    assert_eq!(reached["agency_ori"].as_str(), Some(AGENCY_A));
    let agencies = scope["agencies"].as_array().unwrap();
    let a = agencies
        .iter()
        .find(|a| a["ori"].as_str() == Some(AGENCY_A))
        .unwrap();
    assert!(
        a["local_admins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str() == Some("admin.a@test.example")),
        "{scope}"
    );
    assert!(scope["persons_potentially_affected"].as_u64().unwrap() >= 2);
    assert_eq!(
        scope["attorney_general_form_required"].as_bool(),
        Some(false)
    );
    assert!(csv.starts_with("id,at_utc,user"), "{csv}");
    assert!(csv.contains("reviewer@test.example"));
    assert!(
        !csv.contains("requester.a@test.example"),
        "only the named account"
    );

    let (scope_b, csv_b) = run_scope(&app, "requester.b@test.example");
    assert!(
        scope_b["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["case_id"].as_i64() != Some(case_id)),
        "a refused view exposed nothing: {scope_b}"
    );
    assert!(
        csv_b.contains("denied"),
        "the refusal is in the records: {csv_b}"
    );

    // The export is itself an audit record.
    let n = app
        .audit()
        .iter()
        .filter(|r| r.action == "audit.breach_scope")
        .count();
    assert_eq!(n, 2);
}
