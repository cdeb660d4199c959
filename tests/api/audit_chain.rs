//! The audit trail's hash chain: `frdesk audit verify` names the record that was altered,
//! removed or inserted — on the real database, with the append-only triggers switched off the
//! way an attacker with database access would.

use diesel::RunQueryDsl;

use crate::helpers::*;

fn verify(app: &TestApp) -> (bool, serde_json::Value) {
    let out = app
        .frdesk()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), j)
}

fn tamper(app: &TestApp, sql: &str) {
    let mut c = app.pool.get().unwrap();
    let (off, on): (Vec<&str>, Vec<&str>) = if app.backend == "postgres" {
        (
            vec!["ALTER TABLE audit_records DISABLE TRIGGER ALL"],
            vec!["ALTER TABLE audit_records ENABLE TRIGGER ALL"],
        )
    } else {
        (
            vec![
                "DROP TRIGGER audit_records_no_update",
                "DROP TRIGGER audit_records_no_delete",
            ],
            vec![
                "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
                "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
            ],
        )
    };
    for q in off {
        diesel::sql_query(q).execute(&mut c).unwrap();
    }
    diesel::sql_query(sql).execute(&mut c).unwrap();
    for q in on {
        diesel::sql_query(q).execute(&mut c).unwrap();
    }
}

async fn app_with_history() -> TestApp {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    c.submit_valid_request().await;
    app
}

#[actix_web::test]
async fn an_untouched_chain_verifies() {
    let app = app_with_history().await;
    let (ok, j) = verify(&app);
    assert!(ok, "{j}");
    assert!(j["records"].as_u64().unwrap() >= 5, "{j}");
    assert!(j["problem"].is_null());
    // The check itself is on record, and the chain still verifies after it.
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "audit.verify" && r.outcome == "success")
    );
    assert!(verify(&app).0);
}

#[actix_web::test]
async fn an_altered_record_is_named() {
    let app = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_records SET outcome = 'denied' WHERE id = 5",
    );
    let (ok, j) = verify(&app);
    assert!(!ok);
    assert_eq!(j["problem"]["record_id"], 5, "{j}");
    assert_eq!(j["problem"]["kind"], "altered");
}

#[actix_web::test]
async fn a_removed_record_is_named() {
    let app = app_with_history().await;
    tamper(&app, "DELETE FROM audit_records WHERE id = 4");
    let (ok, j) = verify(&app);
    assert!(!ok);
    assert_eq!(j["problem"]["record_id"], 5, "{j}");
    assert_eq!(j["problem"]["kind"], "removed");
}

#[actix_web::test]
async fn an_inserted_record_is_named() {
    let app = app_with_history().await;
    // Shift records 6.. up by one and insert a forged record 6 with a made-up hash.
    tamper(
        &app,
        "UPDATE audit_records SET id = id + 1000 WHERE id >= 6",
    );
    tamper(
        &app,
        "UPDATE audit_records SET id = id - 999 WHERE id >= 1006",
    );
    tamper(
        &app,
        "INSERT INTO audit_records (id, at, user_id, user_email, role, agency_id, action, object_type, object_id, outcome, source_ip, user_agent, search_reason, details, prev_hash, hash) \
         SELECT 6, at, user_id, user_email, role, agency_id, 'case.view', object_type, object_id, outcome, source_ip, user_agent, search_reason, details, hash, 'forged' FROM audit_records WHERE id = 5",
    );
    let (ok, j) = verify(&app);
    assert!(!ok);
    assert_eq!(j["problem"]["record_id"], 6, "{j}");
}
