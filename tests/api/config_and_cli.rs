use std::process::Command;

use crate::helpers::*;
use frdesk::Application;

fn frdesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frdesk"))
}

#[test]
fn reason_check_cli_gives_the_lacris_verdicts() {
    let compliant = [
        "John Smith housing, BK#1234567",
        "Case# 123-89765-0123-41X, 211 PC",
        "Wristband Verification, BK#7654321",
        "Release Citation, #ABC-123",
        "Incident / Tag #567",
    ];
    let non_compliant = [
        "Investigation",
        "Positive ID",
        "Housing",
        "211 PC",
        "Verify",
    ];
    for (texts, verdict) in [
        (&compliant[..], "compliant"),
        (&non_compliant[..], "non_compliant"),
    ] {
        for text in texts {
            let out = frdesk()
                .args(["reason", "check", "--json", text])
                .output()
                .unwrap();
            assert!(out.status.success(), "{text}");
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(j["verdict"], verdict, "{text}: {j}");
            assert!(j["findings"].is_array());
            for f in j["findings"].as_array().unwrap() {
                assert!(f["code"].is_string() && f["message"].is_string());
            }
        }
    }
    let out = frdesk()
        .args([
            "reason",
            "check",
            "--json",
            "Identify protesters at the rally, Incident #567",
        ])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["verdict"], "needs_review");
}

#[test]
fn a_bad_config_value_fails_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = frdesk()
        .args(["migrate"])
        .env("FRDESK_DATA_DIR", dir.path())
        .env("FRDESK_HTTP__BIND", "not-an-address")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http.bind"), "{err}");
    let out = frdesk()
        .args(["migrate"])
        .env("FRDESK_DATA_DIR", dir.path())
        .env("FRDESK_MAIL__TRANSPORT", "carrier-pigeon")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("transport"));
}

#[actix_web::test]
async fn cli_creates_agencies_and_users_who_can_log_in() {
    let app = spawn_app().await;
    let run = |args: &[&str], stdin: Option<&str>| {
        use std::io::Write;
        let mut child = app
            .frdesk()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "agency",
            "add",
            "--name",
            "Delta PD",
            "--ori",
            "CA0190044",
            "--contact-name",
            "Desk",
            "--contact-email",
            "d@test.example",
            "--contact-phone",
            "555 0100",
            "--policy-date",
            "2024-02-02",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "user",
            "add",
            "--agency",
            "CA0190044",
            "--name",
            "Dee Delta",
            "--email",
            "Dee@Test.example",
            "--roles",
            "requester",
            "--password-stdin",
        ],
        Some("another long password 99\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = app.client();
    assert_eq!(
        c.login("dee@test.example", "another long password 99")
            .await
            .status()
            .as_u16(),
        303
    );
    let out = run(
        &[
            "user",
            "add",
            "--agency",
            "CA0190044",
            "--name",
            "X",
            "--email",
            "x@test.example",
            "--roles",
            "boss",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("boss"));
    let out = run(&["user", "deactivate", "--email", "dee@test.example"], None);
    assert!(out.status.success());
    assert_eq!(
        c.get("/cases").await.status().as_u16(),
        303,
        "a disabled account loses its session"
    );
    assert!(app.audit().iter().any(|r| r.action == "user.deactivate"));
}

#[actix_web::test]
async fn audit_records_cannot_be_updated_or_deleted() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    app.login("requester.a@test.example").await;
    let mut c = app.pool.get().unwrap();
    assert!(
        diesel::sql_query("UPDATE audit_records SET outcome = 'success'")
            .execute(&mut c)
            .is_err()
    );
    assert!(
        diesel::sql_query("DELETE FROM audit_records")
            .execute(&mut c)
            .is_err()
    );
    assert!(!app.audit().is_empty());
}

#[actix_web::test]
async fn migrations_revert_cleanly_and_reapply() {
    let app = spawn_app().await;
    let mut c = app.pool.get().unwrap();
    let n = frdesk::platform::db::revert_all_migrations(&mut c).unwrap();
    assert!(n >= 1);
    frdesk::platform::db::run_migrations(&mut c).unwrap();
    assert_eq!(
        app.backend,
        if std::env::var("FRDESK_TEST_PG").is_ok_and(|v| !v.is_empty()) {
            "postgres"
        } else {
            "sqlite"
        }
    );
}

/// `database.migrate_on_start = false` (several instances): an instance and a command refuse a
/// database with pending migrations and name `frdesk migrate`; after it they start. A database
/// migrated by a newer frdesk (a migration this build does not know) is refused whatever the
/// setting, naming the version, by the server and by `frdesk migrate` alike.
#[actix_web::test]
async fn an_instance_waits_for_frdesk_migrate_and_refuses_a_schema_it_does_not_know() {
    let data_dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database(data_dir.path());
    let off = [("FRDESK_DATABASE__MIGRATE_ON_START", "false")];
    let cli = |args: &[&str], migrate_on_start: &str| {
        frdesk()
            .args(args)
            .env("FRDESK_DATA_DIR", data_dir.path())
            .env("FRDESK_DATABASE__URL", &db_url)
            .env("FRDESK_DATABASE__MIGRATE_ON_START", migrate_on_start)
            .current_dir(data_dir.path())
            .output()
            .unwrap()
    };
    let e = Application::build(settings_for(&data_dir, &db_url, &off))
        .await
        .err()
        .expect("refused while migrations are pending");
    let msg = format!("{e:#}");
    assert!(
        msg.contains("run `frdesk migrate`") && msg.contains("migrate_on_start"),
        "{msg}"
    );
    let out = cli(&["retention", "run"], "false");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("frdesk migrate"));

    let out = cli(&["migrate"], "false");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Database is up to date"));
    let app = Application::build(settings_for(&data_dir, &db_url, &off))
        .await
        .expect("starts once migrated");
    drop(app);

    // A newer frdesk migrated the database.
    {
        use diesel::prelude::*;
        let pool = frdesk::platform::db::connect(&db_url).unwrap();
        let mut c = pool.get().unwrap();
        diesel::sql_query(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')",
        )
        .execute(&mut c)
        .unwrap();
    }
    for setting in ["false", "true"] {
        let e = Application::build(settings_for(
            &data_dir,
            &db_url,
            &[("FRDESK_DATABASE__MIGRATE_ON_START", setting)],
        ))
        .await
        .err()
        .expect("refused: a schema this build does not know");
        let msg = format!("{e:#}");
        assert!(
            msg.contains("20991231000000") && msg.contains("newer than this build"),
            "{msg}"
        );
    }
    let out = cli(&["migrate"], "true");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("20991231000000"));
}
