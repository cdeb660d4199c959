//! Every certificate the desk has signed packets with (`signing_certificates`), so a packet
//! signed before a rotation — a new PKCS#12 file (`packet.pkcs12_path`) or a regenerated
//! self-signed key — still verifies afterwards ([`crate::result::verify`]).
//!
//! The certificate in use is recorded when the signer is loaded at start-up, when a packet is
//! issued with it, and by `frdesk packet verify`; recording it retires every other one
//! (`retired_at`). Rows are never deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::signing_certificates as sc;
use crate::platform::pdf::Signer;

/// One certificate the desk has signed with (`signing_certificates` row).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sc)]
pub struct SigningCertificate {
    /// SHA-256 of the certificate's DER: 64 lowercase hex digits, no colons.
    pub fingerprint_sha256: String,
    /// The certificate in PEM; `None` only for one known from packets issued before
    /// certificates were kept (the migration took its fingerprint from those packets).
    pub certificate_pem: Option<String>,
    /// "CN=…, O=…"; empty when unknown.
    pub subject: String,
    /// When the desk first used it (UTC).
    pub first_used_at: NaiveDateTime,
    /// When another certificate replaced it (UTC); `None` for the one in use.
    pub retired_at: Option<NaiveDateTime>,
}

impl SigningCertificate {
    /// The certificate with this fingerprint (hex; case and colons ignored), if the desk has
    /// signed with it. Errors: the database's.
    pub fn by_fingerprint(
        conn: &mut DbConnection,
        fingerprint: &str,
    ) -> QueryResult<Option<SigningCertificate>> {
        let norm = normalise(fingerprint);
        if norm.is_empty() {
            return Ok(None);
        }
        sc::table
            .find(norm)
            .select(SigningCertificate::as_select())
            .first(conn)
            .optional()
    }

    /// Every certificate on record, oldest first. Errors: the database's.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<SigningCertificate>> {
        sc::table
            .order((sc::first_used_at.asc(), sc::fingerprint_sha256.asc()))
            .select(SigningCertificate::as_select())
            .load(conn)
    }

    /// Records `signer`'s certificate as the one in use at `at`: inserted on first use (with
    /// its PEM and subject; a row the migration made from old packets gets them filled in),
    /// un-retired if it had been replaced and is back, and every other certificate still in
    /// use is retired at `at`. Idempotent. Returns the row. Call it inside a transaction
    /// ([`crate::platform::db::write_tx`]). Errors: the database's.
    pub fn record_in_use(
        conn: &mut DbConnection,
        signer: &Signer,
        at: NaiveDateTime,
    ) -> QueryResult<SigningCertificate> {
        let fingerprint = signer.fingerprint_sha256();
        let pem = signer.certificate_pem();
        let subject = signer.subject();
        match Self::by_fingerprint(conn, &fingerprint)? {
            None => {
                diesel::insert_into(sc::table)
                    .values(&SigningCertificate {
                        fingerprint_sha256: fingerprint.clone(),
                        certificate_pem: Some(pem),
                        subject,
                        first_used_at: at,
                        retired_at: None,
                    })
                    .execute(conn)?;
            }
            Some(row) => {
                if row.certificate_pem.is_none() || row.subject.is_empty() {
                    diesel::update(sc::table.find(fingerprint.as_str()))
                        .set((sc::certificate_pem.eq(Some(pem)), sc::subject.eq(subject)))
                        .execute(conn)?;
                }
                if row.retired_at.is_some() {
                    diesel::update(sc::table.find(fingerprint.as_str()))
                        .set(sc::retired_at.eq(None::<NaiveDateTime>))
                        .execute(conn)?;
                }
            }
        }
        let retired = diesel::update(
            sc::table
                .filter(sc::fingerprint_sha256.ne(fingerprint.as_str()))
                .filter(sc::retired_at.is_null()),
        )
        .set(sc::retired_at.eq(Some(at)))
        .execute(conn)?;
        if retired > 0 {
            tracing::info!(
                %fingerprint,
                retired,
                "Packet signing certificate rotated: earlier certificates retired (their packets still verify)"
            );
        }
        sc::table
            .find(&fingerprint)
            .select(SigningCertificate::as_select())
            .first(conn)
    }

    /// Whether another certificate has replaced this one.
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

/// `fingerprint` as stored: lowercase hex without colons or spaces.
fn normalise(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_compared_as_lowercase_hex() {
        assert_eq!(normalise("AB:cd EF"), "abcdef");
        assert_eq!(normalise(""), "");
    }
}
