//! Two instances on one PostgreSQL database (issue 18, "Done when"): two real `frdesk serve`
//! processes, each with its own data folder and the same key files, migrated once by
//! `frdesk migrate` (`database.migrate_on_start = false`), mail to a real SMTP server. Four
//! cases go the whole way — request, compliance review, analysis, the examiner's probe
//! assessment and search, first and blind second review, packet, result email — with requests
//! alternating between the instances. The instance holding a search job is `kill -9`ed at a
//! fail point and the other takes the job over once its lease lapses (the dead one is not
//! restarted for that); later the instance issuing a packet is `kill -9`ed after writing it
//! and the other issues it. Then: every case completed exactly once (its search jobs, one
//! packet row, one result email at the SMTP server carrying the recorded packet), an
//! enrollment made beside instance A is in instance B's index within seconds and searched
//! there, the daily audit check ran once though both instances ran their daily workers, an
//! instance with another session key is refused, and `frdesk audit verify` passes.
//!
//! Files: until `storage.backend = "database"` exists, the instances share the stored-file
//! folders as docs/DEPLOYMENT.md says (a folder every instance mounts: here `images/`,
//! `packets/` … of B are links to A's), and keep `gallery-index/` and `history-index/` their
//! own. The test reads no file across instances: it checks database rows and the mail.
//!
//! PostgreSQL only (`FRDESK_TEST_PG`); needs the fail points (`--features failpoints`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use frdesk::platform::db::schema::{audit_records, daily_runs, jobs, outbox_messages};
use frdesk::platform::mail::outbox::OutboxMessage;
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::mail::{free_port, start_smtp};
use crate::search::{enroll_gallery, review, searches, start_search_as, wait_until_finished};

/// The lease of a claimed job (`jobs.lease_seconds`): short, so a dead holder's job passes on
/// soon.
const LEASE_SECONDS: &str = "3";
const FROM: &str = "Face Search Desk <frdesk@test.example>";

/// A `frdesk serve` process: its addresses and log. SIGKILLed when dropped.
struct Instance {
    name: String,
    child: Child,
    base: String,
    metrics: String,
    log: PathBuf,
}

impl Instance {
    /// `kill -9`: no clean-up, no graceful shutdown, its leases are left to lapse.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The log with colour codes removed.
    fn log_text(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&raw, "")
            .into_owned()
    }

    async fn scrape(&self) -> String {
        match reqwest::get(format!("{}/metrics", self.metrics)).await {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            _ => String::new(),
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment every instance and command of this desk shares: the database, the models,
/// mail through the SMTP server, short leases, no migrations at start.
fn desk_env(cmd: &mut Command, data_dir: &Path, db_url: &str, smtp_port: u16) {
    cmd.env("FRDESK_DATA_DIR", data_dir)
        .env("FRDESK_DATABASE__URL", db_url)
        .env("FRDESK_DATABASE__MIGRATE_ON_START", "false")
        .env(
            "FRDESK_FACE__MODELS_DIR",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"),
        )
        .env("FRDESK_MAIL__FROM", FROM)
        .env("FRDESK_MAIL__TRANSPORT", "smtp")
        .env(
            "FRDESK_MAIL__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}"),
        )
        .env("FRDESK_MAIL__RETRY_BASE_SECONDS", "1")
        .env("FRDESK_JOBS__LEASE_SECONDS", LEASE_SECONDS)
        .current_dir(data_dir);
    if let Ok(backend) = std::env::var("FRDESK_STORAGE__BACKEND") {
        cmd.env("FRDESK_STORAGE__BACKEND", backend);
    }
}

/// Starts `frdesk serve` on `data_dir` with the fail points `failpoints` and waits (bounded)
/// until it answers `/health`.
async fn start_instance(
    name: &str,
    data_dir: &Path,
    db_url: &str,
    smtp_port: u16,
    failpoints: &str,
) -> Instance {
    let (port, metrics_port) = (free_port(), free_port());
    let log = data_dir.join(format!("{name}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frdesk"));
    desk_env(&mut cmd, data_dir, db_url, smtp_port);
    let child = cmd
        .arg("serve")
        .env("FRDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("FRDESK_METRICS__BIND", format!("127.0.0.1:{metrics_port}"))
        .env("FAILPOINTS", failpoints)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut inst = Instance {
        name: name.to_string(),
        child,
        base: format!("http://127.0.0.1:{port}"),
        metrics: format!("http://127.0.0.1:{metrics_port}"),
        log,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{}/health", inst.base)).send().await
            && r.status().is_success()
        {
            return inst;
        }
        if let Some(status) = inst.child.try_wait().unwrap() {
            panic!(
                "instance {name} exited ({status}) before it served: {}",
                inst.log_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "instance {name} did not come up on port {port}: {}",
        inst.log_text()
    );
}

/// Waits until `ok` holds, checking every 100 ms, at most `secs` seconds.
async fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok(), "timed out after {secs} s waiting for {what}");
}

/// The value of the Prometheus sample `name{…}` whose labels include each of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(series, _)| {
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            n == name && labels.iter().all(|want| rest.contains(want))
        })
        .and_then(|(_, v)| v.parse().ok())
}

/// `c`'s session (cookie jar) talking to another instance: sessions are database rows and the
/// cookie is sealed with the desk's one session key, so any instance serves them.
fn on(c: &Client, inst: &Instance) -> Client {
    Client {
        http: c.http.clone(),
        base: inst.base.clone(),
        mfa: c.mfa.clone(),
    }
}

/// Submits the request form with `probe` as the requester; returns the case id.
async fn submit(requester: &Client, probe: (String, Vec<u8>)) -> i64 {
    let (csrf, key) = requester.new_form().await;
    let r = requester
        .post_request(&csrf, &key, "submit", &valid_fields(), &[probe])
        .await;
    assert_eq!(r.status().as_u16(), 303, "submit on {}", requester.base);
    case_id_from_location(&r)
}

/// The reviewer's compliance approval.
async fn approve(reviewer: &Client, case_id: i64) {
    let (status, page) = reviewer.get_text(&format!("/review/{case_id}")).await;
    assert_eq!(status, 200, "{page}");
    let r = reviewer
        .post_form(
            &format!("/review/{case_id}"),
            &[
                ("csrf_token", &csrf_of(&page)),
                ("decision", "approve"),
                ("comment", "Compliant; approved for search."),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "approve on {}", reviewer.base);
}

/// The first and the blind second review, both naming the probe's subject `mate` a possible
/// lead.
async fn examine(app: &TestApp, first: &Client, second: &Client, case_id: i64, mate: &str) {
    let s = wait_until_finished(app, case_id).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].status.as_str(), "searched", "{:?}", s[0]);
    let ranks: Vec<u32> = s[0].candidates().iter().map(|c| c.rank).collect();
    let lead = s[0]
        .candidates()
        .iter()
        .find(|c| c.subject_key == mate)
        .map(|c| c.rank)
        .unwrap_or_else(|| panic!("{mate} is not among the candidates of case {case_id}"));
    let url = format!("/cases/{case_id}/probes/{}/review", s[0].id);
    let r = review(first, &url, &ranks, &[lead], "first").await;
    assert_eq!(r.status().as_u16(), 303, "first review on {}", first.base);
    let r = review(second, &url, &ranks, &[lead], "second").await;
    assert_eq!(r.status().as_u16(), 303, "second review on {}", second.base);
}

/// (id, status, attempts, lease_epoch, claimed_by) of the case's jobs of `kind`, oldest first.
type JobRow = (i64, String, i32, i64, Option<String>);

fn case_jobs(app: &TestApp, case_id: i64, kind: &str) -> Vec<JobRow> {
    let mut c = app.pool.get().unwrap();
    jobs::table
        .filter(jobs::case_id.eq(case_id))
        .filter(jobs::kind.eq(kind))
        .order(jobs::id.asc())
        .select((
            jobs::id,
            jobs::status,
            jobs::attempts,
            jobs::lease_epoch,
            jobs::claimed_by,
        ))
        .load(&mut c)
        .unwrap()
}

/// Successful audit records of `action`, about `object` (type, id) when given.
fn audit_count(app: &TestApp, action: &str, object: Option<(&str, &str)>) -> usize {
    let mut c = app.pool.get().unwrap();
    let mut q = audit_records::table
        .filter(audit_records::action.eq(action))
        .filter(audit_records::outcome.eq("success"))
        .into_boxed();
    if let Some((kind, id)) = object {
        q = q
            .filter(audit_records::object_type.eq(kind.to_string()))
            .filter(audit_records::object_id.eq(id.to_string()));
    }
    q.count().get_result::<i64>(&mut c).unwrap() as usize
}

/// The log line in which an instance took job `job_id` over from `previous`.
fn took_over(log: &str, job_id: i64, previous: &str) -> bool {
    // Text fields are logged quoted: previous_holder="search-…".
    let id = format!("job_id={job_id}");
    let holder = format!("previous_holder=\"{previous}\"");
    log.lines().any(|l| {
        l.contains("Took over a job whose lease lapsed")
            && l.split_whitespace().any(|w| w == id)
            && l.split_whitespace().any(|w| w == holder)
    })
}

fn copy_keys(from: &Path, to: &Path, with_session: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mut files = vec!["mfa.key"];
    if with_session {
        files.push("session.key");
    }
    for f in files {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
        std::fs::set_permissions(to.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (src, dst) = (from.join("signing"), to.join("signing"));
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        std::fs::set_permissions(
            dst.join(e.file_name()),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
}

/// The `Message-ID` header of a received message.
fn message_id_of(mail: &str) -> Option<String> {
    mail.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("message-id")
            .then(|| v.trim().to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_the_work_survive_kill_9_and_complete_each_case_once() {
    let Some(pg) = std::env::var("FRDESK_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("PostgreSQL only (FRDESK_TEST_PG): several instances share one PostgreSQL");
        return;
    };
    let started = Instant::now();
    let smtp_port = free_port();
    let smtp = start_smtp(smtp_port).await;
    let db_url = create_pg_database(&pg);

    // The schema is made once by `frdesk migrate`; every instance then starts with
    // `database.migrate_on_start = false`.
    let dir_a = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frdesk"));
    desk_env(&mut cmd, dir_a.path(), &db_url, smtp_port);
    let o = cmd.arg("migrate").output().unwrap();
    assert!(
        o.status.success(),
        "frdesk migrate: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut app = prepare_app_on(dir_a, db_url.clone(), "postgres");
    let _gallery = enroll_gallery(
        &app,
        &["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"],
    );
    let dir_a = app.data_dir.path().to_path_buf();
    let dir_b = tempfile::tempdir().unwrap();
    if std::env::var("FRDESK_STORAGE__BACKEND").as_deref() != Ok("database") {
        // Stored files on a folder every instance mounts (docs/DEPLOYMENT.md).
        for d in [
            "images",
            "packets",
            "disclosures",
            "policies",
            "published",
            "audit_reports",
        ] {
            std::fs::create_dir_all(dir_a.join(d)).unwrap();
            std::os::unix::fs::symlink(dir_a.join(d), dir_b.path().join(d)).unwrap();
        }
    }

    // 1. Instance A holds the first search job it claims (fail point). Case 1 is submitted and
    //    approved on A alone, so A's search worker claims its analysis and stops there.
    let a = start_instance(
        "a1",
        &dir_a,
        &db_url,
        smtp_port,
        "search.after_claim=sleep(600000)",
    )
    .await;
    app.address = a.base.clone();
    let requester = app.login("requester.a@test.example").await;
    let reviewer = app.login("reviewer@test.example").await;
    let case1 = submit(&requester, photo("Gerhard_Schroeder", 2)).await;
    approve(&reviewer, case1).await;
    wait_for("A to claim case 1's analysis", 60, || {
        matches!(case_jobs(&app, case1, "search").as_slice(), [(_, st, 1, 1, Some(_))] if st == "running")
    })
    .await;
    let (held_job, a_search_worker) = {
        let j = &case_jobs(&app, case1, "search")[0];
        (j.0, j.4.clone().unwrap())
    };

    // Instance B: its own data folder with the desk's key files, copied from A after A made
    // its session key (docs/DEPLOYMENT.md, "Keys"). It holds the first packet it writes.
    copy_keys(&dir_a, dir_b.path(), true);
    let b = start_instance(
        "b1",
        dir_b.path(),
        &db_url,
        smtp_port,
        "packet.after_write=sleep(600000)",
    )
    .await;
    let row = &case_jobs(&app, case1, "search")[0];
    assert_eq!(
        (row.1.as_str(), row.3),
        ("running", 1),
        "an instance that starts leaves a job under a live lease alone"
    );

    // B's gallery index loads (its /ready), then follows enrollments made beside A (the
    // CLI on A's host, another process on the database) within seconds.
    let http = reqwest::Client::new();
    wait_ready(&http, &b).await;
    let mut delays = Vec::new();
    let mut photos = Vec::new();
    let index_of = |text: &str| sample(text, "frdesk_gallery_index_templates", &[]);
    let mut before = index_of(&b.scrape().await).expect("B's gallery metrics");
    for person in ["Gerhard_Schroeder", "Jean_Chretien", "Ariel_Sharon"] {
        photos.push(enroll_gallery(&app, &[person]));
        let enrolled = Instant::now();
        let deadline = enrolled + Duration::from_secs(30);
        loop {
            let text = b.scrape().await;
            let (index, database) = (
                index_of(&text).unwrap_or(0.0),
                sample(&text, "frdesk_gallery_templates", &[]).unwrap_or(0.0),
            );
            if index > before && index == database {
                before = index;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "B's gallery index did not follow the enrollment of {person} within 30 s: {text}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        delays.push(enrolled.elapsed());
    }
    eprintln!("gallery follow delay (enrollment beside A → in B's index): {delays:?}");

    // Cases 2–4, alternating between the instances. A's search worker is held, so B analyses
    // them.
    let mut cases = vec![(case1, "Gerhard_Schroeder")];
    for (n, person) in [(2, "Colin_Powell"), (3, "Tony_Blair"), (4, "Jean_Chretien")] {
        let (x, y) = if n % 2 == 0 { (&b, &a) } else { (&a, &b) };
        let id = submit(&on(&requester, x), photo(person, 2)).await;
        approve(&on(&reviewer, y), id).await;
        cases.push((id, person));
    }
    for (id, _) in &cases[1..] {
        wait_for("B to analyse cases 2–4", 60, || {
            matches!(case_jobs(&app, *id, "search").as_slice(), [(_, st, 1, 1, Some(_))] if st == "done")
        })
        .await;
    }
    let b_search_worker = case_jobs(&app, cases[1].0, "search")[0].4.clone().unwrap();
    assert_ne!(b_search_worker, a_search_worker);
    assert_eq!(
        case_jobs(&app, case1, "search")[0].4.as_deref(),
        Some(a_search_worker.as_str()),
        "A still holds case 1's analysis"
    );

    // 2. kill -9 A while it holds the search job. B takes it over once A's lease lapses; A
    //    does not come back for that.
    let killed = Instant::now();
    a.kill9();
    wait_for("B to take over case 1's analysis", 60, || {
        matches!(case_jobs(&app, case1, "search").as_slice(), [(_, st, 2, 2, Some(_))] if st == "done")
    })
    .await;
    eprintln!(
        "search job taken over {:.1} s after the kill (lease {LEASE_SECONDS} s)",
        killed.elapsed().as_secs_f64()
    );
    assert_eq!(
        case_jobs(&app, case1, "search")[0].4.as_deref(),
        Some(b_search_worker.as_str()),
        "B completed it"
    );
    assert!(
        took_over(&b.log_text(), held_job, &a_search_worker),
        "B's log names the take-over: {}",
        b.log_text()
    );

    // Case 1 on B alone: the search runs on B against the subject enrolled beside A; the two
    // reviews conclude it and B's packet worker writes the packet and stops at the fail point.
    app.address = b.base.clone();
    let examiner = app.login("examiner@test.example").await;
    let examiner2 = app.login("examiner2@test.example").await;
    start_search_as(&on(&examiner, &b), &app, case1).await;
    let s = wait_until_finished(&app, case1).await;
    let gallery_head: i64 = {
        use frdesk::gallery::schema::gallery_log;
        let mut c = app.pool.get().unwrap();
        gallery_log::table
            .select(diesel::dsl::max(gallery_log::id))
            .first::<Option<i64>>(&mut c)
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        s[0].gallery_version,
        Some(gallery_head),
        "B searched the gallery as enrolled beside A"
    );
    let jobs1 = case_jobs(&app, case1, "search");
    assert_eq!(jobs1.len(), 2);
    assert_eq!(
        jobs1[1].4.as_deref(),
        Some(b_search_worker.as_str()),
        "the search ran on B"
    );
    examine(
        &app,
        &on(&examiner, &b),
        &on(&examiner2, &b),
        case1,
        "Gerhard_Schroeder",
    )
    .await;
    wait_for("B to claim case 1's packet job", 60, || {
        matches!(case_jobs(&app, case1, "packet").as_slice(), [(_, st, 1, 1, Some(_))] if st == "running")
    })
    .await;
    let packet_job = case_jobs(&app, case1, "packet")[0].clone();
    let b_packet_worker = packet_job.4.clone().unwrap();
    wait_for("B to write case 1's packet", 60, || {
        b.log_text().contains("Packet written")
    })
    .await;

    // 3. A comes back (A2, no fail points) while B holds the packet job under a live lease;
    //    then B is killed after writing the packet and before recording it. A2 takes the job
    //    over once B's lease lapses and issues the packet once.
    let a2 = start_instance("a2", &dir_a, &db_url, smtp_port, "").await;
    let row = &case_jobs(&app, case1, "packet")[0];
    assert_eq!((row.1.as_str(), row.3), ("running", 1), "B still holds it");
    let killed = Instant::now();
    b.kill9();
    wait_for("A2 to take over case 1's packet job", 60, || {
        matches!(case_jobs(&app, case1, "packet").as_slice(), [(_, st, 2, 2, Some(_))] if st == "done")
    })
    .await;
    eprintln!(
        "packet job taken over {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    assert!(
        took_over(&a2.log_text(), packet_job.0, &b_packet_worker),
        "A2's log names the take-over: {}",
        a2.log_text()
    );

    // 4. B comes back (B2); cases 2–4 go on with requests alternating between A2 and B2.
    let b2 = start_instance("b2", dir_b.path(), &db_url, smtp_port, "").await;
    for (i, (id, _)) in cases[1..].iter().enumerate() {
        let x = if i % 2 == 0 { &a2 } else { &b2 };
        start_search_as(&on(&examiner, x), &app, *id).await;
    }
    for (i, (id, person)) in cases[1..].iter().enumerate() {
        let (x, y) = if i % 2 == 0 { (&b2, &a2) } else { (&a2, &b2) };
        examine(&app, &on(&examiner, x), &on(&examiner2, y), *id, person).await;
    }
    for (id, _) in &cases {
        wait_for_packet(&app, *id).await;
    }

    // Every case completed exactly once.
    let result_rows = |app: &TestApp| -> Vec<OutboxMessage> {
        let mut c = app.pool.get().unwrap();
        outbox_messages::table
            .filter(outbox_messages::kind.eq("result_notice"))
            .order(outbox_messages::id.asc())
            .select(OutboxMessage::as_select())
            .load(&mut c)
            .unwrap()
    };
    wait_for("every result email to be sent", 120, || {
        let rows = result_rows(&app);
        rows.len() == cases.len() && rows.iter().all(|r| r.status == "sent")
    })
    .await;
    let rows = result_rows(&app);
    let received = smtp.messages();
    let mut by_id: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for m in &received {
        if let Some(id) = message_id_of(m) {
            by_id.entry(id).or_default().push(m);
        }
    }
    for (id, person) in &cases {
        let what = format!("case {id} ({person})");
        let search = case_jobs(&app, *id, "search");
        assert_eq!(search.len(), 2, "{what}: analysis and search: {search:?}");
        assert!(search.iter().all(|j| j.1 == "done"), "{what}: {search:?}");
        let s = searches(&app, *id);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].status.as_str(), "searched");
        assert_eq!(
            audit_count(&app, "search.run", Some(("image", &s[0].image_sha256))),
            1,
            "{what}"
        );
        let packet = case_jobs(&app, *id, "packet");
        assert_eq!(packet.len(), 1, "{what}: {packet:?}");
        assert_eq!(packet[0].1, "done");
        let recorded = {
            let mut c = app.pool.get().unwrap();
            frdesk::result::store::PacketRecord::for_case(&mut c, frdesk::domain::CaseId(*id))
                .unwrap()
        };
        assert_eq!(recorded.len(), 1, "{what}: exactly one packet row");
        assert_eq!(
            audit_count(&app, "packet.issue", Some(("case", &id.to_string()))),
            1,
            "{what}"
        );
        // One result email, received once, carrying the recorded packet.
        let mine: Vec<&OutboxMessage> = rows.iter().filter(|r| r.case_id == Some(*id)).collect();
        assert_eq!(mine.len(), 1, "{what}: one result email queued");
        let mid = frdesk::platform::mail::message_id(mine[0], "test.example");
        let got = by_id.get(&mid).cloned().unwrap_or_default();
        assert_eq!(got.len(), 1, "{what}: {mid} received once");
        let attached = attachments_of(got[0]);
        assert_eq!(attached.len(), 1, "{what}");
        assert_eq!(attached[0].0, recorded[0].file_name());
        assert_eq!(
            hex::encode(Sha256::digest(&attached[0].1)),
            recorded[0].file_sha256,
            "{what}: the email carries the recorded packet"
        );
    }
    // Case 1's take-overs left one of everything too.
    assert_eq!(case_jobs(&app, case1, "search")[0].2, 2);
    assert_eq!(case_jobs(&app, case1, "packet")[0].2, 2);

    // The daily audit check: both instances ran their daily workers (a pass each, seen in
    // their metrics), one of them claimed the day and checked the chain once.
    let mut ran = [false, false];
    let deadline = Instant::now() + Duration::from_secs(180);
    while ran != [true, true] {
        for (i, inst) in [&a2, &b2].iter().enumerate() {
            let text = inst.scrape().await;
            ran[i] = sample(
                &text,
                "frdesk_worker_pass_duration_seconds_count",
                &["worker=\"daily audit check\""],
            )
            .is_some_and(|n| n >= 1.0);
        }
        assert!(
            Instant::now() < deadline,
            "both instances' daily audit check should have passed: {ran:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_for("the day's audit check to finish", 60, || {
        let mut c = app.pool.get().unwrap();
        daily_runs::table
            .filter(daily_runs::task.eq("audit_check"))
            .filter(daily_runs::finished_at.is_not_null())
            .count()
            .get_result::<i64>(&mut c)
            .unwrap()
            >= 1
    })
    .await;
    let runs: Vec<(String, String, String)> = {
        let mut c = app.pool.get().unwrap();
        daily_runs::table
            .select((daily_runs::task, daily_runs::day, daily_runs::instance))
            .load(&mut c)
            .unwrap()
    };
    let checks: Vec<_> = runs.iter().filter(|r| r.0 == "audit_check").collect();
    assert_eq!(checks.len(), 1, "one audit check a day: {runs:?}");
    let daily_checks = {
        let mut c = app.pool.get().unwrap();
        audit_records::table
            .filter(audit_records::action.eq("audit.verify"))
            .filter(audit_records::details.like("daily check:%"))
            .count()
            .get_result::<i64>(&mut c)
            .unwrap()
    };
    assert_eq!(
        daily_checks, 1,
        "the chain was checked once, by one instance"
    );
    assert_eq!(audit_count(&app, "audit.sign_head", None), 1);

    // An instance with another session key is refused and says which key.
    let dir_c = tempfile::tempdir().unwrap();
    copy_keys(&dir_a, dir_c.path(), false);
    let mut c = start_refused(dir_c.path(), &db_url, smtp_port);
    let status = wait_exit(&mut c.child, 120);
    let err = c.log_text();
    assert!(
        status.is_some_and(|s| !s.success()),
        "an instance with its own session key must not start: {err}"
    );
    assert!(
        err.contains("session key (session.key)") && err.contains("is not the desk's"),
        "{err}"
    );

    // The audit trail, written by four processes, verifies.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frdesk"));
    desk_env(&mut cmd, &dir_a, &db_url, smtp_port);
    let o = cmd.args(["audit", "verify", "--json"]).output().unwrap();
    assert!(
        o.status.success(),
        "frdesk audit verify: {} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!(
        "two instances: {} cases in {:.0} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    drop((a2, b2, photos));
}

/// Waits (bounded) until `inst` answers `/ready` with 200: its face engine and gallery index
/// are loaded and current.
async fn wait_ready(http: &reqwest::Client, inst: &Instance) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = http.get(format!("{}/ready", inst.base)).send().await;
        if let Ok(r) = r
            && r.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "instance {} did not become ready: {}",
            inst.name,
            inst.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `frdesk serve` on `data_dir`, not waited for (it is expected to refuse to start).
fn start_refused(data_dir: &Path, db_url: &str, smtp_port: u16) -> Instance {
    let log = data_dir.join("refused.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frdesk"));
    desk_env(&mut cmd, data_dir, db_url, smtp_port);
    let child = cmd
        .arg("serve")
        .env("FRDESK_HTTP__BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Instance {
        name: "refused".into(),
        child,
        base: String::new(),
        metrics: String::new(),
        log,
    }
}

/// The exit status of `child` once it exits, waiting at most `secs` seconds (`None`: still
/// running).
fn wait_exit(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
