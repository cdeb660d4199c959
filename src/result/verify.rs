//! Checking a packet that comes back (from a court, a prosecutor, a defence attorney, an email):
//! is the signature valid, did this desk issue it — signed with a certificate the desk has
//! signed with ([`crate::result::certificates`]) and recorded here with the same bytes — and is
//! it still the current result of its case, or superseded by a corrected packet, or withdrawn?
//!
//! One function for `frdesk packet verify` and the public page `/verify`; each check is an
//! audit record (`packet.verify`). The report names the case number the packet prints and
//! nothing else of the case. See docs/PACKET.md, "Checking a packet".

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor, Entry, Outcome};
use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::result::certificates::SigningCertificate;
use crate::result::store::PacketRecord;

/// Where a checked packet stands: one answer, the first that applies in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The signature is missing or does not verify: the file was changed after signing, or
    /// it is not a signed packet.
    NotGenuine,
    /// A valid signature, but not made with any certificate this desk has signed with.
    NotThisDesk,
    /// Signed with a desk certificate, but no packet with these exact bytes is on record.
    NotOnRecord,
    /// Issued by this desk and the current result of its case.
    Current,
    /// Issued by this desk, then replaced by a corrected packet.
    Superseded,
    /// Issued by this desk, then the result was withdrawn.
    Withdrawn,
}

impl Standing {
    /// The headline shown to people.
    pub fn headline(self) -> &'static str {
        match self {
            Standing::NotGenuine => "Not genuine",
            Standing::NotThisDesk => "Not issued by this desk",
            Standing::NotOnRecord => "Not on record here",
            Standing::Current => "Genuine and current",
            Standing::Superseded => "Genuine, but superseded",
            Standing::Withdrawn => "Genuine, but withdrawn",
        }
    }

    /// Whether the answer is good news (only [`Standing::Current`]).
    pub fn is_current(self) -> bool {
        self == Standing::Current
    }
}

/// The desk certificate a packet was signed with.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateUse {
    /// SHA-256 of the certificate (64 lowercase hex digits).
    pub fingerprint_sha256: String,
    /// "CN=…, O=…"; empty when unknown.
    pub subject: String,
    /// When the desk first used it (as shown to people, UTC).
    pub first_used: String,
    /// Whether a later certificate has replaced it (its packets still verify).
    pub retired: bool,
    /// When it was replaced (as shown to people, UTC).
    pub retired_at: Option<String>,
}

/// What a packet check reports (`frdesk packet verify --json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct PacketReport {
    /// The signature covers the whole file, the digest matches and the CMS verifies.
    pub signature_valid: bool,
    /// Valid, signed with a certificate this desk has signed with, and recorded as issued here
    /// with the same bytes (SHA-256).
    pub issued_by_this_server: bool,
    /// The case number the packet names (empty when none could be read).
    pub case: String,
    /// Issued here and not superseded by a corrected packet or a withdrawal of the result.
    pub current: bool,
    /// `<case number>-P<version>` as the packet names it.
    pub packet_id: Option<String>,
    /// The one answer (see [`Standing`]).
    pub standing: Standing,
    /// The desk certificate that signed it, when the signature is valid and the certificate
    /// is one the desk has signed with.
    pub signing_certificate: Option<CertificateUse>,
    /// For a superseded packet, the packet that replaced it (`<case number>-P<version>`).
    pub superseded_by: Option<String>,
    /// When it stopped being current (as shown to people, UTC).
    pub superseded_at: Option<String>,
    /// The reason the desk recorded for the correction or withdrawal.
    pub superseded_reason: Option<String>,
    /// A superseded packet whose case's result was later withdrawn altogether.
    pub result_later_withdrawn: bool,
    /// SHA-256 of the checked file (64 lowercase hex digits).
    pub file_sha256: String,
    /// One sentence for people.
    pub detail: String,
}

/// Checks `pdf` against this desk's certificates and packet records and appends a
/// `packet.verify` audit record for `actor` (outcome `failed` unless the packet is current).
/// `pdf` is untrusted: any bytes give a report, never a panic. Nothing of the file is stored
/// except its SHA-256 in the audit record.
///
/// Errors: the database's.
pub fn verify_packet(
    conn: &mut DbConnection,
    actor: &Actor,
    pdf: &[u8],
) -> diesel::QueryResult<PacketReport> {
    let v = crate::platform::pdf::verify(pdf);
    let certificate = match (&v.signer_fingerprint, v.signature_valid) {
        (Some(fp), true) => SigningCertificate::by_fingerprint(conn, fp)?,
        _ => None,
    };
    let record = match &v.packet_id {
        Some(id) => PacketRecord::by_packet_id(conn, id)?,
        None => None,
    };
    let sha = hex::encode(Sha256::digest(pdf));
    let recorded = record.as_ref().filter(|r| r.file_sha256 == sha);
    let standing = if !v.signature_valid {
        Standing::NotGenuine
    } else if certificate.is_none() {
        Standing::NotThisDesk
    } else {
        match recorded {
            None => Standing::NotOnRecord,
            Some(r) if r.is_current() => Standing::Current,
            Some(r) => match parse_superseded(r.superseded_reason.as_deref().unwrap_or("")) {
                Replaced::Withdrawn(_) => Standing::Withdrawn,
                Replaced::By(..) => Standing::Superseded,
            },
        }
    };
    let issued = matches!(
        standing,
        Standing::Current | Standing::Superseded | Standing::Withdrawn
    );
    let (superseded_by, superseded_reason) = match recorded.filter(|_| issued) {
        Some(r) if !r.is_current() => {
            match parse_superseded(r.superseded_reason.as_deref().unwrap_or("")) {
                Replaced::By(by, why) => (Some(by), Some(why)),
                Replaced::Withdrawn(why) => (None, Some(why)),
            }
        }
        _ => (None, None),
    };
    let result_later_withdrawn = match (standing, recorded) {
        (Standing::Superseded, Some(r)) => case_result_withdrawn(conn, CaseId(r.case_id))?,
        _ => false,
    };
    let superseded_at = recorded
        .filter(|_| issued)
        .and_then(|r| r.superseded_at.as_ref())
        .map(crate::platform::time::fmt_time);
    let signing_certificate = certificate.as_ref().map(|c| CertificateUse {
        fingerprint_sha256: c.fingerprint_sha256.clone(),
        subject: c.subject.clone(),
        first_used: crate::platform::time::fmt_time(&c.first_used_at),
        retired: c.is_retired(),
        retired_at: c.retired_at.as_ref().map(crate::platform::time::fmt_time),
    });
    let detail = detail(
        standing,
        &v.detail,
        superseded_by.as_deref(),
        superseded_reason.as_deref(),
        result_later_withdrawn,
        certificate
            .as_ref()
            .is_some_and(SigningCertificate::is_retired),
    );
    let report = PacketReport {
        signature_valid: v.signature_valid,
        issued_by_this_server: issued,
        case: v.case_number.clone().unwrap_or_default(),
        current: standing.is_current(),
        packet_id: v.packet_id.clone(),
        standing,
        signing_certificate,
        superseded_by,
        superseded_at,
        superseded_reason,
        result_later_withdrawn,
        file_sha256: sha.clone(),
        detail,
    };
    let entry = Entry::new(
        "packet.verify",
        "packet",
        report.packet_id.clone().unwrap_or_else(|| "unknown".into()),
    )
    .details(format!(
        "sha256 {sha}; certificate {}; {}",
        report
            .signing_certificate
            .as_ref()
            .map_or("none of the desk's", |c| c.fingerprint_sha256.as_str()),
        report.detail
    ));
    let entry = if report.current {
        entry
    } else {
        entry.outcome(Outcome::Failed)
    };
    audit::record(conn, actor, entry)?;
    Ok(report)
}

impl PacketReport {
    /// The report for the public `/verify` page: the same answer without the reason the desk
    /// typed for a correction or withdrawal (free text that may name people or details of the
    /// case); the standing, the corrected packet's number and the dates stay.
    pub fn for_public(mut self) -> PacketReport {
        self.superseded_reason = None;
        if !matches!(self.standing, Standing::Superseded | Standing::Withdrawn) {
            return self;
        }
        self.detail = detail(
            self.standing,
            &self.detail,
            self.superseded_by.as_deref(),
            None,
            self.result_later_withdrawn,
            self.signing_certificate.as_ref().is_some_and(|c| c.retired),
        );
        self
    }
}

/// How a packet stopped being current, from its `superseded_reason`.
enum Replaced {
    /// "superseded by <packet id>: <reason>"
    By(String, String),
    /// "withdrawn: <reason>"
    Withdrawn(String),
}

fn parse_superseded(text: &str) -> Replaced {
    if let Some(why) = text.strip_prefix("withdrawn: ") {
        return Replaced::Withdrawn(why.to_string());
    }
    if let Some(rest) = text.strip_prefix("superseded by ")
        && let Some((by, why)) = rest.split_once(": ")
    {
        return Replaced::By(by.to_string(), why.to_string());
    }
    Replaced::By(String::new(), text.to_string())
}

/// Whether the case's newest packet was withdrawn (so no packet of the case is in force).
fn case_result_withdrawn(conn: &mut DbConnection, case: CaseId) -> diesel::QueryResult<bool> {
    let all = PacketRecord::for_case(conn, case)?;
    Ok(all.last().is_some_and(|p| {
        !p.is_current()
            && matches!(
                parse_superseded(p.superseded_reason.as_deref().unwrap_or("")),
                Replaced::Withdrawn(_)
            )
    }))
}

fn detail(
    standing: Standing,
    signature_detail: &str,
    by: Option<&str>,
    why: Option<&str>,
    later_withdrawn: bool,
    retired: bool,
) -> String {
    let retired = if retired {
        " (signed with an earlier desk certificate, since retired)"
    } else {
        ""
    };
    let why = match why {
        Some(w) if !w.trim().is_empty() => format!(": {w}"),
        _ => String::new(),
    };
    match standing {
        // The signature check's own sentence ("Signature is NOT valid: …") says it already.
        Standing::NotGenuine if signature_detail.is_empty() => "Signature is NOT valid.".into(),
        Standing::NotGenuine => signature_detail.to_string(),
        Standing::NotThisDesk => {
            "The signature is valid but was not made with any signing certificate of this desk."
                .to_string()
        }
        Standing::NotOnRecord => {
            "Signed with this desk's key, but no packet with these exact bytes is on record here."
                .to_string()
        }
        Standing::Current => {
            format!("Valid, issued by this desk, and the current result of its case{retired}.")
        }
        Standing::Superseded => {
            let by = match by {
                Some(b) if !b.is_empty() => format!(" by corrected packet {b}"),
                _ => " by a corrected packet".to_string(),
            };
            let later = if later_withdrawn {
                " The case's result has since been withdrawn."
            } else {
                ""
            };
            format!(
                "Issued by this desk{retired} but NO LONGER CURRENT: superseded{by}{why}.{later}"
            )
        }
        Standing::Withdrawn => format!(
            "Issued by this desk{retired} but NO LONGER CURRENT: the result was withdrawn{why}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superseded_reasons_are_read_back() {
        assert!(matches!(
            parse_superseded("superseded by FR-2026-000001-P2: Corrected unit"),
            Replaced::By(b, w) if b == "FR-2026-000001-P2" && w == "Corrected unit"
        ));
        assert!(matches!(
            parse_superseded("withdrawn: wrong incident"),
            Replaced::Withdrawn(w) if w == "wrong incident"
        ));
        assert!(
            matches!(parse_superseded("odd"), Replaced::By(b, w) if b.is_empty() && w == "odd")
        );
    }

    #[test]
    fn details_name_the_standing() {
        let d = detail(Standing::Withdrawn, "", None, Some("x"), false, false);
        assert!(d.contains("withdrawn: x"), "{d}");
        let d = detail(Standing::Superseded, "", Some("P2"), Some("y"), true, false);
        assert!(d.contains("corrected packet P2: y") && d.contains("since been withdrawn"));
        assert!(detail(Standing::Current, "", None, None, false, false).starts_with("Valid"));
    }
}
