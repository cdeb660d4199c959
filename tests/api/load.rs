//! Concurrency and database faults: 50 request submissions at once (none lost, none twice), a
//! SQLite write lock held by another connection (requests wait, then complete), and a
//! PostgreSQL server restarted under load (requests fail cleanly or complete; no half-written
//! rows; the background mail sender carries on).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use diesel::prelude::*;
use frdesk::platform::db::schema::{case_images, cases, outbox_messages, request_versions};

use crate::helpers::*;

/// The first photo of the first `n` LFW identities (sorted), as (name, bytes).
fn distinct_photos(n: usize) -> Vec<(String, Vec<u8>)> {
    let mut people: Vec<String> = std::fs::read_dir(lfw_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    people.sort();
    people.iter().take(n).map(|p| photo(p, 1)).collect()
}

/// Opens `n` blank forms in `c`'s session: (csrf, form key) each.
async fn blank_forms(c: &Client, n: usize) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(c.new_form().await);
    }
    v
}

/// Submits every form at once, each with its photo; returns the status codes (0: no answer;
/// 303 only for the redirect to the case, 302 for a redirect elsewhere).
async fn submit_all(
    c: &Client,
    forms: &[(String, String)],
    photos: &[(String, Vec<u8>)],
) -> Vec<u16> {
    let mut tasks = Vec::new();
    for (i, ((csrf, key), p)) in forms.iter().zip(photos).enumerate() {
        let c = Client {
            http: c.http.clone(),
            base: c.base.clone(),
            mfa: c.mfa.clone(),
        };
        let (csrf, key, p) = (csrf.clone(), key.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let fields = fields_with(&[
                (
                    "search_reason",
                    &format!("Robbery suspect, Case# 25-{i:06}, 211 PC"),
                ),
                ("case_file_number", &format!("25-{i:06}")),
            ]);
            let form = request_form(&csrf, &key, "submit", &fields, &[p]);
            // 303 counts only as the redirect to the case: a redirect anywhere else (to the
            // login page) is reported as 302.
            match c
                .http
                .post(format!("{}/cases/save", c.base))
                .multipart(form)
                .timeout(Duration::from_secs(60))
                .send()
                .await
            {
                Ok(r) if r.status().as_u16() == 303 => {
                    if location(&r).is_some_and(|l| l.starts_with("/cases/")) {
                        303
                    } else {
                        302
                    }
                }
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Every submitted case is whole: a case number, its first version, one image row, one
/// acknowledgement queued. Returns the number of submitted cases.
fn check_whole(app: &TestApp) -> usize {
    let mut c = app.pool.get().unwrap();
    let rows: Vec<(i64, Option<String>, String)> = cases::table
        .select((cases::id, cases::case_number, cases::status))
        .load(&mut c)
        .unwrap();
    for (id, number, status) in &rows {
        assert_eq!(status, "submitted", "case {id}");
        assert!(number.is_some(), "case {id} has no number");
        let versions: i64 = request_versions::table
            .filter(request_versions::case_id.eq(id))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(versions, 1, "case {id} versions");
        let images: i64 = case_images::table
            .filter(case_images::case_id.eq(id))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(images, 1, "case {id} images");
        let acks: i64 = outbox_messages::table
            .filter(outbox_messages::case_id.eq(Some(*id)))
            .filter(outbox_messages::kind.eq("request_received"))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(acks, 1, "case {id} acknowledgements");
    }
    let numbers: BTreeSet<_> = rows.iter().map(|r| r.1.clone()).collect();
    assert_eq!(numbers.len(), rows.len(), "case numbers are unique");
    rows.len()
}

#[actix_web::test]
async fn fifty_concurrent_submissions_make_fifty_whole_cases_and_replays_add_none() {
    let app = spawn_app().await;
    let requester = app.login("requester.a@test.example").await;
    let photos = distinct_photos(50);
    let forms = blank_forms(&requester, 50).await;
    let statuses = submit_all(&requester, &forms, &photos).await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert_eq!(check_whole(&app), 50);
    assert_eq!(app.stored_image_files(), 50);
    // The same 50 forms again, at once (a double click, a retried request): no new case.
    let statuses = submit_all(&requester, &forms, &photos).await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert_eq!(check_whole(&app), 50);
    assert_eq!(app.stored_image_files(), 50);
}

/// Another connection holds SQLite's write lock for two seconds: submissions wait for it (the
/// busy timeout) and then complete; none is lost and none fails.
#[actix_web::test]
async fn submissions_wait_for_a_held_sqlite_write_lock_and_complete() {
    let app = spawn_app().await;
    if app.backend != "sqlite" {
        eprintln!("SQLite only (the PostgreSQL pass runs the restart test instead)");
        return;
    }
    let requester = app.login("requester.a@test.example").await;
    let photos = distinct_photos(10);
    let forms = blank_forms(&requester, 10).await;
    let db = app.db_url.clone();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        use diesel::connection::SimpleConnection;
        let mut c = diesel::SqliteConnection::establish(&db).unwrap();
        c.batch_execute("BEGIN IMMEDIATE; UPDATE agencies SET active = active;")
            .unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(2));
        c.batch_execute("COMMIT;").unwrap();
    });
    locked_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let statuses = submit_all(&requester, &forms, &photos).await;
    holder.join().unwrap();
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the submissions waited for the lock"
    );
    assert_eq!(check_whole(&app), 10);
}

/// A PostgreSQL server of the test's own (initdb in a temporary folder), stopped on drop.
struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PgCluster {
    /// Runs `cmd` as the cluster's owner. The server that `pg_ctl` starts would inherit
    /// captured pipes and keep them open, so stdin/stdout are null and stderr goes to a file.
    fn as_owner(&self, cmd: &str) -> std::process::ExitStatus {
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let mut c = if is_root {
            let mut c = std::process::Command::new("su");
            c.args(["postgres", "-s", "/bin/sh", "-c", cmd]);
            c
        } else {
            let mut c = std::process::Command::new("sh");
            c.args(["-c", cmd]);
            c
        };
        let err = std::fs::File::create(self.dir.path().join("ctl.err")).unwrap();
        c.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(err)
            .status()
            .unwrap()
    }

    fn ctl_errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ctl.err")).unwrap_or_default()
    }

    fn start() -> PgCluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect(
                "PostgreSQL server binaries in /usr/lib/postgresql (script/setup installs them)",
            )
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .max()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let _ = std::process::Command::new("chown")
            .args(["postgres", &dir.path().to_string_lossy()])
            .output();
        let port = crate::mail::free_port();
        let c = PgCluster { dir, bin, port };
        let d = c.dir.path().display();
        let b = c.bin.display();
        let out = c.as_owner(&format!(
            "'{b}/initdb' -D '{d}/data' -A trust -U postgres >/dev/null && '{b}/pg_ctl' -D '{d}/data' -o \"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off\" -l '{d}/log' -w start"
        ));
        assert!(out.success(), "initdb/pg_ctl start: {}", c.ctl_errors());
        c
    }

    fn restart(&self) {
        let out = self.as_owner(&format!(
            "'{}/pg_ctl' -D '{}/data' -m fast -w restart",
            self.bin.display(),
            self.dir.path().display()
        ));
        assert!(out.success(), "pg_ctl restart: {}", self.ctl_errors());
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.as_owner(&format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate stop",
            self.bin.display(),
            self.dir.path().display()
        ));
    }
}

/// The PostgreSQL server restarts while requests arrive: each request completes (303) or fails
/// with the plain error page (500) — none hangs; afterwards every case in the database is whole,
/// exactly the answered ones exist, new requests succeed and every acknowledgement is sent.
#[actix_web::test]
async fn a_postgresql_restart_under_load_fails_requests_cleanly_and_corrupts_nothing() {
    if std::env::var("FRDESK_TEST_PG")
        .map(|s| s.is_empty())
        .unwrap_or(true)
    {
        eprintln!("PostgreSQL pass only (FRDESK_TEST_PG); the SQLite pass runs the lock test");
        return;
    }
    let pg = PgCluster::start();
    let db = create_pg_database(&pg.url());
    let app = spawn_app_on(Some((db, "postgres")), &[]).await;
    let requester = app.login("requester.a@test.example").await;
    let photos = distinct_photos(40);
    let forms = blank_forms(&requester, 40).await;
    // Four waves of ten; the server restarts while the second wave is in flight.
    let mut statuses = Vec::new();
    for wave in 0..4 {
        let range = wave * 10..wave * 10 + 10;
        if wave == 1 {
            let c = Client {
                http: requester.http.clone(),
                base: requester.base.clone(),
                mfa: app.mfa.clone(),
            };
            let (f, p) = (
                forms[range.clone()].to_vec(),
                photos[range.clone()].to_vec(),
            );
            let inflight = tokio::spawn(async move { submit_all(&c, &f, &p).await });
            tokio::time::sleep(Duration::from_millis(50)).await;
            pg.restart();
            statuses.extend(inflight.await.unwrap());
        } else {
            statuses.extend(submit_all(&requester, &forms[range.clone()], &photos[range]).await);
        }
    }
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 500),
        "each request completed or failed cleanly: {statuses:?}"
    );
    assert_eq!(
        requester.get("/cases").await.status().as_u16(),
        200,
        "a database restart does not log anyone out"
    );
    let ok = statuses.iter().filter(|s| **s == 303).count();
    assert!(
        statuses[30..].iter().all(|s| *s == 303),
        "after the restart requests succeed: {statuses:?}"
    );
    assert_eq!(
        check_whole(&app),
        ok,
        "exactly the answered submissions exist"
    );
    // A failed one can be sent again and lands once.
    let failed: Vec<usize> = (0..40).filter(|i| statuses[*i] != 303).collect();
    if !failed.is_empty() {
        let f: Vec<_> = failed.iter().map(|i| forms[*i].clone()).collect();
        let p: Vec<_> = failed.iter().map(|i| photos[*i].clone()).collect();
        let again = submit_all(&requester, &f, &p).await;
        assert!(again.iter().all(|s| *s == 303), "{again:?}");
    }
    assert_eq!(check_whole(&app), 40);
    // The mail sender survived the restart: every acknowledgement is delivered.
    let sent = app.wait_for_mail_to("requester.a@test.example", 40).await;
    assert_eq!(sent.len(), 40);
    eprintln!(
        "restart under load: {} of 40 answered 303 at first, {} failed cleanly",
        ok,
        40 - ok
    );
}
