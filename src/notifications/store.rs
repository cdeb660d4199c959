//! Rows of `notification_preferences`, `notifications` and `notification_digests`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::notification::{Delivery, NotificationKind};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{notification_digests, notification_preferences, notifications};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

/// A user's stored choice for one kind; a kind without a row is [`Delivery::DEFAULT`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_preferences)]
pub struct Preference {
    pub user_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: NotificationKind,
    #[diesel(deserialize_as = String)]
    pub delivery: Delivery,
    pub updated_at: NaiveDateTime,
}

impl Preference {
    /// The user's stored choices. A row whose kind or delivery the code does not know fails
    /// the load ([`crate::domain::state::UnknownState`]).
    pub fn of_user(conn: &mut Conn, user_id: i64) -> QResult<Vec<Preference>> {
        notification_preferences::table
            .filter(notification_preferences::user_id.eq(user_id))
            .select(Preference::as_select())
            .load(conn)
    }
    /// The stored choice of one kind, if any.
    pub fn find(
        conn: &mut Conn,
        user_id: i64,
        kind: NotificationKind,
    ) -> QResult<Option<Delivery>> {
        Ok(notification_preferences::table
            .filter(notification_preferences::user_id.eq(user_id))
            .filter(notification_preferences::kind.eq(kind.as_str()))
            .select(Preference::as_select())
            .first(conn)
            .optional()?
            .map(|p| p.delivery))
    }
    /// Stores (replaces) the choice of one kind.
    pub fn put(
        conn: &mut Conn,
        user_id: i64,
        kind: NotificationKind,
        delivery: Delivery,
        at: NaiveDateTime,
    ) -> QResult<()> {
        let n = diesel::update(
            notification_preferences::table
                .filter(notification_preferences::user_id.eq(user_id))
                .filter(notification_preferences::kind.eq(kind.as_str())),
        )
        .set((
            notification_preferences::delivery.eq(delivery.as_str()),
            notification_preferences::updated_at.eq(at),
        ))
        .execute(conn)?;
        if n == 0 {
            diesel::insert_into(notification_preferences::table)
                .values((
                    notification_preferences::user_id.eq(user_id),
                    notification_preferences::kind.eq(kind.as_str()),
                    notification_preferences::delivery.eq(delivery.as_str()),
                    notification_preferences::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// One notification of one user about one event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: NotificationKind,
    pub subject_key: String,
    pub case_id: Option<i64>,
    pub headline: String,
    pub link: String,
    #[diesel(deserialize_as = String)]
    pub delivery: Delivery,
    pub created_at: NaiveDateTime,
    pub outbox_id: Option<i64>,
    pub digest_id: Option<i64>,
}

/// A notification to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub subject_key: &'a str,
    pub case_id: Option<i64>,
    pub headline: &'a str,
    pub link: &'a str,
    pub delivery: &'a str,
    pub created_at: NaiveDateTime,
    pub outbox_id: Option<i64>,
}

impl Notification {
    /// Whether the user was already notified of this event (unique key user, kind, subject).
    pub fn exists(
        conn: &mut Conn,
        user_id: i64,
        kind: NotificationKind,
        subject_key: &str,
    ) -> QResult<bool> {
        let n: i64 = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::kind.eq(kind.as_str()))
            .filter(notifications::subject_key.eq(subject_key))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    }
    /// Stores a notification; returns its id. A second one of the same user, kind and subject
    /// violates the unique index.
    pub fn insert(conn: &mut Conn, new: &NewNotification<'_>) -> QResult<i64> {
        diesel::insert_into(notifications::table)
            .values(new)
            .returning(notifications::id)
            .get_result(conn)
    }
    /// Users with digest items not yet sent, by id.
    pub fn users_with_pending_digest(conn: &mut Conn) -> QResult<Vec<i64>> {
        notifications::table
            .filter(notifications::delivery.eq(Delivery::Digest.as_str()))
            .filter(notifications::digest_id.is_null())
            .select(notifications::user_id)
            .distinct()
            .order(notifications::user_id.asc())
            .load(conn)
    }
    /// A user's digest items not yet sent, oldest first.
    pub fn pending_digest(conn: &mut Conn, user_id: i64) -> QResult<Vec<Notification>> {
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::delivery.eq(Delivery::Digest.as_str()))
            .filter(notifications::digest_id.is_null())
            .order(notifications::id.asc())
            .select(Notification::as_select())
            .load(conn)
    }
    /// Marks `ids` as carried by `digest_id` (only those still pending).
    pub fn mark_digested(conn: &mut Conn, ids: &[i64], digest_id: i64) -> QResult<usize> {
        diesel::update(
            notifications::table
                .filter(notifications::id.eq_any(ids))
                .filter(notifications::digest_id.is_null()),
        )
        .set(notifications::digest_id.eq(Some(digest_id)))
        .execute(conn)
    }
    /// Every notification of a user, newest first (tests and support).
    pub fn of_user(conn: &mut Conn, user_id: i64) -> QResult<Vec<Notification>> {
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .order(notifications::id.desc())
            .select(Notification::as_select())
            .load(conn)
    }
}

/// The daily digests: one row per user and day (unique), so a second run the same day sends
/// nothing.
pub struct Digest;

impl Digest {
    /// Whether the user's digest of `day` was sent.
    pub fn exists(conn: &mut Conn, user_id: i64, day: NaiveDate) -> QResult<bool> {
        let n: i64 = notification_digests::table
            .filter(notification_digests::user_id.eq(user_id))
            .filter(notification_digests::day.eq(day))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    }
    /// Records the user's digest of `day`; returns its id.
    pub fn insert(
        conn: &mut Conn,
        user_id: i64,
        day: NaiveDate,
        at: NaiveDateTime,
    ) -> QResult<i64> {
        diesel::insert_into(notification_digests::table)
            .values((
                notification_digests::user_id.eq(user_id),
                notification_digests::day.eq(day),
                notification_digests::created_at.eq(at),
            ))
            .returning(notification_digests::id)
            .get_result(conn)
    }
    pub fn set_outbox(conn: &mut Conn, id: i64, outbox_id: i64) -> QResult<()> {
        diesel::update(notification_digests::table.find(id))
            .set(notification_digests::outbox_id.eq(Some(outbox_id)))
            .execute(conn)
            .map(|_| ())
    }
}
