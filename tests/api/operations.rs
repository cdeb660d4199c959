//! Operations (issue 18): liveness and readiness without a login, and `frdesk backup` taken
//! while the server runs, restored into an empty data folder and database where
//! `frdesk audit verify` and `frdesk packet verify` pass; a restore into anything not empty is
//! refused. On SQLite, and on PostgreSQL when `FRDESK_TEST_PG` is set.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use frdesk::domain::CaseId;
use frdesk::result::store::PacketRecord;

use crate::helpers::*;
use crate::search::{enroll_gallery, review, searched_case};

/// `GET path` without a session: (status, JSON body).
async fn get_json(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(format!("{}{path}", app.address))
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{path} is never cached"
    );
    (status, r.json().await.unwrap())
}

/// Polls `/ready` until `done(status, body)` holds (at most a minute: the first answer starts
/// loading the face models).
async fn wait_ready(
    app: &TestApp,
    done: impl Fn(u16, &serde_json::Value) -> bool,
) -> (u16, serde_json::Value) {
    let mut last = (0, serde_json::Value::Null);
    for _ in 0..600 {
        last = get_json(app, "/ready").await;
        if done(last.0, &last.1) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/ready never reached the expected answer; last: {last:?}");
}

#[actix_web::test]
async fn health_and_ready_answer_without_a_login() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/health", app.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");

    // Nothing has loaded the face engine yet: the first check starts it and says so.
    let (status, body) = get_json(&app, "/ready").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["reason"], "face models and gallery loading");
    let (_, body) = wait_ready(&app, |s, _| s == 200).await;
    assert_eq!(body, serde_json::json!({"status": "ready"}));

    // Photos enrolled beside the running server (the CLI: another process on the same
    // database, as another instance would) reach this instance's loaded index through the
    // gallery log (issue 18): it is ready again, and a search finds the new subject.
    let _photos = enroll_gallery(&app, &["Colin_Powell", "Tony_Blair"]);
    let (_, body) = wait_ready(&app, |s, _| s == 200).await;
    assert_eq!(body, serde_json::json!({"status": "ready"}));
    let (_, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    assert!(
        ps.candidates()
            .iter()
            .any(|c| c.subject_key == "Colin_Powell"),
        "the subject enrolled after the index was loaded is searched"
    );
    // The search names the gallery version it ran against: the log's newest row then.
    let head: i64 = {
        use diesel::prelude::*;
        use frdesk::gallery::schema::gallery_log;
        let mut c = app.pool.get().unwrap();
        gallery_log::table
            .select(diesel::dsl::max(gallery_log::id))
            .first::<Option<i64>>(&mut c)
            .unwrap()
            .unwrap()
    };
    assert_eq!(ps.gallery_version, Some(head));
    // A removal made elsewhere leaves the index too.
    let o = app
        .frdesk()
        .args([
            "gallery",
            "remove",
            "--subject",
            "Tony_Blair",
            "--reason",
            "Booking record expunged by court order",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, ps) = searched_case(&app, photo("Tony_Blair", 2)).await;
    assert!(
        ps.candidates()
            .iter()
            .all(|c| c.subject_key != "Tony_Blair"),
        "a removed subject is no longer searched"
    );
}

fn packets(app: &TestApp, case_id: i64) -> Vec<PacketRecord> {
    let mut c = app.pool.get().unwrap();
    PacketRecord::for_case(&mut c, CaseId(case_id)).unwrap()
}

/// A concluded case with its signed packet: two examiners agree on the mate.
async fn concluded_case(app: &TestApp) -> (i64, PacketRecord) {
    let (case_id, ps) = searched_case(app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let mate = ps
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    for (who, note) in [
        ("examiner@test.example", "first"),
        ("examiner2@test.example", "second"),
    ] {
        let e = app.login(who).await;
        assert_eq!(review(&e, &url, &ranks, &[mate], note).await.status(), 303);
    }
    for _ in 0..600 {
        if let Some(p) = packets(app, case_id).pop() {
            return (case_id, p);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no packet was issued for case {case_id}");
}

/// `frdesk ARGS` on the data folder `data_dir` and database `db_url` (no config file).
fn frdesk_on(data_dir: &Path, db_url: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_frdesk"))
        .env("FRDESK_DATA_DIR", data_dir)
        .env("FRDESK_DATABASE__URL", db_url)
        .env(
            "FRDESK_FACE__MODELS_DIR",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"),
        )
        .current_dir(data_dir)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A new, empty database of the app's back-end: (data folder, URL). The SQLite file does not
/// exist yet; a PostgreSQL database is created empty on the test server.
fn empty_target(app: &TestApp) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = if app.backend == "postgres" {
        create_pg_database(&std::env::var("FRDESK_TEST_PG").unwrap())
    } else {
        dir.path()
            .join("frdesk.sqlite3")
            .to_string_lossy()
            .into_owned()
    };
    (dir, url)
}

#[actix_web::test]
async fn a_backup_taken_while_serving_restores_into_an_empty_desk() {
    let app = spawn_app().await;
    let _photos = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let (case_id, packet) = concluded_case(&app).await;

    // The server keeps serving while the backup runs.
    let backup = tempfile::tempdir().unwrap();
    let out = backup.path().join("b1");
    let requester = app.login("requester.a@test.example").await;
    let o = app
        .frdesk()
        .args(["backup", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "backup failed: {}", stderr(&o));
    let (status, _) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["backend"], app.backend);
    let files = manifest["files"].as_array().unwrap();
    let listed = |p: &str| files.iter().find(|f| f["path"] == p).cloned();
    let pdf = listed(&format!("data/packets/{}", packet.file_name()))
        .expect("the packet is in the backup");
    assert_eq!(pdf["sha256"], packet.file_sha256.as_str());
    assert!(listed(&format!("data/{}", "mfa.key")).is_some());
    assert!(
        files
            .iter()
            .any(|f| f["path"].as_str().unwrap().starts_with("data/images/")),
        "the probe image is in the backup"
    );
    assert!(
        !files.iter().any(|f| {
            let p = f["path"].as_str().unwrap();
            p.starts_with("data/history-index/") || p.starts_with("data/frdesk.sqlite3")
        }),
        "indexes and the live database file are left out"
    );
    // Every file is listed with its SHA-256.
    for f in files {
        let (_, sha) =
            frdesk::operations::manifest::hash_file(&out.join(f["path"].as_str().unwrap()))
                .unwrap();
        assert_eq!(f["sha256"], sha.as_str(), "{f}");
    }

    // Restored into a new, empty data folder and database, the copy checks out.
    let (target, url) = empty_target(&app);
    let o = frdesk_on(
        target.path(),
        &url,
        &["restore", "--from", &out.to_string_lossy()],
    );
    assert!(o.status.success(), "restore failed: {}", stderr(&o));
    let o = frdesk_on(target.path(), &url, &["audit", "verify", "--json"]);
    assert!(
        o.status.success(),
        "audit verify on the restored copy: {} {}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    let restored_pdf = target.path().join("packets").join(packet.file_name());
    let o = frdesk_on(
        target.path(),
        &url,
        &[
            "packet",
            "verify",
            "--json",
            &restored_pdf.to_string_lossy(),
        ],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert!(o.status.success(), "packet verify: {report}");
    assert_eq!(report["signature_valid"], true, "{report}");
    assert_eq!(report["current"], true, "{report}");

    // A second restore into the same (now full) folder and database is refused.
    let o = frdesk_on(
        target.path(),
        &url,
        &["restore", "--from", &out.to_string_lossy()],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "The data folder {} is not empty",
            target.path().display()
        )),
        "{e}"
    );
    // An empty data folder with a database that is not empty is refused too.
    let empty = tempfile::tempdir().unwrap();
    let o = frdesk_on(
        empty.path(),
        &url,
        &["restore", "--from", &out.to_string_lossy()],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    if app.backend == "postgres" {
        assert!(e.contains("is not empty (it has tables: public."), "{e}");
    } else {
        assert!(
            e.contains(&format!("The SQLite database {url} exists")),
            "{e}"
        );
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "a refused restore writes nothing"
    );

    // A backup file that changed is named, and nothing is written.
    let pdf_in_backup = out.join("data/packets").join(packet.file_name());
    let mut bytes = std::fs::read(&pdf_in_backup).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&pdf_in_backup, bytes).unwrap();
    let (fresh, fresh_url) = empty_target(&app);
    let o = frdesk_on(
        fresh.path(),
        &fresh_url,
        &["restore", "--from", &out.to_string_lossy()],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "Backup file data/packets/{} does not match the manifest",
            packet.file_name()
        )),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(fresh.path()).unwrap().count(), 0);
}

/// The value of the sample `name{…}` whose labels include every one of `labels`
/// (`key="value"`); `None` when there is no such line.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(series, _)| {
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            n == name && labels.iter().all(|want| rest.contains(want))
        })
        .map(|(_, v)| v.parse().unwrap())
}

#[actix_web::test]
async fn metrics_are_off_by_default() {
    let app = spawn_app().await;
    assert!(app.metrics_address.is_none());
    let r = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "never on the main address");
}

#[actix_web::test]
async fn metrics_show_route_latency_queues_the_outbox_and_the_gallery() {
    // Mail to a port nobody listens on stays in the outbox (retrying): a backlog to see.
    let closed = format!("smtp://127.0.0.1:{}", crate::mail::free_port());
    let app = spawn_app_with(&[
        ("FRDESK_METRICS__BIND", "127.0.0.1:0"),
        ("FRDESK_MAIL__TRANSPORT", "smtp"),
        ("FRDESK_MAIL__SMTP_URL", &closed),
    ])
    .await;
    let metrics = app.metrics_address.clone().expect("metrics are on");
    let _photos = enroll_gallery(&app, &["Colin_Powell", "Tony_Blair", "Hans_Blix"]);
    let (case_id, _) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let requester = app.login("requester.a@test.example").await;
    let (status, _) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    // A second, still waiting for its compliance review.
    let waiting = requester.submit_valid_request().await;

    let scrape = || async {
        let r = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.text().await.unwrap()
    };
    let text = scrape().await;
    let route = |route: &str, status: &str| {
        sample(
            &text,
            "frdesk_http_request_duration_seconds_count",
            &[
                &format!("route=\"{route}\""),
                "method=\"GET\"",
                &format!("status=\"{status}\""),
            ],
        )
    };
    assert!(route("/cases/{id}", "2xx").unwrap() >= 1.0, "{text}");
    assert!(route("/login", "2xx").unwrap() >= 1.0, "{text}");
    // Route templates only: no path with a case id is a label.
    assert!(!text.contains(&format!("/cases/{case_id}\"")), "{text}");
    assert!(!text.contains(&format!("/cases/{waiting}\"")), "{text}");
    assert_eq!(sample(&text, "frdesk_gallery_templates", &[]), Some(3.0));
    assert_eq!(
        sample(&text, "frdesk_gallery_index_templates", &[]),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "frdesk_gallery_search_duration_seconds_count", &[]),
        Some(1.0),
        "{text}"
    );
    let search_sum = sample(&text, "frdesk_gallery_search_duration_seconds_sum", &[]).unwrap();
    assert!(search_sum > 0.0 && search_sum < 5.0, "{search_sum}");
    assert!(
        sample(
            &text,
            "frdesk_worker_pass_duration_seconds_count",
            &["worker=\"search\"", "outcome=\"work\""]
        )
        .unwrap()
            >= 2.0,
        "the analysis and the search: {text}"
    );
    // Acknowledgements and staff notifications cannot be delivered: they wait.
    assert!(
        sample(&text, "frdesk_outbox_unsent", &[]).unwrap() >= 2.0,
        "{text}"
    );
    assert!(sample(&text, "frdesk_outbox_oldest_unsent_age_seconds", &[]).unwrap() >= 0.0);
    assert_eq!(
        sample(
            &text,
            "frdesk_queue_items",
            &["stage=\"compliance_review\""]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "frdesk_queue_items", &["stage=\"first_review\""]),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "frdesk_queue_oldest_age_seconds",
            &["stage=\"compliance_review\""]
        )
        .unwrap()
            >= 0.0
    );
    // The scrape is not a request of the desk.
    assert!(!text.contains("route=\"/metrics\""), "{text}");
}

/// One key set for every instance (issue 18, "Keys"): the first instance records the
/// fingerprints; a second instance on the same database with keys of its own is refused,
/// naming the key; given the desk's key files it starts; `frdesk keys show` compares.
#[actix_web::test]
async fn a_second_instance_with_other_keys_is_refused_and_starts_with_the_desks() {
    let app = spawn_app().await;
    let recorded = {
        let mut c = app.pool.get().unwrap();
        frdesk::operations::keys::recorded(&mut c).unwrap()
    };
    assert_eq!(
        recorded.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["packet_signing", "second_factor", "session"]
    );
    let key_file = std::fs::read(app.data_dir.path().join("session.key")).unwrap();
    for k in &recorded {
        assert_eq!(k.fingerprint.len(), 64);
        assert!(
            !k.fingerprint.contains(&hex::encode(&key_file[..8])),
            "a fingerprint, not the key"
        );
    }

    // A second instance that generated keys of its own.
    let other = tempfile::tempdir().unwrap();
    let e = frdesk::Application::build(settings_for(&other, &app.db_url, &[]))
        .await
        .err()
        .expect("refused: its keys are not the desk's");
    let msg = format!("{e:#}");
    assert!(
        msg.contains("is not the desk's") && msg.contains("frdesk keys accept"),
        "{msg}"
    );
    assert!(
        !msg.contains(&hex::encode(&key_file[..8])),
        "the key is never in a message"
    );
    // Given the desk's key files, it starts.
    for f in ["session.key", "mfa.key"] {
        std::fs::copy(app.data_dir.path().join(f), other.path().join(f)).unwrap();
    }
    let second = frdesk::Application::build(settings_for(&other, &app.db_url, &[]))
        .await
        .expect("starts with the desk's keys");
    drop(second);
    let o = app.frdesk().args(["keys", "show"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown = String::from_utf8_lossy(&o.stdout);
    assert_eq!(shown.matches("matches the desk's").count(), 3, "{shown}");
}
