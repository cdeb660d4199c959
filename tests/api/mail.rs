//! Mail through a real SMTP server on loopback (aiosmtpd from PyPI, installed by script/setup
//! into .venv): delivery, and delivery after the server was down.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::*;

pub(crate) struct SmtpServer {
    child: Child,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv_python() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run script/setup (it installs aiosmtpd)",
        p.display()
    );
    p
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn start_smtp(port: u16) -> SmtpServer {
    let maildir = tempfile::tempdir().unwrap();
    let child = Command::new(venv_python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let server = SmtpServer { child, maildir };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("aiosmtpd did not start on port {port}");
}

impl SmtpServer {
    pub(crate) fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail/new");
        let Ok(rd) = std::fs::read_dir(dir) else {
            return vec![];
        };
        rd.flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    }
    pub(crate) async fn wait_for(&self, n: usize, secs: u64) -> Vec<String> {
        for _ in 0..secs * 10 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
    /// Every message received, once one of them contains `needle` (or after `secs`): other
    /// mail, such as staff notifications, may arrive in any order around it.
    pub(crate) async fn wait_for_one(&self, needle: &str, secs: u64) -> Vec<String> {
        for _ in 0..secs * 10 {
            let m = self.messages();
            if m.iter().any(|x| x.contains(needle)) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

#[actix_web::test]
async fn the_acknowledgement_arrives_at_a_real_smtp_server() {
    let port = free_port();
    let smtp = start_smtp(port).await;
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("FRDESK_MAIL__TRANSPORT", "smtp"),
        ("FRDESK_MAIL__SMTP_URL", &url),
    ])
    .await;
    let c = app.login("requester.a@test.example").await;
    let case_id = c.submit_valid_request().await;
    // The acknowledgement, and the reviewer's staff notification (issue 16).
    let mails: Vec<String> = smtp
        .wait_for(2, 20)
        .await
        .into_iter()
        .filter(|m| m.contains("To: requester.a@test.example"))
        .collect();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.contains("To: requester.a@test.example"), "{m}");
    assert!(m.contains("Face search request received"));
    assert!(m.contains("multipart/alternative"));
    assert!(m.contains("text/html"));
    assert!(m.contains("Message-ID: <frdesk-outbox-"));
    assert!(m.contains("INVESTIGATIVE LEAD ONLY"));
    let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
    assert!(
        page.contains("sent 20"),
        "the case shows the message as sent"
    );
}

#[actix_web::test]
async fn mail_queued_while_the_server_is_down_arrives_once_when_it_returns() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("FRDESK_MAIL__TRANSPORT", "smtp"),
        ("FRDESK_MAIL__SMTP_URL", &url),
        ("FRDESK_MAIL__RETRY_BASE_SECONDS", "1"),
    ])
    .await;
    let c = app.login("requester.a@test.example").await;
    let case_id = c.submit_valid_request().await;
    // The server is down: the message stays in the outbox, marked for retry.
    let mut retrying = false;
    for _ in 0..50 {
        let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
        if page.contains("retrying") {
            retrying = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(retrying, "the case should show the message as retrying");
    // The server comes back.
    let smtp = start_smtp(port).await;
    // The acknowledgement, and the reviewer's staff notification (issue 16).
    let mails = smtp.wait_for(2, 30).await;
    assert_eq!(mails.len(), 2, "delivered after the server returned");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 2, "and only once");
    let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("sent 20"));
}
