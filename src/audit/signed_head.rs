//! The audit chain's head, signed with the desk's key (issue 17): once a day by the daily audit
//! check ([`crate::audit::daily_check`]) and at every disclosure export. A signed head states
//! "on this day the chain ended at record N with hash H" in a form anyone can check with the
//! desk's certificate; since every record's hash covers its predecessor's, it fixes every
//! record up to N. A disclosure package carries the newest daily head and the head signed at
//! its export (`docs/DISCLOSURE.md`).
//!
//! The signed bytes are the `statement`: compact JSON
//! `{"format":"frdesk-audit-head/1","desk":…,"day":"YYYY-MM-DD","occasion":…,"head_id":N,"head_hash":"<64 hex>","signed_at":"YYYY-MM-DDTHH:MM:SSZ"}`,
//! signed as a detached CMS signature (`crate::platform::pdf::cms`) with the packets' key.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::platform::db::DbConnection;
use crate::platform::db::schema::{audit_records, audit_signed_heads};
use crate::platform::pdf::Signer;
use crate::platform::pdf::cms::{sign_detached, verify_detached};

/// Occasion of the once-a-day signature.
pub const DAILY: &str = "daily";
/// Occasion of the signature made at a disclosure export.
pub const DISCLOSURE: &str = "disclosure";
/// Format name inside every statement.
pub const FORMAT: &str = "frdesk-audit-head/1";

/// A stored signed head.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_signed_heads)]
pub struct SignedHead {
    pub id: i64,
    /// UTC day of the signing, `YYYY-MM-DD`.
    pub day: String,
    /// [`DAILY`] or [`DISCLOSURE`].
    pub occasion: String,
    /// Id of the last audit record when signed.
    pub head_id: i64,
    /// Its hash (64 lowercase hex digits).
    pub head_hash: String,
    /// The exact signed text.
    pub statement: String,
    /// Detached CMS signature of `statement` (DER).
    pub signature: Vec<u8>,
    /// SHA-256 of the signing certificate.
    pub signer_fingerprint: String,
    pub signed_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_signed_heads)]
struct NewSignedHead<'a> {
    day: &'a str,
    occasion: &'a str,
    head_id: i64,
    head_hash: &'a str,
    statement: &'a str,
    signature: &'a [u8],
    signer_fingerprint: &'a str,
    signed_at: NaiveDateTime,
}

/// The content of a statement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Statement {
    pub format: String,
    pub desk: String,
    pub day: String,
    pub occasion: String,
    pub head_id: i64,
    pub head_hash: String,
    pub signed_at: String,
}

/// Signs the chain's current head for `occasion` and stores it. `None` when the trail holds
/// no record yet.
///
/// Errors: database errors; the signature failed (OpenSSL).
pub fn sign_current(
    conn: &mut DbConnection,
    signer: &Signer,
    desk: &str,
    occasion: &str,
) -> anyhow::Result<Option<SignedHead>> {
    let head: Option<(i64, String)> = audit_records::table
        .order(audit_records::id.desc())
        .select((audit_records::id, audit_records::hash))
        .first(conn)
        .optional()?;
    let Some((head_id, head_hash)) = head else {
        return Ok(None);
    };
    let now = crate::platform::time::now();
    let day = now.format("%Y-%m-%d").to_string();
    let statement = serde_json::to_string(&Statement {
        format: FORMAT.into(),
        desk: desk.to_string(),
        day: day.clone(),
        occasion: occasion.to_string(),
        head_id,
        head_hash: head_hash.clone(),
        signed_at: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })?;
    let signature = sign_detached(statement.as_bytes(), signer)?;
    diesel::insert_into(audit_signed_heads::table)
        .values(NewSignedHead {
            day: &day,
            occasion,
            head_id,
            head_hash: &head_hash,
            statement: &statement,
            signature: &signature,
            signer_fingerprint: &signer.fingerprint_sha256(),
            signed_at: now,
        })
        .execute(conn)?;
    Ok(audit_signed_heads::table
        .filter(audit_signed_heads::head_id.eq(head_id))
        .filter(audit_signed_heads::occasion.eq(occasion))
        .order(audit_signed_heads::id.desc())
        .select(SignedHead::as_select())
        .first(conn)
        .optional()?)
}

/// Signs today's head once (the daily audit check): `None` when today's daily head already
/// exists or the trail is empty.
///
/// Errors: as [`sign_current`].
pub fn sign_daily(
    conn: &mut DbConnection,
    signer: &Signer,
    desk: &str,
) -> anyhow::Result<Option<SignedHead>> {
    let today = crate::platform::time::now().format("%Y-%m-%d").to_string();
    let done: i64 = audit_signed_heads::table
        .filter(audit_signed_heads::day.eq(&today))
        .filter(audit_signed_heads::occasion.eq(DAILY))
        .count()
        .get_result(conn)?;
    if done > 0 {
        return Ok(None);
    }
    sign_current(conn, signer, desk, DAILY)
}

/// The newest daily head, if any.
pub fn latest_daily(conn: &mut DbConnection) -> QueryResult<Option<SignedHead>> {
    audit_signed_heads::table
        .filter(audit_signed_heads::occasion.eq(DAILY))
        .order(audit_signed_heads::id.desc())
        .select(SignedHead::as_select())
        .first(conn)
        .optional()
}

/// What checking a signed head found.
#[derive(Debug, Clone, Serialize)]
pub struct HeadCheck {
    /// The signature verifies over the statement's exact bytes.
    pub signature_valid: bool,
    /// SHA-256 of the signing certificate, when readable.
    pub signer_fingerprint: Option<String>,
    /// The statement, when it parses.
    pub statement: Option<Statement>,
    /// One sentence when something is wrong.
    pub problem: Option<String>,
}

/// Checks a statement and its signature offline (no database). Never panics.
pub fn check(statement: &str, signature: &[u8]) -> HeadCheck {
    let c = verify_detached(statement.as_bytes(), signature);
    let parsed = serde_json::from_str::<Statement>(statement)
        .ok()
        .filter(|s| s.format == FORMAT);
    let problem = if !c.valid {
        Some(format!("signed chain head: {}", c.detail))
    } else if parsed.is_none() {
        Some("signed chain head: the statement is not a frdesk-audit-head/1 statement".into())
    } else {
        None
    };
    HeadCheck {
        signature_valid: c.valid,
        signer_fingerprint: c.signer_fingerprint,
        statement: parsed,
        problem,
    }
}
