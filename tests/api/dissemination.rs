//! Issue 14 §2 (NY MPTC §IV.G, need to know): a result packet is marked LAW ENFORCEMENT
//! SENSITIVE on every page and in the email, goes by email only to the requester's account
//! address, is downloadable only by the requester, the agency's local administrators and the
//! service's staff, and every download and email is in the case's dissemination log (page and
//! CSV). A downloadable packet of a logically deleted case follows its approved access.

use std::process::Command;
use std::time::Duration;

use diesel::prelude::*;
use frdesk::domain::CaseId;
use frdesk::result::dissemination::Dissemination;
use frdesk::result::store::PacketRecord;

use crate::deleted_access::new_user;
use crate::helpers::*;
use crate::mail::{free_port, start_smtp};
use crate::search::{enroll_gallery, review, searched_case};

fn pdftotext(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn log_of(app: &TestApp, case_id: i64) -> Vec<Dissemination> {
    let mut c = app.pool.get().unwrap();
    Dissemination::for_case(&mut c, CaseId(case_id))
        .unwrap()
        .into_iter()
        .map(|v| v.row)
        .collect()
}

async fn wait_for_packet(app: &TestApp, case_id: i64) -> PacketRecord {
    for _ in 0..600 {
        let mut c = app.pool.get().unwrap();
        if let Some(p) = PacketRecord::for_case(&mut c, CaseId(case_id))
            .unwrap()
            .into_iter()
            .next()
        {
            return p;
        }
        drop(c);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no packet for case {case_id}");
}

#[actix_web::test]
async fn packets_go_only_to_those_with_a_need_to_know_and_every_release_is_logged() {
    let port = free_port();
    let smtp = start_smtp(port).await;
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("FRDESK_MAIL__TRANSPORT", "smtp"),
        ("FRDESK_MAIL__SMTP_URL", &url),
    ])
    .await;
    new_user(&app, AGENCY_A, "requester2.a@test.example", "requester");
    let _photos = enroll_gallery(&app, &["Colin_Powell", "George_W_Bush", "Tony_Blair"]);
    let (case_id, ps) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    assert_eq!(review(&e1, &url, &ranks, &[], "first").await.status(), 303);
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(review(&e2, &url, &ranks, &[], "second").await.status(), 303);
    let packet = wait_for_packet(&app, case_id).await;
    let file = app.data_dir.path().join("packets").join(packet.file_name());
    let (requester_id, search_reason) = {
        let mut c = app.pool.get().unwrap();
        let case = frdesk::cases::store::Case::find(&mut c, CaseId(case_id))
            .unwrap()
            .unwrap();
        (case.requester_id, case.search_reason)
    };

    // LAW ENFORCEMENT SENSITIVE on every page, on its own line (not over the lead-only banner).
    let text = pdftotext(&file);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(!pages.is_empty());
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.matches("LAW ENFORCEMENT SENSITIVE").count() >= 2,
            "page {} lacks the marking at top and bottom:\n{page}",
            i + 1
        );
        assert!(page.contains("INVESTIGATIVE LEAD ONLY"), "page {}", i + 1);
        for line in page.lines() {
            assert!(
                !(line.contains("SENSITIVE") && line.contains("INVESTIGATIVE")),
                "marking overlaps the banner: {line}"
            );
            assert!(
                !(line.contains("SENSITIVE") && line.contains("Page ")),
                "marking overlaps the footer: {line}"
            );
        }
    }

    // The email goes to the requester's account address only, marked, with the packet.
    let mut mails = Vec::new();
    for _ in 0..200 {
        mails = smtp
            .messages()
            .into_iter()
            .filter(|m| m.contains(&packet.packet_id) && m.contains("Face search result"))
            .collect();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one result email");
    let mail = &mails[0];
    let rcpt: Vec<&str> = mail
        .lines()
        .filter(|l| l.starts_with("X-RcptTo:") || l.starts_with("To:") || l.starts_with("Cc:"))
        .collect();
    assert!(!rcpt.is_empty(), "{mail}");
    for l in &rcpt {
        let addrs = l.split_once(':').unwrap().1.trim();
        assert_eq!(addrs, "requester.a@test.example", "recipient list: {l}");
    }
    assert!(mail.contains("LAW ENFORCEMENT SENSITIVE"), "{mail}");
    {
        use frdesk::platform::db::schema::outbox_messages;
        let mut c = app.pool.get().unwrap();
        let to: Vec<String> = outbox_messages::table
            .filter(outbox_messages::case_id.eq(case_id))
            .filter(outbox_messages::attachment_path.is_not_null())
            .select(outbox_messages::to_addr)
            .load(&mut c)
            .unwrap();
        assert_eq!(to, vec!["requester.a@test.example".to_string()]);
    }

    // The email is in the dissemination log: recipient, packet hash, reason, outbox row.
    let log = log_of(&app, case_id);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].channel, "email");
    assert_eq!(log[0].recipient_user_id, Some(requester_id));
    assert_eq!(
        log[0].recipient_address.as_deref(),
        Some("requester.a@test.example")
    );
    assert_eq!(log[0].packet_id, packet.packet_id);
    assert_eq!(log[0].packet_sha256, packet.file_sha256);
    assert_eq!(log[0].purpose, search_reason);
    assert!(log[0].outbox_id.is_some());

    // Another requester of the same agency sees the case but not the packet: 403, audited.
    let dl = format!("/cases/{case_id}/packets/{}", packet.file_name());
    let other = app.login("requester2.a@test.example").await;
    let (status, page) = other.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&packet.packet_id));
    assert!(
        !page.contains(&dl),
        "link shown to a user without a need to know"
    );
    assert!(!page.contains("Dissemination log"));
    assert_eq!(other.get(&dl).await.status().as_u16(), 403);
    assert!(app.audit().iter().any(|r| r.action == "packet.download"
        && r.outcome == "denied"
        && r.user_email == "requester2.a@test.example"));
    assert_eq!(
        other
            .get(&format!("/cases/{case_id}/disseminations.csv"))
            .await
            .status()
            .as_u16(),
        404
    );

    // The requester, the agency's local administrator and a service reviewer download it.
    for email in [
        "requester.a@test.example",
        "admin.a@test.example",
        "reviewer@test.example",
    ] {
        let c = app.login(email).await;
        let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
        assert!(page.contains(&dl), "{email} sees no link");
        let r = c.get(&dl).await;
        assert_eq!(r.status().as_u16(), 200, "{email}");
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            std::fs::read(&file).unwrap()
        );
    }
    let log = log_of(&app, case_id);
    let downloads: Vec<_> = log.iter().filter(|d| d.channel == "download").collect();
    assert_eq!(downloads.len(), 3);
    assert_eq!(
        downloads[0].recipient_address.as_deref(),
        Some("requester.a@test.example")
    );
    assert_eq!(downloads[0].recipient_user_id, Some(requester_id));
    assert_eq!(
        downloads[2].recipient_address.as_deref(),
        Some("reviewer@test.example")
    );
    assert!(
        downloads
            .iter()
            .all(|d| d.purpose == search_reason && d.packet_sha256 == packet.file_sha256)
    );

    // The log on the case page (agency local admin, service staff) and as CSV; the requester
    // sees neither.
    let admin = app.login("admin.a@test.example").await;
    let (_, page) = admin.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Dissemination log"), "{page}");
    assert!(page.contains("reviewer@test.example"));
    let r = admin
        .get(&format!("/cases/{case_id}/disseminations.csv"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("case,time_utc,channel,packet_id"),
        "{csv}"
    );
    assert_eq!(lines.len(), 1 + 4, "{csv}");
    assert!(lines[1].contains(",email,") && lines[1].contains("requester.a@test.example"));
    assert!(csv.contains(&packet.file_sha256));
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "dissemination.export"
                && r.outcome == "success"
                && r.user_email == "admin.a@test.example")
    );
    let requester = app.login("requester.a@test.example").await;
    let (_, page) = requester.get_text(&format!("/cases/{case_id}")).await;
    assert!(!page.contains("Dissemination log"));
    let reviewer = app.login("reviewer@test.example").await;
    let (_, page) = reviewer.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("Dissemination log"));
}
