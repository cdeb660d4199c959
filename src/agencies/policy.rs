//! An agency's own FR policy (LACRIS FR Policy, preface): a PDF kept content-addressed under
//! `<data_dir>/policies/ab/cd/<sha256>.pdf`, with its effective date. A replacement is a new
//! `agency_policies` row (history kept); clearing stamps the current row. The current policy is
//! the newest row unless it is cleared; an agency that only had a date before documents were
//! kept (migration `2026-12-01-000003_agency_documents`) has a date-only record.
//!
//! `agencies.fr_policy_date` mirrors the effective date of the policy on file (upload sets it,
//! clear empties it), so [`Agency::policy_in_effect`] needs no query. A policy whose effective
//! date is in the future does not count: submissions are refused and the checklist fails.

use crate::platform::storage::Storage;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::accounts::store::Agency;
use crate::audit::{self, Actor, Entry};
use crate::domain::AgencyId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{agencies, agency_policies};

/// Largest policy document accepted (bytes): 20 MB.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

/// One uploaded policy document (a row of `agency_policies`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agency_policies)]
pub struct PolicyDocument {
    pub id: i64,
    pub agency_id: i64,
    /// SHA-256 of the PDF, 64 lowercase hex characters (its name in the store).
    pub sha256: String,
    /// The file name the uploader's browser (or the CLI) gave, at most 200 characters.
    pub file_name: String,
    pub byte_size: i64,
    pub effective_date: NaiveDate,
    /// Email of the uploader, or `cli:<user>`.
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    /// Set when the policy was cleared (it is then no longer on file).
    pub cleared_at: Option<NaiveDateTime>,
    pub cleared_by: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = agency_policies)]
struct NewPolicyDocument<'a> {
    agency_id: i64,
    sha256: &'a str,
    file_name: &'a str,
    byte_size: i64,
    effective_date: NaiveDate,
    uploaded_by: &'a str,
    uploaded_at: NaiveDateTime,
}

/// What the service has on file for an agency's FR policy.
#[derive(Debug, Clone)]
pub enum PolicyOnFile {
    /// Nothing (never filed, or cleared).
    None,
    /// A date recorded before documents were kept (no document).
    DateOnly(NaiveDate),
    /// The current uploaded document.
    Document(PolicyDocument),
}

impl PolicyOnFile {
    pub fn effective_date(&self) -> Option<NaiveDate> {
        match self {
            PolicyOnFile::None => None,
            PolicyOnFile::DateOnly(d) => Some(*d),
            PolicyOnFile::Document(p) => Some(p.effective_date),
        }
    }
    /// On file and effective on or before `today`.
    pub fn in_effect(&self, today: NaiveDate) -> bool {
        self.effective_date().is_some_and(|d| d <= today)
    }
    pub fn document(&self) -> Option<&PolicyDocument> {
        match self {
            PolicyOnFile::Document(p) => Some(p),
            _ => None,
        }
    }
}

/// The agency's policy on file: the newest `agency_policies` row unless cleared; otherwise a
/// date-only record if `agencies.fr_policy_date` holds one; otherwise none.
///
/// Errors: database errors.
pub fn current(conn: &mut DbConnection, agency: &Agency) -> diesel::QueryResult<PolicyOnFile> {
    let newest = agency_policies::table
        .filter(agency_policies::agency_id.eq(agency.id))
        .order(agency_policies::id.desc())
        .select(PolicyDocument::as_select())
        .first(conn)
        .optional()?;
    Ok(match (newest, agency.fr_policy_date) {
        (Some(p), _) if p.cleared_at.is_none() => PolicyOnFile::Document(p),
        (_, Some(d)) => PolicyOnFile::DateOnly(d),
        _ => PolicyOnFile::None,
    })
}

/// Every document the agency uploaded, newest first (replaced and cleared ones included).
///
/// Errors: database errors.
pub fn history(
    conn: &mut DbConnection,
    agency: AgencyId,
) -> diesel::QueryResult<Vec<PolicyDocument>> {
    agency_policies::table
        .filter(agency_policies::agency_id.eq(agency.0))
        .order(agency_policies::id.desc())
        .select(PolicyDocument::as_select())
        .load(conn)
}

/// One document of the agency by id; `None` if there is none or it is another agency's.
///
/// Errors: database errors.
pub fn find(
    conn: &mut DbConnection,
    agency: AgencyId,
    id: i64,
) -> diesel::QueryResult<Option<PolicyDocument>> {
    agency_policies::table
        .find(id)
        .filter(agency_policies::agency_id.eq(agency.0))
        .select(PolicyDocument::as_select())
        .first(conn)
        .optional()
}

/// Why an upload or a clear was refused; `Display` is the message shown beside the field.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("Choose the policy document (a PDF file).")]
    Empty,
    #[error("{0} is not a PDF file: upload the policy as a PDF.")]
    NotPdf(String),
    #[error("{0} is larger than 20 MB.")]
    TooLarge(String),
    #[error("Give the date the policy took effect (YYYY-MM-DD).")]
    NoDate,
    #[error("No policy is on file, so there is nothing to clear.")]
    NothingToClear,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Writing the file failed (the message is logged, the user sees a generic error).
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// A policy upload that passed [`check`].
#[derive(Debug, Clone)]
pub struct CheckedPolicy {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// Checks an upload: not empty, at most [`MAX_BYTES`], starts with the PDF magic `%PDF-`.
/// `name` is the file name given (kept, cut to 200 characters).
///
/// Errors: [`PolicyError::Empty`], [`PolicyError::TooLarge`], [`PolicyError::NotPdf`].
pub fn check(name: &str, bytes: Vec<u8>) -> Result<CheckedPolicy, PolicyError> {
    let file_name: String = name.trim().chars().take(200).collect();
    let shown = if file_name.is_empty() {
        "The file".to_string()
    } else {
        file_name.clone()
    };
    if bytes.is_empty() {
        return Err(PolicyError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(PolicyError::TooLarge(shown));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(PolicyError::NotPdf(shown));
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(CheckedPolicy {
        file_name: if file_name.is_empty() {
            "policy.pdf".into()
        } else {
            file_name
        },
        bytes,
        sha256,
    })
}

/// Content-addressed store of policy PDFs in one folder of the desk's [`Storage`]
/// (`policies/` for agencies' documents, `published/` for the service's public ones).
#[derive(Debug, Clone)]
pub struct PolicyStore {
    storage: Storage,
    folder: &'static str,
}

impl PolicyStore {
    /// The store in `folder` (`"policies"` or `"published"`) of `storage`.
    pub fn new(storage: Storage, folder: &'static str) -> Self {
        PolicyStore { storage, folder }
    }

    /// `<folder>/ab/cd/<sha256>.pdf`; `None` unless `sha256` is 64 lowercase hex characters.
    pub fn path_for(&self, sha256: &str) -> Option<String> {
        let ok = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        ok.then(|| {
            format!(
                "{}/{}/{}/{sha256}.pdf",
                self.folder,
                &sha256[0..2],
                &sha256[2..4]
            )
        })
    }

    /// Stores the document atomically (idempotent: an existing file of that hash is kept).
    ///
    /// Errors: errors of the store, with context.
    pub fn put(&self, doc: &CheckedPolicy) -> anyhow::Result<String> {
        use anyhow::Context;
        let rel = self
            .path_for(&doc.sha256)
            .context("Failed to build the policy path")?;
        if self.storage.exists(&rel)? {
            return Ok(rel);
        }
        self.storage
            .put(&rel, &doc.bytes)
            .context("Failed to store the policy document")?;
        Ok(rel)
    }

    /// The bytes of a stored document.
    ///
    /// Errors: a malformed hash, or the file is missing or cannot be read.
    pub fn get(&self, sha256: &str) -> anyhow::Result<Vec<u8>> {
        use anyhow::Context;
        let rel = self
            .path_for(sha256)
            .context("Malformed policy document hash")?;
        self.storage
            .get(&rel)?
            .with_context(|| format!("{} is missing", self.storage.describe(&rel)))
    }
}

/// Files `doc` as the agency's policy effective from `effective` (a new row; an earlier one
/// stays in the history), sets `agencies.fr_policy_date`, stores the file and writes the audit
/// record `agency.policy_upload` (or `agency.policy_replace` when a document was on file), in one
/// transaction; the file is written just before commit.
///
/// Errors: database errors, [`PolicyError::Storage`] when the file cannot be written (nothing is
/// recorded then).
pub fn upload(
    conn: &mut DbConnection,
    store: &PolicyStore,
    actor: &Actor,
    agency: &Agency,
    doc: &CheckedPolicy,
    effective: NaiveDate,
    at: NaiveDateTime,
) -> Result<PolicyDocument, PolicyError> {
    crate::platform::db::write_tx(conn, |c| {
        let before = current(c, agency)?;
        diesel::insert_into(agency_policies::table)
            .values(NewPolicyDocument {
                agency_id: agency.id,
                sha256: &doc.sha256,
                file_name: &doc.file_name,
                byte_size: i64::try_from(doc.bytes.len()).unwrap_or(i64::MAX),
                effective_date: effective,
                uploaded_by: &actor.email,
                uploaded_at: at,
            })
            .execute(c)?;
        diesel::update(agencies::table.find(agency.id))
            .set(agencies::fr_policy_date.eq(Some(effective)))
            .execute(c)?;
        let action = if before.document().is_none() {
            "agency.policy_upload"
        } else {
            "agency.policy_replace"
        };
        audit::record(
            c,
            actor,
            Entry::new(action, "agency", agency.id).details(format!(
                "policy {} ({}, {} bytes, sha256 {}) effective {effective}",
                doc.file_name,
                agency.ori,
                doc.bytes.len(),
                doc.sha256
            )),
        )?;
        store.put(doc)?;
        let newest = agency_policies::table
            .filter(agency_policies::agency_id.eq(agency.id))
            .order(agency_policies::id.desc())
            .select(PolicyDocument::as_select())
            .first(c)?;
        Ok(newest)
    })
}

/// Clears the agency's policy: the current document (if any) is stamped cleared (kept in the
/// history) and `agencies.fr_policy_date` emptied, with the audit record `agency.policy_clear`,
/// in one transaction. The agency then has no policy on file and cannot submit.
///
/// Errors: [`PolicyError::NothingToClear`], database errors.
pub fn clear(
    conn: &mut DbConnection,
    actor: &Actor,
    agency: &Agency,
    at: NaiveDateTime,
) -> Result<(), PolicyError> {
    crate::platform::db::write_tx(conn, |c| {
        let before = current(c, agency)?;
        if let PolicyOnFile::Document(p) = &before {
            diesel::update(agency_policies::table.find(p.id))
                .set((
                    agency_policies::cleared_at.eq(Some(at)),
                    agency_policies::cleared_by.eq(Some(&actor.email)),
                ))
                .execute(c)?;
        }
        let n = diesel::update(
            agencies::table
                .find(agency.id)
                .filter(agencies::fr_policy_date.is_not_null()),
        )
        .set(agencies::fr_policy_date.eq(None::<NaiveDate>))
        .execute(c)?;
        if matches!(before, PolicyOnFile::None) && n == 0 {
            return Err(PolicyError::NothingToClear);
        }
        audit::record(
            c,
            actor,
            Entry::new("agency.policy_clear", "agency", agency.id).details(match &before {
                PolicyOnFile::Document(p) => format!(
                    "policy {} (sha256 {}) effective {} cleared",
                    p.file_name, p.sha256, p.effective_date
                ),
                _ => format!(
                    "date-only record {} cleared",
                    before
                        .effective_date()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            }),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdfs_within_the_limit_pass() {
        assert!(matches!(
            check("a.pdf", Vec::new()),
            Err(PolicyError::Empty)
        ));
        assert!(matches!(
            check("a.docx", b"PK\x03\x04".to_vec()),
            Err(PolicyError::NotPdf(_))
        ));
        assert!(matches!(
            check("a.pdf", vec![b'%'; MAX_BYTES + 1]),
            Err(PolicyError::TooLarge(_))
        ));
        let ok = check("policy.pdf", b"%PDF-1.7\n...".to_vec());
        assert!(ok.is_ok_and(|p| p.sha256.len() == 64));
    }
}
