//! Crash tests: the real `frdesk serve` process is killed with SIGKILL while it holds a search
//! job and again after it wrote a signed packet but before recording it. After each restart the
//! interrupted job is taken over once the dead process's lease on it lapses (the servers run
//! with 3-second leases, `jobs.lease_seconds`) and completes exactly once: one candidate list,
//! one packet row, one email, one audit record — and the file on disk is the one recorded.
//!
//! Fail points (the `fail` crate) hold the job at the interesting moment, so the kill is not a
//! race; they exist only in builds with `--features failpoints` (script/test turns it on).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use frdesk::platform::db::schema::{audit_records, jobs, timeline_events};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::mail::free_port;
use crate::search::{approve, enroll_gallery, review, searches, start_search};

/// A `frdesk serve` process; SIGKILLed when dropped.
struct Server {
    child: Child,
}

impl Server {
    /// `kill -9`: no clean-up, no graceful shutdown.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(app: &mut TestApp, port: u16, failpoints: &str, log: &str) -> Server {
    let log = std::fs::File::create(app.data_dir.path().join(log)).unwrap();
    let child = app
        .frdesk()
        .arg("serve")
        .env("FRDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env(
            "FRDESK_MAIL__FROM",
            "Face Search Desk <frdesk@test.example>",
        )
        .env("FAILPOINTS", failpoints)
        // A killed server's jobs are taken over when their lease lapses: keep the wait short.
        .env("FRDESK_JOBS__LEASE_SECONDS", "3")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    app.address = format!("http://127.0.0.1:{port}");
    let server = Server { child };
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{}/health", app.address)).send().await
            && r.status().is_success()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("frdesk serve did not come up on port {port}");
}

fn job_rows(app: &TestApp, kind: &str) -> Vec<(String, i32)> {
    let mut c = app.pool.get().unwrap();
    jobs::table
        .filter(jobs::kind.eq(kind))
        .select((jobs::status, jobs::attempts))
        .load(&mut c)
        .unwrap()
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..600 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn timeline_kinds(app: &TestApp, case_id: i64) -> Vec<String> {
    let mut c = app.pool.get().unwrap();
    timeline_events::table
        .filter(timeline_events::case_id.eq(case_id))
        .select(timeline_events::kind)
        .load(&mut c)
        .unwrap()
}

fn audit_count(app: &TestApp, action: &str, outcome: &str) -> usize {
    let mut c = app.pool.get().unwrap();
    audit_records::table
        .filter(audit_records::action.eq(action))
        .filter(audit_records::outcome.eq(outcome))
        .count()
        .get_result::<i64>(&mut c)
        .unwrap() as usize
}

fn packet_files(app: &TestApp) -> Vec<PathBuf> {
    let dir = app.data_dir.path().join("packets");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn result_emails(app: &TestApp) -> usize {
    app.outbox_files()
        .iter()
        .filter(|m| m.contains("Face search result"))
        .count()
}

#[actix_web::test]
async fn jobs_interrupted_by_kill_9_run_again_and_complete_exactly_once() {
    let mut app = prepare_app();
    let _gallery = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let port = free_port();

    // 1. Killed while holding the search job (the probe's analysis, queued by the approval).
    let server = start_server(
        &mut app,
        port,
        "search.after_claim=sleep(600000)",
        "run1.log",
    )
    .await;
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
    wait_for("the search job to be claimed", || {
        job_rows(&app, "search") == vec![("running".to_string(), 1)]
    })
    .await;
    server.kill9();
    let s = searches(&app, case_id);
    assert_eq!(s.len(), 1);
    assert!(s[0].candidates().is_empty(), "no candidate list yet");
    assert_ne!(s[0].status.as_str(), "searched");

    // Restart: once the killed server's lease lapses the new one takes the interrupted job over
    // and runs it to completion once; the examiner then starts the search, which runs once.
    let server = start_server(
        &mut app,
        port,
        "packet.after_write=sleep(600000)",
        "run2.log",
    )
    .await;
    wait_for("the analysis to finish", || {
        job_rows(&app, "search").iter().all(|(st, _)| st == "done")
    })
    .await;
    assert_eq!(job_rows(&app, "search"), vec![("done".to_string(), 2)]);
    start_search(&app, case_id).await;
    wait_for("the search to finish", || {
        job_rows(&app, "search").len() == 2
            && job_rows(&app, "search").iter().all(|(st, _)| st == "done")
    })
    .await;
    let s = searches(&app, case_id);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].status.as_str(), "searched");
    let ranks: Vec<u32> = s[0].candidates().iter().map(|c| c.rank).collect();
    let mate = s[0]
        .candidates()
        .iter()
        .find(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .expect("the mate is in the candidate list");
    let kinds = timeline_kinds(&app, case_id);
    // One event each for the analysis, the examiner's start, the search run and the case
    // moving on: the interrupted attempt left nothing behind.
    for (kind, n) in [("search", 2), ("search_started", 1), ("searched", 1)] {
        let got = kinds.iter().filter(|k| k.as_str() == kind).count();
        assert_eq!(got, n, "`{kind}` events on the timeline: {kinds:?}");
    }
    assert_eq!(audit_count(&app, "search.run", "success"), 1);

    // 2. Killed after the signed packet was written, before it was recorded.
    let url = format!("/cases/{case_id}/probes/{}/review", s[0].id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(
        review(&e1, &url, &ranks, &[mate], "first").await.status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &[mate], "second").await.status(),
        303
    );
    wait_for("the packet file to be written", || {
        !packet_files(&app).is_empty() && job_rows(&app, "packet").len() == 1
    })
    .await;
    server.kill9();
    {
        let mut c = app.pool.get().unwrap();
        let recorded =
            frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(case_id))
                .unwrap();
        assert!(recorded.is_empty(), "nothing recorded before the crash");
    }
    assert_eq!(result_emails(&app), 0, "no email for an unrecorded packet");

    // Restart: the packet is issued once; the file on disk is the recorded one.
    let server = start_server(&mut app, port, "", "run3.log").await;
    wait_for("the packet job to finish", || {
        job_rows(&app, "packet") == vec![("done".to_string(), 2)]
    })
    .await;
    let mut c = app.pool.get().unwrap();
    let recorded =
        frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(case_id))
            .unwrap();
    drop(c);
    assert_eq!(recorded.len(), 1, "exactly one packet");
    let p = &recorded[0];
    assert!(p.is_current());
    let files = packet_files(&app);
    assert_eq!(
        files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "pdf"))
            .count(),
        1,
        "one packet file, no leftovers: {files:?}"
    );
    let file = app.data_dir.path().join("packets").join(p.file_name());
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), p.file_sha256);
    let sig = Command::new("pdfsig").arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&sig.stdout).contains("Signature is Valid"));
    assert_eq!(audit_count(&app, "packet.issue", "success"), 1);
    let kinds = timeline_kinds(&app, case_id);
    assert_eq!(
        kinds.iter().filter(|k| k.as_str() == "result").count(),
        1,
        "{kinds:?}"
    );
    wait_for("the result email", || result_emails(&app) >= 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(result_emails(&app), 1, "one email, not two");
    drop(server);
}

/// The request form as multipart, sent without treating a dropped connection as a test failure
/// (the server is killed while the request is in flight).
async fn try_submit(
    c: &Client,
    csrf: &str,
    key: &str,
    photo: (String, Vec<u8>),
) -> Result<reqwest::Response, reqwest::Error> {
    c.http
        .post(format!("{}/cases/save", c.base))
        .multipart(request_form(csrf, key, "submit", &valid_fields(), &[photo]))
        .send()
        .await
}

fn acknowledgements(app: &TestApp) -> usize {
    use frdesk::platform::db::schema::outbox_messages;
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::kind.eq("request_received"))
        .count()
        .get_result::<i64>(&mut c)
        .unwrap() as usize
}

/// `kill -9` while an upload is being saved (image file written, transaction not committed):
/// after the restart there is no case, no image file (the start-up sweep removes the orphan and
/// any temporary file), no acknowledgement; the same form then submits once.
#[actix_web::test]
async fn an_upload_killed_mid_save_leaves_no_case_and_no_file() {
    let mut app = prepare_app();
    let port = free_port();
    let server = start_server(
        &mut app,
        port,
        "upload.before_commit=sleep(600000)",
        "upload1.log",
    )
    .await;
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let pending = {
        let (c, csrf, key) = (
            Client {
                http: requester.http.clone(),
                base: requester.base.clone(),
                mfa: app.mfa.clone(),
            },
            csrf.clone(),
            key.clone(),
        );
        tokio::spawn(async move { try_submit(&c, &csrf, &key, photo("Aaron_Eckhart", 1)).await })
    };
    wait_for("the image file to be written", || {
        app.stored_image_files() >= 1
    })
    .await;
    server.kill9();
    let r = pending.await.unwrap();
    assert!(
        r.as_ref().map(|r| !r.status().is_success()).unwrap_or(true),
        "the interrupted submit did not succeed"
    );
    assert_eq!(app.count_cases(), 0, "no half-written case");
    assert_eq!(
        app.stored_image_files(),
        1,
        "the written file, not yet swept"
    );

    let server = start_server(&mut app, port, "", "upload2.log").await;
    assert_eq!(
        app.stored_image_files(),
        0,
        "the orphan is swept at start-up"
    );
    assert_eq!(app.count_cases(), 0);
    assert_eq!(acknowledgements(&app), 0);
    let log = std::fs::read_to_string(app.data_dir.path().join("upload2.log")).unwrap();
    assert!(log.contains("interrupted upload"), "{log}");
    // The requester's session survived the restart; the same form submits once.
    let r = try_submit(&requester, &csrf, &key, photo("Aaron_Eckhart", 1))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = try_submit(&requester, &csrf, &key, photo("Aaron_Eckhart", 1))
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "a replayed submit lands on the same case"
    );
    assert_eq!(app.count_cases(), 1);
    assert_eq!(app.stored_image_files(), 1);
    assert_eq!(audit_count(&app, "request.submit", "success"), 1);
    assert_eq!(acknowledgements(&app), 1);
    drop(server);
}

/// The disk fills up while an image is written: the requester gets a clear 507 saying nothing
/// was saved; no case, no partial or temporary file. With space again the same form submits.
#[actix_web::test]
async fn a_full_disk_while_storing_an_image_is_a_clear_error_and_leaves_nothing() {
    let mut app = prepare_app();
    let port = free_port();
    let server = start_server(&mut app, port, "images.disk_full=return", "full1.log").await;
    let requester = app.login("requester.a@test.example").await;
    let (csrf, key) = requester.new_form().await;
    let r = try_submit(&requester, &csrf, &key, photo("Aaron_Eckhart", 1))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 507);
    let page = r.text().await.unwrap();
    assert!(page.contains("storage is full"), "{page}");
    assert!(page.contains("Nothing was saved"), "{page}");
    assert_eq!(app.count_cases(), 0);
    assert_eq!(app.stored_image_files(), 0, "no partial or temporary file");
    assert_eq!(acknowledgements(&app), 0);
    drop(server);

    let server = start_server(&mut app, port, "", "full2.log").await;
    let r = try_submit(&requester, &csrf, &key, photo("Aaron_Eckhart", 1))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.count_cases(), 1);
    assert_eq!(app.stored_image_files(), 1);
    drop(server);
}
