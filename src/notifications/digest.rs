//! The daily digest: once a day, each user's notifications kept for the digest go out in one
//! email. Each user's digest is one transaction — the `notification_digests` row (unique per
//! user and day), the outbox message and the items marked with the digest — so a second run the
//! same day, a restart or a second instance sends nothing more; items made after the day's
//! digest wait for the next day's.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::accounts::store::User;
use crate::notifications::NotifyContext;
use crate::notifications::store::{Digest, Notification};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::fmt_time;

/// One digest sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentDigest {
    pub user_id: i64,
    pub to: String,
    pub items: usize,
    pub outbox_id: i64,
}

/// Sends the digest of the day of `now` to every user with pending digest items who has none
/// for that day yet. An inactive user's items stay pending (sent if the account is enabled
/// again).
///
/// Errors: database errors; a template that fails to render.
pub fn send_digests(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<SentDigest>> {
    let day = now.date();
    let mut sent = Vec::new();
    for user_id in Notification::users_with_pending_digest(conn)? {
        let result = write_tx(conn, |c| -> anyhow::Result<Option<SentDigest>> {
            if Digest::exists(c, user_id, day)? {
                return Ok(None);
            }
            let user = User::find(c, crate::domain::UserId(user_id))?;
            if !user.active {
                return Ok(None);
            }
            let items = Notification::pending_digest(c, user_id)?;
            if items.is_empty() {
                return Ok(None);
            }
            let digest_id = Digest::insert(c, user_id, day, now)?;
            let email = crate::platform::mail::templates::StaffDigest {
                service_name: ctx.service_name.clone(),
                base_url: ctx.base_url.clone(),
                recipient_name: user.name.clone(),
                day: day.to_string(),
                items: items
                    .iter()
                    .map(|n| crate::platform::mail::templates::DigestItem {
                        at: fmt_time(&n.created_at),
                        headline: n.headline.clone(),
                        link: n.link.clone(),
                    })
                    .collect(),
            }
            .render(&user.email)
            .map_err(|e| anyhow::anyhow!("Failed to render a daily digest: {e}"))?;
            let outbox_id = crate::platform::mail::enqueue_with_id(c, &email)?;
            Digest::set_outbox(c, digest_id, outbox_id)?;
            let ids: Vec<i64> = items.iter().map(|n| n.id).collect();
            Notification::mark_digested(c, &ids, digest_id)?;
            Ok(Some(SentDigest {
                user_id,
                to: user.email.clone(),
                items: ids.len(),
                outbox_id,
            }))
        });
        match result {
            Ok(Some(d)) => sent.push(d),
            Ok(None) => {}
            // A second instance sent this user's digest first (the unique index).
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e),
        }
    }
    tracing::info!(digests = sent.len(), %day, "Daily digests sent");
    Ok(sent)
}

fn is_unique_violation(e: &anyhow::Error) -> bool {
    e.downcast_ref::<diesel::result::Error>().is_some_and(|d| {
        matches!(
            d,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )
        )
    })
}
