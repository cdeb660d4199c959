//! Mail: a transactional outbox and one sender.
//!
//! A message is rendered from `templates/email/<name>/{subject.txt,body.txt,body.html}` and
//! stored in `outbox_messages` inside the transaction of the action that caused it, so it exists
//! exactly when the action committed. A background sender delivers due messages through the
//! configured transport (`file`: `.eml` files in `<data_dir>/outbox`; `smtp`) and retries with
//! backoff while the server is down. Each message carries a stable `Message-ID` derived from its
//! outbox id, so a resend after a crash can be recognised by the receiver.

pub mod outbox;
pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use std::path::{Path, PathBuf};

use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, header};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailTransportKind, Settings};
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::mail::outbox::{NewOutboxMessage, OutboxMessage};
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

/// Builds the MIME message for an outbox row; an attachment is read from `data_dir`.
///
/// Errors when the recipient is not an address or the attachment cannot be read (the message
/// then stays queued and is retried, never sent without its attachment).
pub fn build_message(
    from: &Mailbox,
    row: &OutboxMessage,
    data_dir: &Path,
) -> anyhow::Result<Message> {
    let to: Mailbox = row
        .to_addr
        .parse()
        .with_context(|| format!("Bad recipient address in outbox message {}", row.id))?;
    let domain = from.email.domain().to_string();
    let body = MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone());
    let body = match (&row.attachment_path, &row.attachment_name) {
        (Some(rel), Some(name)) => {
            let path = safe_join(data_dir, rel)
                .with_context(|| format!("Outbox message {}: bad attachment path {rel}", row.id))?;
            let bytes = std::fs::read(&path)
                .with_context(|| format!("Failed to read the attachment {}", path.display()))?;
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
        .message_id(Some(format!("<frdesk-outbox-{}@{}>", row.id, domain)))
        .header(header::Date::new(std::time::SystemTime::now()))
        .multipart(body)
        .context("Failed to build the message")
}

/// `base/rel` when `rel` is relative and has no `..` component.
fn safe_join(base: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    let ok = !rel.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    ok.then(|| base.join(p))
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

/// Delivers every due message once; returns how many were sent.
pub async fn deliver_due(
    pool: &DbPool,
    transport: &Transport,
    from: &Mailbox,
    data_dir: &Path,
    retry_base_secs: u32,
) -> anyhow::Result<usize> {
    let due: Vec<OutboxMessage> = crate::platform::db::run(pool, |c| {
        OutboxMessage::due(c, now(), 50).map_err(anyhow::Error::from)
    })
    .await?;
    let mut sent = 0;
    for row in due {
        let id = row.id;
        let result = match build_message(from, &row, data_dir) {
            Ok(msg) => transport.send(msg).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                crate::platform::db::run(pool, move |c| {
                    OutboxMessage::mark_sent(c, id, now()).map_err(anyhow::Error::from)
                })
                .await?;
                tracing::info!(outbox_id = id, kind = %row.kind, "Mail delivered");
                sent += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                let give_up = attempts >= MAX_ATTEMPTS;
                let next = now() + backoff(attempts, retry_base_secs);
                let msg = format!("{e:#}");
                tracing::warn!(outbox_id = id, attempts, error = %msg, "Mail delivery failed; will retry");
                crate::platform::db::run(pool, move |c| {
                    OutboxMessage::mark_retry(c, id, &msg, next, give_up)
                        .map_err(anyhow::Error::from)
                })
                .await?;
            }
        }
    }
    Ok(sent)
}

/// The outbox sender: delivers due messages, retrying failures with growing delays.
pub struct OutboxSender {
    pub pool: DbPool,
    pub transport: Transport,
    pub from: Mailbox,
    pub data_dir: PathBuf,
    /// Longest wait between passes when nobody wakes the sender.
    pub interval: Duration,
    /// First retry delay in seconds (doubled per attempt).
    pub retry_base_secs: u32,
}

impl crate::platform::jobs::runner::Worker for OutboxSender {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        deliver_due(
            &self.pool,
            &self.transport,
            &self.from,
            &self.data_dir,
            self.retry_base_secs,
        )
        .await?;
        Ok(false)
    }
}
