//! Mail: a transactional outbox and one sender.
//!
//! A message is rendered from `templates/email/<name>/{subject.txt,body.txt,body.html}` and
//! stored in `outbox_messages` inside the transaction of the action that caused it, so it exists
//! exactly when the action committed. A background sender delivers due messages through the
//! configured transport (`file`: `.eml` files in `<data_dir>/outbox`; `smtp`) and retries with
//! backoff while the server is down. Several instances may run senders on one database: each
//! message is claimed under a lease for its send ([`outbox`]), so one sender sends it. Each
//! message carries a stable `Message-ID` derived from its outbox row alone ([`message_id`]), so
//! a resend — by another instance, after a sender died between the server's acceptance and the
//! commit — carries the same one and can be recognised by the receiver.

pub mod outbox;
pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, header};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailTransportKind, Settings};
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::jobs::lease::LeaseKeeper;
use crate::platform::mail::outbox::{NewOutboxMessage, OutboxMessage};
use crate::platform::storage::Storage;
use crate::platform::time::now;

/// A rendered email ready for the outbox.
#[derive(Debug, Clone)]
pub struct Email {
    pub kind: &'static str,
    pub to: String,
    pub case_id: Option<i64>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An optional file sent with the message (e.g. the signed result packet).
    pub attachment: Option<Attachment>,
}

/// A file attached to an email; the bytes are read when the message is sent.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// File name shown to the recipient, e.g. `LACRIS-2026-000001-P1.pdf`.
    pub name: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Path relative to `data_dir` (files there are immutable once written).
    pub path: String,
}

/// Stores an email in the outbox. Call inside the action's transaction.
pub fn enqueue(conn: &mut DbConnection, email: &Email) -> diesel::QueryResult<()> {
    enqueue_with_id(conn, email).map(|_| ())
}

/// [`enqueue`], returning the outbox message's id (for logs that point at the delivery, such as
/// the dissemination log).
pub fn enqueue_with_id(conn: &mut DbConnection, email: &Email) -> diesel::QueryResult<i64> {
    let at = now();
    OutboxMessage::insert(
        conn,
        &NewOutboxMessage {
            kind: email.kind.to_string(),
            case_id: email.case_id,
            to_addr: email.to.clone(),
            subject: email.subject.clone(),
            body_text: email.text.clone(),
            body_html: email.html.clone(),
            status: "queued".into(),
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
            attachment_name: email.attachment.as_ref().map(|a| a.name.clone()),
            attachment_type: email.attachment.as_ref().map(|a| a.content_type.clone()),
            attachment_path: email.attachment.as_ref().map(|a| a.path.clone()),
        },
    )
}

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Keeps messages in memory (unit tests of rendering only).
    Memory(Arc<std::sync::Mutex<Vec<Message>>>),
}

impl Transport {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Transport> {
        Ok(match s.mail.transport {
            MailTransportKind::File => {
                let dir = s.outbox_dir();
                std::fs::create_dir_all(&dir).with_context(|| {
                    format!("Failed to create the outbox folder {}", dir.display())
                })?;
                Transport::File(AsyncFileTransport::new(dir))
            }
            MailTransportKind::Smtp => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.mail.smtp_url)
                    .context("Invalid mail.smtp_url")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
        })
    }

    async fn send(&self, msg: Message) -> anyhow::Result<()> {
        match self {
            Transport::File(t) => t
                .send(msg)
                .await
                .map(|_| ())
                .context("Failed to write the message file"),
            Transport::Smtp(t) => t
                .send(msg)
                .await
                .map(|_| ())
                .context("SMTP delivery failed"),
            Transport::Memory(v) => {
                v.lock()
                    .map_err(|_| anyhow::anyhow!("mailbox poisoned"))?
                    .push(msg);
                Ok(())
            }
        }
    }
}

/// Builds the MIME message for an outbox row; an attachment is read from the desk's file store
/// (its path is relative to `data_dir`).
///
/// Errors when the recipient is not an address or the attachment cannot be read (the message
/// then stays queued and is retried, never sent without its attachment).
pub fn build_message(
    from: &Mailbox,
    row: &OutboxMessage,
    files: &Storage,
) -> anyhow::Result<Message> {
    let to: Mailbox = row
        .to_addr
        .parse()
        .with_context(|| format!("Bad recipient address in outbox message {}", row.id))?;
    let domain = from.email.domain().to_string();
    let body = MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone());
    let body = match (&row.attachment_path, &row.attachment_name) {
        (Some(rel), Some(name)) => {
            crate::platform::storage::checked_path(rel)
                .with_context(|| format!("Outbox message {}: bad attachment path {rel}", row.id))?;
            let bytes = files
                .get(rel)
                .with_context(|| format!("Failed to read the attachment {rel}"))?
                .with_context(|| format!("The attachment {} is missing", files.describe(rel)))?;
            let ctype = header::ContentType::parse(
                row.attachment_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
            )
            .context("Bad attachment content type")?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(LettreAttachment::new(name.clone()).body(bytes, ctype))
        }
        _ => body,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(row, &domain)))
        .header(header::Date::new(std::time::SystemTime::now()))
        .multipart(body)
        .context("Failed to build the message")
}

/// The `Message-ID` of an outbox row: `<frdesk-outbox-{id}.{created}@{domain}>`, `created`
/// being the row's `created_at` in microseconds since 1970 (UTC) and `domain` the sender
/// address's. The same for every attempt and every instance; the creation time keeps it unique
/// when ids start over (a database restored from a backup reuses the ids issued after it).
pub fn message_id(row: &OutboxMessage, domain: &str) -> String {
    format!(
        "<frdesk-outbox-{}.{}@{}>",
        row.id,
        row.created_at.and_utc().timestamp_micros(),
        domain
    )
}

/// Delay before the next attempt after `attempts` failures: `base_secs` doubling per attempt,
/// capped at 15 minutes (`mail.retry_base_seconds`, default 10).
pub fn backoff(attempts: i32, base_secs: u32) -> chrono::Duration {
    let secs = i64::from(base_secs.max(1))
        .saturating_mul(1i64 << (attempts - 1).clamp(0, 10))
        .min(900);
    chrono::Duration::seconds(secs)
}

/// Attempts after which a message is marked failed (and shown so on the case).
pub const MAX_ATTEMPTS: i32 = 50;

/// Most messages one [`deliver_due`] call sends before it returns (the worker runs again at
/// once when there were that many).
pub const BATCH: usize = 50;

/// Delivers due messages, one claimed message at a time (at most [`BATCH`]); returns how many
/// were sent. Each message is claimed under a lease of `lease`
/// ([`OutboxMessage::claim_next`]) renewed while the transport sends it, then marked sent, or
/// retrying after a delay of [`backoff`] (`retry_base_secs` doubling), under that claim only.
///
/// Errors: the database's (a failed send is not an error: the message is retried later).
pub async fn deliver_due(
    pool: &DbPool,
    transport: &Transport,
    from: &Mailbox,
    files: &Storage,
    retry_base_secs: u32,
    lease: Duration,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    for _ in 0..BATCH {
        let Some(row) = crate::platform::db::run(pool, move |c| {
            OutboxMessage::claim_next(c, lease).map_err(anyhow::Error::from)
        })
        .await?
        else {
            break;
        };
        let (id, epoch) = (row.id, row.lease_epoch);
        let keeper = LeaseKeeper::start(pool.clone(), lease, "outbox", id, move |c| {
            OutboxMessage::renew(c, id, epoch, lease)
        });
        let built = {
            let (from, row, files) = (from.clone(), row.clone(), files.clone());
            tokio::task::spawn_blocking(move || build_message(&from, &row, &files))
                .await
                .map_err(|e| anyhow::anyhow!("The message-building task failed: {e}"))
                .and_then(|r| r)
        };
        let result = match built {
            Ok(msg) => transport.send(msg).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                let recorded = crate::platform::db::run(pool, move |c| {
                    OutboxMessage::mark_sent(c, id, epoch, now()).map_err(anyhow::Error::from)
                })
                .await?;
                if recorded {
                    tracing::info!(outbox_id = id, kind = %row.kind, "Mail delivered");
                } else {
                    tracing::warn!(
                        outbox_id = id,
                        lease_epoch = epoch,
                        "Mail delivered, but another sender had taken the message over (this claim's lease lapsed): it may arrive twice, with the same Message-ID"
                    );
                }
                sent += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                let give_up = attempts >= MAX_ATTEMPTS;
                let next = now() + backoff(attempts, retry_base_secs);
                let msg = format!("{e:#}");
                tracing::warn!(outbox_id = id, attempts, error = %msg, "Mail delivery failed; will retry");
                crate::platform::db::run(pool, move |c| {
                    OutboxMessage::mark_retry(c, id, epoch, &msg, next, give_up)
                        .map_err(anyhow::Error::from)
                })
                .await?;
            }
        }
        drop(keeper);
    }
    Ok(sent)
}

/// The outbox sender: delivers due messages, retrying failures with growing delays.
pub struct OutboxSender {
    pub pool: DbPool,
    pub transport: Transport,
    pub from: Mailbox,
    /// Where attachments are read from (packets).
    pub files: Storage,
    /// Longest wait between passes when nobody wakes the sender.
    pub interval: Duration,
    /// First retry delay in seconds (doubled per attempt).
    pub retry_base_secs: u32,
    /// Lease under which a message is held while it is sent (`jobs.lease_seconds`).
    pub lease: Duration,
}

impl crate::platform::jobs::runner::Worker for OutboxSender {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let sent = deliver_due(
            &self.pool,
            &self.transport,
            &self.from,
            &self.files,
            self.retry_base_secs,
            self.lease,
        )
        .await?;
        Ok(sent >= BATCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, created_at: chrono::NaiveDateTime) -> OutboxMessage {
        OutboxMessage {
            id,
            kind: "request_received".into(),
            case_id: None,
            to_addr: "someone@agency.example".into(),
            subject: "Subject".into(),
            body_text: "Text".into(),
            body_html: "<p>Text</p>".into(),
            status: "queued".into(),
            attempts: 0,
            last_error: None,
            next_attempt_at: created_at,
            created_at,
            sent_at: None,
            attachment_name: None,
            attachment_type: None,
            attachment_path: None,
            lease_until: None,
            lease_epoch: 0,
        }
    }

    fn header_of(msg: &Message) -> String {
        let text = String::from_utf8(msg.formatted()).unwrap();
        text.lines()
            .find(|l| l.starts_with("Message-ID: "))
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_message_id_comes_from_the_row_alone() {
        let from: Mailbox = "Desk <frdesk@desk.example>".parse().unwrap();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_micro_opt(10, 11, 12, 123_456)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut r = row(42, at);
        let first = build_message(&from, &r, &Storage::filesystem(dir.path())).unwrap();
        // Another attempt, by another sender, under a later claim: the same Message-ID.
        r.attempts = 3;
        r.status = "retrying".into();
        r.lease_epoch = 4;
        let again = build_message(&from, &r, &Storage::filesystem(dir.path())).unwrap();
        assert_eq!(header_of(&first), header_of(&again));
        assert_eq!(
            header_of(&first),
            format!(
                "Message-ID: <frdesk-outbox-42.{}@desk.example>",
                at.and_utc().timestamp_micros()
            )
        );
        // The same id issued again after a restore (another creation time): another Message-ID.
        let reused = row(42, at + chrono::Duration::seconds(5));
        assert_ne!(
            header_of(&build_message(&from, &reused, &Storage::filesystem(dir.path())).unwrap()),
            header_of(&first)
        );
    }
}
