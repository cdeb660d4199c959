//! Making a notification: for each recipient, their choice for the kind decides — an email in
//! the outbox now (immediate), an item for the next daily digest, or nothing (off). Called
//! inside the transaction of the event, so a notification exists exactly when the event
//! committed; the unique key (user, kind, subject event) makes a retried or repeated event
//! notify nobody twice.

use crate::accounts::store::User;
use crate::domain::notification::{Delivery, NotificationKind};
use crate::notifications::store::{NewNotification, Notification};
use crate::platform::db::DbConnection;
use crate::platform::time::now;

/// What the notifications need from the settings: the email's service name and links, and the
/// separation-of-duties setting that decides who may examine a case.
#[derive(Debug, Clone)]
pub struct NotifyContext {
    /// `service.name`.
    pub service_name: String,
    /// `service.base_url`, without a trailing slash.
    pub base_url: String,
    /// `face.approver_may_examine`.
    pub approver_may_examine: bool,
}

impl NotifyContext {
    pub fn from_settings(s: &crate::Settings) -> NotifyContext {
        NotifyContext {
            service_name: s.service.name.clone(),
            base_url: s.service.base_url.clone(),
            approver_may_examine: s.face.approver_may_examine,
        }
    }
}

/// One event to tell people of.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NotificationKind,
    /// The event, unique per kind: e.g. `case:12:v2`, `probe_search:7:second_review`.
    pub subject_key: String,
    pub case_id: Option<i64>,
    /// One sentence without a full stop; no probe image, search reason or criminal-history
    /// detail (a case number and what awaits whom).
    pub headline: String,
    /// The page, relative to the base URL.
    pub link: String,
}

/// What [`notify`] did for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// An email was queued (outbox id).
    Emailed(i64),
    /// Kept for the user's next daily digest.
    ForDigest,
    /// The user switched the kind off.
    Off,
    /// The user was already notified of this event.
    AlreadyNotified,
}

/// The delivery `user_id` chose for `kind`: a compliance reminder is always immediate, a kind
/// never chosen is [`Delivery::DEFAULT`].
///
/// Errors: database errors; a stored choice the code does not know.
pub fn delivery_of(
    conn: &mut DbConnection,
    user_id: i64,
    kind: NotificationKind,
) -> diesel::QueryResult<Delivery> {
    if kind.is_compliance() {
        return Ok(Delivery::Immediate);
    }
    Ok(
        crate::notifications::store::Preference::find(conn, user_id, kind)?
            .unwrap_or(Delivery::DEFAULT),
    )
}

/// Tells each of `recipients` (once each, inactive accounts skipped) of `notice` as they chose.
/// Call inside the event's transaction.
///
/// Errors: database errors (a racing transaction that notified the same user of the same event
/// first fails this one on the unique index, and the caller's retry finds it done); an email
/// template that fails to render.
pub fn notify(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    notice: &Notice,
    recipients: &[User],
) -> anyhow::Result<Vec<(i64, Made)>> {
    let mut out: Vec<(i64, Made)> = Vec::new();
    for user in recipients {
        if !user.active || out.iter().any(|(id, _)| *id == user.id) {
            continue;
        }
        let made = notify_one(conn, ctx, notice, user)?;
        out.push((user.id, made));
    }
    tracing::info!(
        kind = notice.kind.as_str(),
        subject = %notice.subject_key,
        emailed = out.iter().filter(|(_, m)| matches!(m, Made::Emailed(_))).count(),
        digest = out.iter().filter(|(_, m)| *m == Made::ForDigest).count(),
        "Staff notification made"
    );
    Ok(out)
}

fn notify_one(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    notice: &Notice,
    user: &User,
) -> anyhow::Result<Made> {
    let delivery = delivery_of(conn, user.id, notice.kind)?;
    if delivery == Delivery::Off {
        return Ok(Made::Off);
    }
    if Notification::exists(conn, user.id, notice.kind, &notice.subject_key)? {
        return Ok(Made::AlreadyNotified);
    }
    let outbox_id = match delivery {
        Delivery::Immediate => {
            let email = crate::platform::mail::templates::StaffNotice {
                service_name: ctx.service_name.clone(),
                base_url: ctx.base_url.clone(),
                recipient_name: user.name.clone(),
                kind_label: notice.kind.label().to_string(),
                headline: notice.headline.clone(),
                link: notice.link.clone(),
            }
            .render(&user.email)
            .map_err(|e| anyhow::anyhow!("Failed to render a staff notification: {e}"))?;
            Some(crate::platform::mail::enqueue_with_id(conn, &email)?)
        }
        Delivery::Digest | Delivery::Off => None,
    };
    Notification::insert(
        conn,
        &NewNotification {
            user_id: user.id,
            kind: notice.kind.as_str(),
            subject_key: &notice.subject_key,
            case_id: notice.case_id,
            headline: &notice.headline,
            link: &notice.link,
            delivery: delivery.as_str(),
            created_at: now(),
            outbox_id,
        },
    )?;
    Ok(match outbox_id {
        Some(id) => Made::Emailed(id),
        None => Made::ForDigest,
    })
}

/// Records a compliance reminder that its own step already emailed (`outbox_id`) to `user_id`,
/// so the reminders of the audit calendar and of legal holds are notifications like the others
/// (same table, same unique key). Does nothing when the user was already notified of it.
///
/// Errors: database errors.
pub fn record_compliance(
    conn: &mut DbConnection,
    user_id: i64,
    notice: &Notice,
    outbox_id: i64,
) -> diesel::QueryResult<bool> {
    if Notification::exists(conn, user_id, notice.kind, &notice.subject_key)? {
        return Ok(false);
    }
    Notification::insert(
        conn,
        &NewNotification {
            user_id,
            kind: notice.kind.as_str(),
            subject_key: &notice.subject_key,
            case_id: notice.case_id,
            headline: &notice.headline,
            link: &notice.link,
            delivery: Delivery::Immediate.as_str(),
            created_at: now(),
            outbox_id: Some(outbox_id),
        },
    )?;
    Ok(true)
}
