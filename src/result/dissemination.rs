//! The dissemination log (NY MPTC §IV.G: results go only to those with a need to know): every
//! release of a result packet — a download, an email to the requester, later a disclosure
//! export — with who received what (packet id and SHA-256), by which channel, to whom (user id,
//! address), when and why (the case's search reason). Written in the transaction that releases
//! the packet. An email is logged when it is queued in the outbox (same transaction as the
//! packet's issue); its delivery time is the outbox row's `sent_at`, shown beside it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{disseminations, outbox_messages};

/// A packet downloaded from the case page.
pub const DOWNLOAD: &str = "download";
/// A packet emailed to the requester's account address.
pub const EMAIL: &str = "email";

/// One release of a packet.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = disseminations)]
pub struct Dissemination {
    pub id: i64,
    pub case_id: i64,
    pub packet_id: String,
    pub packet_sha256: String,
    /// [`DOWNLOAD`] or [`EMAIL`].
    pub channel: String,
    pub recipient_user_id: Option<i64>,
    pub recipient_address: Option<String>,
    /// Why: the case's search reason (stated purpose).
    pub purpose: String,
    /// Who released it: the downloading user's email, or the packet worker.
    pub released_by: String,
    /// The outbox message of an email release.
    pub outbox_id: Option<i64>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = disseminations)]
pub struct NewDissemination {
    pub case_id: i64,
    pub packet_id: String,
    pub packet_sha256: String,
    pub channel: String,
    pub recipient_user_id: Option<i64>,
    pub recipient_address: Option<String>,
    pub purpose: String,
    pub released_by: String,
    pub outbox_id: Option<i64>,
    pub at: NaiveDateTime,
}

/// A log row with the delivery time of its email (`None`: not a mail, or not yet delivered).
#[derive(Debug, Clone)]
pub struct DisseminationView {
    pub row: Dissemination,
    pub delivered_at: Option<NaiveDateTime>,
}

impl DisseminationView {
    pub fn at_label(&self) -> String {
        crate::platform::time::fmt_time(&self.row.at)
    }
    /// "delivered …", "queued" for an email; "—" otherwise.
    pub fn delivery_label(&self) -> String {
        match (self.row.channel.as_str(), &self.delivered_at) {
            (EMAIL, Some(t)) => format!("delivered {}", crate::platform::time::fmt_time(t)),
            (EMAIL, None) => "queued, not yet delivered".into(),
            _ => "—".into(),
        }
    }
    pub fn recipient_label(&self) -> String {
        match (&self.row.recipient_address, self.row.recipient_user_id) {
            (Some(a), Some(u)) => format!("{a} (user {u})"),
            (Some(a), None) => a.clone(),
            (None, Some(u)) => format!("user {u}"),
            (None, None) => "—".into(),
        }
    }
}

impl Dissemination {
    /// Logs one release; returns its id.
    pub fn insert(conn: &mut DbConnection, new: &NewDissemination) -> diesel::QueryResult<i64> {
        diesel::insert_into(disseminations::table)
            .values(new)
            .returning(disseminations::id)
            .get_result(conn)
    }
    /// Every release of a case's packets, oldest first, with email delivery times.
    pub fn for_case(
        conn: &mut DbConnection,
        case: CaseId,
    ) -> diesel::QueryResult<Vec<DisseminationView>> {
        let rows: Vec<Dissemination> = disseminations::table
            .filter(disseminations::case_id.eq(case.0))
            .order(disseminations::id.asc())
            .select(Dissemination::as_select())
            .load(conn)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let delivered_at = match row.outbox_id {
                Some(id) => outbox_messages::table
                    .find(id)
                    .select(outbox_messages::sent_at)
                    .first::<Option<NaiveDateTime>>(conn)
                    .optional()?
                    .flatten(),
                None => None,
            };
            out.push(DisseminationView { row, delivered_at });
        }
        Ok(out)
    }
}

/// The log of one case as CSV (formula cells neutralised by [`crate::platform::csv`]): one row
/// per release with time, channel, packet, SHA-256, recipient, purpose, released by, delivery.
///
/// Errors: writing the CSV failed.
pub fn to_csv(case_number: &str, rows: &[DisseminationView]) -> anyhow::Result<Vec<u8>> {
    let mut out = crate::platform::csv::CsvOut::new();
    out.row([
        "case",
        "time_utc",
        "channel",
        "packet_id",
        "packet_sha256",
        "recipient_user_id",
        "recipient_address",
        "purpose",
        "released_by",
        "delivered_utc",
    ])?;
    for v in rows {
        let r = &v.row;
        out.row([
            case_number.to_string(),
            v.at_label(),
            r.channel.clone(),
            r.packet_id.clone(),
            r.packet_sha256.clone(),
            r.recipient_user_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            r.recipient_address.clone().unwrap_or_default(),
            r.purpose.clone(),
            r.released_by.clone(),
            v.delivered_at
                .as_ref()
                .map(crate::platform::time::fmt_time)
                .unwrap_or_default(),
        ])?;
    }
    out.finish()
}
