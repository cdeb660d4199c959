//! The outbox: e-mail queued in the transaction that caused it, sent after it commits.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::outbox_messages;
use crate::platform::time::label;

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- outbox

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox_messages)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    /// Relative to `data_dir`.
    pub attachment_path: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct NewOutboxMessage {
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment_path: Option<String>,
}

impl OutboxMessage {
    /// Queues a message; returns its id.
    pub fn insert(conn: &mut Conn, new: &NewOutboxMessage) -> QResult<i64> {
        diesel::insert_into(outbox_messages::table)
            .values(new)
            .returning(outbox_messages::id)
            .get_result(conn)
    }
    /// Queued messages whose next attempt is due, oldest first.
    pub fn due(conn: &mut Conn, at: NaiveDateTime, limit: i64) -> QResult<Vec<OutboxMessage>> {
        outbox_messages::table
            .filter(outbox_messages::status.eq_any(["queued", "retrying"]))
            .filter(outbox_messages::next_attempt_at.le(at))
            .order(outbox_messages::id.asc())
            .limit(limit)
            .select(OutboxMessage::as_select())
            .load(conn)
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<OutboxMessage>> {
        outbox_messages::table
            .filter(outbox_messages::case_id.eq(case.0))
            .order(outbox_messages::id.asc())
            .select(OutboxMessage::as_select())
            .load(conn)
    }
    pub fn mark_sent(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QResult<()> {
        diesel::update(outbox_messages::table.find(id))
            .set((
                outbox_messages::status.eq("sent"),
                outbox_messages::sent_at.eq(Some(at)),
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            ))
            .execute(conn)
            .map(|_| ())
    }
    pub fn mark_retry(
        conn: &mut Conn,
        id: i64,
        error: &str,
        next: NaiveDateTime,
        give_up: bool,
    ) -> QResult<()> {
        diesel::update(outbox_messages::table.find(id))
            .set((
                outbox_messages::status.eq(if give_up { "failed" } else { "retrying" }),
                outbox_messages::last_error.eq(Some(error)),
                outbox_messages::next_attempt_at.eq(next),
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

impl OutboxMessage {
    pub fn created_label(&self) -> String {
        label(&self.created_at)
    }
    pub fn sent_label(&self) -> String {
        self.sent_at.as_ref().map(label).unwrap_or_default()
    }
    pub fn error_text(&self) -> String {
        self.last_error.clone().unwrap_or_default()
    }
}
