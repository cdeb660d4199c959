//! Several instances on one database (issue 18): jobs and outbox messages are held under
//! leases. A job with a live lease is not taken — not by another instance's workers, and not by
//! an instance starting up; once the lease lapses another instance takes it over under a higher
//! epoch, and the old holder can no longer complete it. Concurrent claimers take each job once
//! (on PostgreSQL with `FOR UPDATE SKIP LOCKED`), and two mail senders deliver each outbox
//! message once to a real SMTP server, with the Message-ID derived from the row.
//!
//! Runs on SQLite, and on PostgreSQL when `FRDESK_TEST_PG` is set.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use diesel::prelude::*;
use frdesk::platform::db::DbConnection;
use frdesk::platform::db::schema::{jobs as jobs_t, outbox_messages};
use frdesk::platform::jobs::{self, Job, JobState, lease};
use frdesk::platform::mail::outbox::OutboxMessage;

use crate::helpers::*;
use crate::mail::{free_port, start_smtp};

const LONG: Duration = Duration::from_secs(600);

/// A packet job's payload for a case that does not exist: every attempt fails at once ("Case
/// not found"), so the workers run through it quickly and give up after three attempts.
const NO_CASE: &str = r#"{"case_id": 999999999, "reason": "lease test", "issued_by": null}"#;

fn job_row(c: &mut DbConnection, id: i64) -> Job {
    jobs_t::table
        .find(id)
        .select(Job::as_select())
        .first(c)
        .unwrap()
}

fn job_id(c: &mut DbConnection, key: &str) -> i64 {
    jobs_t::table
        .filter(jobs_t::dedupe_key.eq(key))
        .select(jobs_t::id)
        .first(c)
        .unwrap()
}

/// Waits (bounded, ~60 s) until `ok` holds.
async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..600 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Queues a packet job that fails, and waits until the instances' packet workers gave it up:
/// by then they have passed over every older claimable job (claims go oldest first).
async fn run_a_failing_job_through(app: &TestApp, key: &str) {
    let mut c = app.pool.get().unwrap();
    assert!(jobs::enqueue(&mut c, "packet", None, key, NO_CASE).unwrap());
    let id = job_id(&mut c, key);
    drop(c);
    wait_until(&format!("job {key} to be given up"), || {
        let mut c = app.pool.get().unwrap();
        job_row(&mut c, id).status == JobState::Failed
    })
    .await;
}

#[actix_web::test]
async fn a_live_lease_is_not_taken_by_another_instance_and_a_lapsed_one_passes_on_once() {
    let app = spawn_app().await;
    let mut c = app.pool.get().unwrap();
    // Instance A works on a job: queued and claimed in one transaction (no worker of the
    // running instance can take it first), its lease renewed by a keeper.
    let lease = Duration::from_secs(2);
    let held = frdesk::platform::db::write_tx(&mut c, |c| -> diesel::QueryResult<Option<Job>> {
        jobs::enqueue(c, "packet", None, "lease:held", NO_CASE)?;
        jobs::claim(c, &["packet"], "instance-a", lease)
    })
    .unwrap()
    .unwrap();
    assert_eq!((held.lease_epoch, held.attempts), (1, 1));
    let first_end = held.lease_until.unwrap();
    let keeper = jobs::keep_lease(&app.pool, &held, lease);

    // A second instance starts on the same database while A works: it leaves the job alone.
    let _second = app.start_again(&[]).await;
    let row = job_row(&mut c, held.id);
    assert_eq!(row.status, JobState::Running);
    assert_eq!(row.lease_epoch, 1);
    assert_eq!(row.claimed_by.as_deref(), Some("instance-a"));

    // Both instances' workers pass over it — also after the first lease's end (A renewed it).
    run_a_failing_job_through(&app, "lease:probe-1").await;
    wait_until("the first lease's end to pass", || {
        let mut c = app.pool.get().unwrap();
        lease::lease_clock(&mut c).unwrap() > first_end + chrono::Duration::milliseconds(200)
    })
    .await;
    run_a_failing_job_through(&app, "lease:probe-2").await;
    let row = job_row(&mut c, held.id);
    assert_eq!(row.status, JobState::Running, "A still holds its job");
    assert_eq!(row.lease_epoch, 1);
    assert_eq!(row.claimed_by.as_deref(), Some("instance-a"));
    assert!(row.lease_until.unwrap() > first_end, "A's keeper renewed");
    assert!(
        jobs::claim(&mut c, &["packet"], "instance-c", LONG)
            .unwrap()
            .is_none(),
        "a live lease is not claimable"
    );

    // A dies (its keeper stops): once the lease lapses an instance takes the job over, under
    // a higher epoch (it fails three times here, as its case does not exist).
    drop(keeper);
    wait_until("the lapsed job to be taken over and run", || {
        let mut c = app.pool.get().unwrap();
        job_row(&mut c, held.id).status == JobState::Failed
    })
    .await;
    let row = job_row(&mut c, held.id);
    assert_eq!((row.lease_epoch, row.attempts), (3, 3));
    assert_ne!(row.claimed_by.as_deref(), Some("instance-a"));
    // A, revived, can neither complete nor renew; nothing changes.
    assert!(!jobs::complete(&mut c, &held, "late").unwrap());
    assert!(!jobs::fail(&mut c, &held, "late").unwrap());
    assert!(!jobs::renew(&mut c, held.id, held.lease_epoch, LONG).unwrap());
    let after = job_row(&mut c, held.id);
    assert_eq!(after.status, JobState::Failed);
    assert_eq!(after.result, None);
    assert_eq!(after.lease_epoch, 3);
}

#[actix_web::test]
async fn after_a_lapse_the_new_holder_completes_and_the_old_one_cannot() {
    // The queue alone, on this backend (no server: no worker competes).
    let app = prepare_app();
    let mut c = app.pool.get().unwrap();
    jobs::enqueue(&mut c, "lease-test", None, "lease:lapse", "{}").unwrap();
    let first = jobs::claim(&mut c, &["lease-test"], "w1", Duration::from_millis(500))
        .unwrap()
        .unwrap();
    assert!(
        jobs::claim(&mut c, &["lease-test"], "w2", LONG)
            .unwrap()
            .is_none(),
        "live: not claimed by a second claimer"
    );
    let mut second = None;
    for _ in 0..200 {
        second = jobs::claim(&mut c, &["lease-test"], "w2", LONG).unwrap();
        if second.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let second = second.expect("the lapsed lease passes the job on");
    assert_eq!(second.id, first.id);
    assert_eq!((second.lease_epoch, second.attempts), (2, 2));
    assert!(!jobs::complete(&mut c, &first, "stale").unwrap());
    let row = job_row(&mut c, first.id);
    assert_eq!(row.status, JobState::Running);
    assert_eq!(row.claimed_by.as_deref(), Some("w2"));
    assert_eq!(row.result, None);
    assert!(jobs::complete(&mut c, &second, "ok").unwrap());
    assert!(!jobs::complete(&mut c, &second, "again").unwrap());
    assert_eq!(job_row(&mut c, first.id).result.as_deref(), Some("ok"));
}

#[actix_web::test]
async fn concurrent_claimers_take_each_job_once() {
    let app = prepare_app();
    let mut c = app.pool.get().unwrap();
    let n = 40;
    for i in 0..n {
        jobs::enqueue(&mut c, "lease-test", None, &format!("lease:many:{i}"), "{}").unwrap();
    }
    drop(c);
    let claimers: Vec<_> = (0..4)
        .map(|w| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut c = pool.get().unwrap();
                let mut mine = Vec::new();
                while let Some(j) =
                    jobs::claim(&mut c, &["lease-test"], &format!("w{w}"), LONG).unwrap()
                {
                    assert!(jobs::complete(&mut c, &j, "ok").unwrap());
                    mine.push(j.id);
                }
                mine
            })
        })
        .collect();
    let all: Vec<i64> = claimers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), n, "each job claimed once: {all:?}");
    assert_eq!(distinct.len(), n);
    let mut c = app.pool.get().unwrap();
    let epochs: Vec<(String, i64)> = jobs_t::table
        .filter(jobs_t::kind.eq("lease-test"))
        .select((jobs_t::status, jobs_t::lease_epoch))
        .load(&mut c)
        .unwrap();
    assert!(
        epochs.iter().all(|(s, e)| s == "done" && *e == 1),
        "{epochs:?}"
    );
}

fn smtp_transport(port: u16) -> frdesk::platform::mail::Transport {
    frdesk::platform::mail::Transport::Smtp(
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&format!(
            "smtp://127.0.0.1:{port}"
        ))
        .unwrap()
        .build(),
    )
}

fn queue_mail(app: &TestApp, n: usize) {
    let mut c = app.pool.get().unwrap();
    for i in 0..n {
        frdesk::platform::mail::enqueue(
            &mut c,
            &frdesk::platform::mail::Email {
                kind: "lease_test",
                to: format!("person{i}@agency.example"),
                case_id: None,
                subject: format!("Lease test {i}"),
                text: format!("Message {i}"),
                html: format!("<p>Message {i}</p>"),
                attachment: None,
            },
        )
        .unwrap();
    }
}

fn pending_rows(app: &TestApp) -> Vec<OutboxMessage> {
    let mut c = app.pool.get().unwrap();
    outbox_messages::table
        .filter(outbox_messages::status.eq_any(["queued", "retrying"]))
        .order(outbox_messages::id.asc())
        .select(OutboxMessage::as_select())
        .load(&mut c)
        .unwrap()
}

fn message_ids(mails: &[String]) -> Vec<String> {
    mails
        .iter()
        .map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_else(|| panic!("no Message-ID in {m}"))
                .trim()
                .to_string()
        })
        .collect()
}

const FROM: &str = "Face Search Desk <frdesk@test.example>";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_senders_send_each_outbox_message_once() {
    let app = prepare_app();
    let port = free_port();
    let smtp = start_smtp(port).await;
    queue_mail(&app, 12);
    let due = pending_rows(&app);
    assert!(due.len() >= 12);
    let from: lettre::message::Mailbox = FROM.parse().unwrap();
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (pool, from, dir) = (
                app.pool.clone(),
                from.clone(),
                frdesk::platform::storage::Storage::filesystem(app.data_dir.path()),
            );
            let transport = smtp_transport(port);
            tokio::spawn(async move {
                frdesk::platform::mail::deliver_due(&pool, &transport, &from, &dir, 1, LONG)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut sent = 0;
    for s in senders {
        sent += s.await.unwrap();
    }
    // Both senders have returned: the server has answered every message they sent.
    assert_eq!(sent, due.len(), "every due message sent once between them");
    let mails = smtp.messages();
    assert_eq!(
        mails.len(),
        due.len(),
        "no message reached the server twice"
    );
    let got: BTreeSet<String> = message_ids(&mails).into_iter().collect();
    let want: BTreeSet<String> = due
        .iter()
        .map(|r| frdesk::platform::mail::message_id(r, "test.example"))
        .collect();
    assert_eq!(got, want, "each Message-ID is the row's");
    let mut c = app.pool.get().unwrap();
    let rows: Vec<(String, i32, i64)> = outbox_messages::table
        .select((
            outbox_messages::status,
            outbox_messages::attempts,
            outbox_messages::lease_epoch,
        ))
        .load(&mut c)
        .unwrap();
    assert!(
        rows.iter()
            .all(|(s, a, e)| s == "sent" && *a == 1 && *e == 1),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_under_a_live_lease_waits_and_a_lapsed_sender_cannot_record() {
    let app = prepare_app();
    let port = free_port();
    let smtp = start_smtp(port).await;
    queue_mail(&app, 1);
    let from: lettre::message::Mailbox = FROM.parse().unwrap();
    let dir = frdesk::platform::storage::Storage::filesystem(app.data_dir.path());
    let transport = smtp_transport(port);
    // Sender A claims every due message and dies before sending (no keeper renews its leases).
    let mut held = Vec::new();
    {
        let mut c = app.pool.get().unwrap();
        while let Some(m) = OutboxMessage::claim_next(&mut c, Duration::from_secs(2)).unwrap() {
            held.push(m);
        }
    }
    assert!(!held.is_empty());
    assert!(held.iter().all(|m| m.lease_epoch == 1));
    // Sender B finds nothing to send while A's leases are live…
    let sent = frdesk::platform::mail::deliver_due(&app.pool, &transport, &from, &dir, 1, LONG)
        .await
        .unwrap();
    assert_eq!(sent, 0, "live leases are not taken");
    assert!(smtp.messages().is_empty());
    // …and sends each once they lapsed.
    let mut sent = 0;
    for _ in 0..100 {
        sent += frdesk::platform::mail::deliver_due(&app.pool, &transport, &from, &dir, 1, LONG)
            .await
            .unwrap();
        if sent >= held.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, held.len());
    let mails = smtp.messages();
    assert_eq!(mails.len(), held.len());
    let mut c = app.pool.get().unwrap();
    for m in &held {
        // A, revived, cannot record its outcome: B's claim (epoch 2) recorded it.
        assert!(!OutboxMessage::mark_sent(&mut c, m.id, m.lease_epoch, m.created_at).unwrap());
        assert!(
            !OutboxMessage::mark_retry(&mut c, m.id, m.lease_epoch, "late", m.created_at, false)
                .unwrap()
        );
        assert!(!OutboxMessage::renew(&mut c, m.id, m.lease_epoch, LONG).unwrap());
        let row: (String, i32, i64) = outbox_messages::table
            .find(m.id)
            .select((
                outbox_messages::status,
                outbox_messages::attempts,
                outbox_messages::lease_epoch,
            ))
            .first(&mut c)
            .unwrap();
        assert_eq!(row, ("sent".to_string(), 1, 2));
    }
    // The Message-ID a resend would carry is the row's, whoever sends it.
    let ids: BTreeSet<String> = message_ids(&mails).into_iter().collect();
    let want: BTreeSet<String> = held
        .iter()
        .map(|r| frdesk::platform::mail::message_id(r, "test.example"))
        .collect();
    assert_eq!(ids, want);
}
