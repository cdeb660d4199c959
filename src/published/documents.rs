//! Published documents: records the service's system administrators publish on the public
//! transparency page — the service's own FR policy, the training course outline (with who
//! delivers it) and other records (contracts, training agreements, manuals). These are the
//! records the public-records request in `shared/seeds/002` asked for and did not get; LACRIS
//! FR Policy (seed 000, "Training") requires the course to be completed before access, so the
//! outline and its provider are public too.
//!
//! Each upload is a PDF checked like an agency policy ([`crate::agencies::policy::check`]: `%PDF-`,
//! at most 20 MB) and stored content-addressed by SHA-256 under `<data_dir>/published/ab/cd/`
//! ([`crate::agencies::policy::PolicyStore`]). **Each change is a new version** (a row of
//! `published_document_versions`, audited and dated); earlier versions stay downloadable.
//! Withdrawing stamps the document with who, when and why: it stays listed as withdrawn, with
//! its history.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::agencies::policy::{CheckedPolicy, PolicyError, PolicyStore};
use crate::audit::{self, Actor, Entry};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{published_document_versions, published_documents};

/// Longest title accepted (characters).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest course provider accepted (characters).
pub const MAX_PROVIDER_CHARS: usize = 200;
/// Shortest withdrawal reason accepted (characters, after trimming).
pub const MIN_REASON_CHARS: usize = 10;

/// What a published document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// The service's own FR policy (LACRIS FR Policy).
    ServicePolicy,
    /// The outline of the FR training course, with who delivers it (seed 000, "Training").
    TrainingOutline,
    /// Contracts, training agreements, manuals and other records (seed 002).
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::ServicePolicy,
        DocumentKind::TrainingOutline,
        DocumentKind::Other,
    ];
    /// Stored value: `service_policy`, `training_outline`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::ServicePolicy => "service_policy",
            DocumentKind::TrainingOutline => "training_outline",
            DocumentKind::Other => "other",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::ServicePolicy => "Service FR policy",
            DocumentKind::TrainingOutline => "Training course outline",
            DocumentKind::Other => "Other record (contract, agreement, manual)",
        }
    }
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// A row of `published_documents`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = published_documents)]
pub struct DocumentRow {
    pub id: i64,
    pub kind: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<String>,
}

/// One version of a published document (a row of `published_document_versions`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = published_document_versions)]
pub struct DocumentVersion {
    pub id: i64,
    pub document_id: i64,
    /// 1, 2, … in upload order.
    pub version: i32,
    pub title: String,
    /// Who delivers the course (training course outlines).
    pub provider: Option<String>,
    pub effective_date: NaiveDate,
    /// SHA-256 of the PDF, 64 lowercase hex characters.
    pub sha256: String,
    pub file_name: String,
    pub byte_size: i64,
    /// Email of the uploader, or `cli:<user>`.
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = published_document_versions)]
struct NewVersion<'a> {
    document_id: i64,
    version: i32,
    title: &'a str,
    provider: Option<&'a str>,
    effective_date: NaiveDate,
    sha256: &'a str,
    file_name: &'a str,
    byte_size: i64,
    uploaded_by: &'a str,
    uploaded_at: NaiveDateTime,
}

/// A document with its versions, newest first (never empty once published).
#[derive(Debug, Clone)]
pub struct PublishedDocument {
    pub row: DocumentRow,
    pub versions: Vec<DocumentVersion>,
}

impl PublishedDocument {
    pub fn kind(&self) -> Option<DocumentKind> {
        DocumentKind::parse(&self.row.kind)
    }
    /// The kind's label (the stored value if unknown).
    pub fn kind_label(&self) -> &str {
        self.kind()
            .map(DocumentKind::label)
            .unwrap_or(&self.row.kind)
    }
    /// The newest version.
    pub fn current(&self) -> Option<&DocumentVersion> {
        self.versions.first()
    }
    /// The versions before the newest, newest first.
    pub fn earlier(&self) -> &[DocumentVersion] {
        self.versions.get(1..).unwrap_or(&[])
    }
    pub fn is_withdrawn(&self) -> bool {
        self.row.withdrawn_at.is_some()
    }
}

/// What the uploader typed, besides the file.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub title: String,
    pub provider: String,
    pub effective_date: String,
}

/// Details that passed [`check_details`].
#[derive(Debug, Clone)]
pub struct CheckedDetails {
    pub title: String,
    pub provider: Option<String>,
    pub effective: NaiveDate,
}

/// Problems with the typed details, one per field (`None`: the field is fine).
#[derive(Debug, Clone, Default)]
pub struct DetailErrors {
    pub title: Option<String>,
    pub provider: Option<String>,
    pub effective_date: Option<String>,
}

impl DetailErrors {
    pub fn any(&self) -> bool {
        self.title.is_some() || self.provider.is_some() || self.effective_date.is_some()
    }
}

/// Checks the title (1–[`MAX_TITLE_CHARS`] characters), the effective date (YYYY-MM-DD) and,
/// for a [`DocumentKind::TrainingOutline`], the provider (required, at most
/// [`MAX_PROVIDER_CHARS`]); text is cleaned as every typed field is.
///
/// Errors: the message for each field that is wrong.
pub fn check_details(kind: DocumentKind, d: &Details) -> Result<CheckedDetails, DetailErrors> {
    let mut e = DetailErrors::default();
    let title = crate::domain::request::clean(&d.title);
    if title.is_empty() {
        e.title = Some("Give the document's title.".into());
    } else if title.chars().count() > MAX_TITLE_CHARS {
        e.title = Some(format!(
            "The title is longer than {MAX_TITLE_CHARS} characters."
        ));
    }
    let provider = crate::domain::request::clean(&d.provider);
    if kind == DocumentKind::TrainingOutline && provider.is_empty() {
        e.provider = Some("Say who delivers the course (e.g. LACRIS).".into());
    } else if provider.chars().count() > MAX_PROVIDER_CHARS {
        e.provider = Some(format!(
            "The provider is longer than {MAX_PROVIDER_CHARS} characters."
        ));
    }
    let effective = NaiveDate::parse_from_str(d.effective_date.trim(), "%Y-%m-%d").ok();
    if effective.is_none() {
        e.effective_date = Some("Give the date the document took effect (YYYY-MM-DD).".into());
    }
    match effective {
        Some(effective) if !e.any() => Ok(CheckedDetails {
            title,
            provider: (!provider.is_empty()).then_some(provider),
            effective,
        }),
        _ => Err(e),
    }
}

/// Why a change was refused or failed; `Display` is the message for the administrator.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("There is no such published document.")]
    NotFound,
    #[error("This document was withdrawn; publish a new document instead.")]
    Withdrawn,
    #[error("Give the reason for withdrawing in at least 10 characters; it is published.")]
    ReasonTooShort,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Writing the file failed (logged; the user sees a generic error).
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

impl From<PolicyError> for PublishError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Db(e) => PublishError::Db(e),
            PolicyError::Storage(e) => PublishError::Storage(e),
            other => PublishError::Storage(anyhow::Error::new(other)),
        }
    }
}

/// Every published document with its versions, newest document first (withdrawn ones
/// included).
///
/// Errors: database errors.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<PublishedDocument>> {
    let rows: Vec<DocumentRow> = published_documents::table
        .order(published_documents::id.desc())
        .select(DocumentRow::as_select())
        .load(conn)?;
    let mut versions: Vec<DocumentVersion> = published_document_versions::table
        .order((
            published_document_versions::document_id.asc(),
            published_document_versions::version.desc(),
        ))
        .select(DocumentVersion::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut versions)
                .into_iter()
                .partition(|v| v.document_id == row.id);
            versions = rest;
            PublishedDocument {
                row,
                versions: mine,
            }
        })
        .collect())
}

/// One document with its versions.
///
/// Errors: database errors; `Ok(None)` when there is no such document.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<PublishedDocument>> {
    let Some(row) = published_documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let versions = published_document_versions::table
        .filter(published_document_versions::document_id.eq(id))
        .order(published_document_versions::version.desc())
        .select(DocumentVersion::as_select())
        .load(conn)?;
    Ok(Some(PublishedDocument { row, versions }))
}

/// Version `version` of document `id`.
///
/// Errors: database errors; `Ok(None)` when there is no such version.
pub fn find_version(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
) -> QueryResult<Option<DocumentVersion>> {
    published_document_versions::table
        .filter(published_document_versions::document_id.eq(id))
        .filter(published_document_versions::version.eq(version))
        .select(DocumentVersion::as_select())
        .first(conn)
        .optional()
}

fn insert_version(
    c: &mut DbConnection,
    actor: &Actor,
    document_id: i64,
    version: i32,
    d: &CheckedDetails,
    doc: &CheckedPolicy,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(published_document_versions::table)
        .values(NewVersion {
            document_id,
            version,
            title: &d.title,
            provider: d.provider.as_deref(),
            effective_date: d.effective,
            sha256: &doc.sha256,
            file_name: &doc.file_name,
            byte_size: i64::try_from(doc.bytes.len()).unwrap_or(i64::MAX),
            uploaded_by: &actor.email,
            uploaded_at: at,
        })
        .execute(c)?;
    Ok(())
}

fn describe(kind: &str, d: &CheckedDetails, doc: &CheckedPolicy, version: i32) -> String {
    format!(
        "{kind} \"{}\" version {version}{}: {} ({} bytes, sha256 {}) effective {}",
        d.title,
        d.provider
            .as_deref()
            .map(|p| format!(", delivered by {p}"))
            .unwrap_or_default(),
        doc.file_name,
        doc.bytes.len(),
        doc.sha256,
        d.effective
    )
}

/// Publishes a new document of `kind` (version 1), stores the file and writes the audit record
/// `published.publish`, in one transaction (the file is written just before commit).
///
/// Errors: database errors, [`PublishError::Storage`] when the file cannot be written (nothing
/// is recorded then).
pub fn publish(
    conn: &mut DbConnection,
    store: &PolicyStore,
    actor: &Actor,
    kind: DocumentKind,
    details: &CheckedDetails,
    doc: &CheckedPolicy,
    at: NaiveDateTime,
) -> Result<PublishedDocument, PublishError> {
    crate::platform::db::write_tx(conn, |c| {
        diesel::insert_into(published_documents::table)
            .values((
                published_documents::kind.eq(kind.as_str()),
                published_documents::created_by.eq(&actor.email),
                published_documents::created_at.eq(at),
            ))
            .execute(c)?;
        let id: i64 = published_documents::table
            .select(published_documents::id)
            .order(published_documents::id.desc())
            .first(c)?;
        insert_version(c, actor, id, 1, details, doc, at)?;
        audit::record(
            c,
            actor,
            Entry::new("published.publish", "published_document", id).details(describe(
                kind.as_str(),
                details,
                doc,
                1,
            )),
        )?;
        store.put(doc)?;
        find(c, id)?.ok_or(PublishError::NotFound)
    })
}

/// Replaces document `id` with a new version (the earlier ones stay), audit record
/// `published.replace`, in one transaction.
///
/// Errors: [`PublishError::NotFound`], [`PublishError::Withdrawn`], database and storage
/// errors.
pub fn replace(
    conn: &mut DbConnection,
    store: &PolicyStore,
    actor: &Actor,
    id: i64,
    details: &CheckedDetails,
    doc: &CheckedPolicy,
    at: NaiveDateTime,
) -> Result<PublishedDocument, PublishError> {
    crate::platform::db::write_tx(conn, |c| {
        let before = find(c, id)?.ok_or(PublishError::NotFound)?;
        if before.is_withdrawn() {
            return Err(PublishError::Withdrawn);
        }
        let version = before.current().map(|v| v.version).unwrap_or(0) + 1;
        insert_version(c, actor, id, version, details, doc, at)?;
        audit::record(
            c,
            actor,
            Entry::new("published.replace", "published_document", id).details(describe(
                &before.row.kind,
                details,
                doc,
                version,
            )),
        )?;
        store.put(doc)?;
        find(c, id)?.ok_or(PublishError::NotFound)
    })
}

/// Withdraws document `id` with `reason` (published beside it), audit record
/// `published.withdraw`, in one transaction. The document and its versions stay listed and
/// downloadable, marked withdrawn.
///
/// Errors: [`PublishError::ReasonTooShort`], [`PublishError::NotFound`],
/// [`PublishError::Withdrawn`] (already), database errors.
pub fn withdraw(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    reason: &str,
    at: NaiveDateTime,
) -> Result<(), PublishError> {
    let reason = crate::domain::request::clean(reason);
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(PublishError::ReasonTooShort);
    }
    crate::platform::db::write_tx(conn, |c| {
        let before = find(c, id)?.ok_or(PublishError::NotFound)?;
        let n = diesel::update(
            published_documents::table
                .find(id)
                .filter(published_documents::withdrawn_at.is_null()),
        )
        .set((
            published_documents::withdrawn_at.eq(Some(at)),
            published_documents::withdrawn_by.eq(Some(&actor.email)),
            published_documents::withdrawal_reason.eq(Some(&reason)),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(PublishError::Withdrawn);
        }
        audit::record(
            c,
            actor,
            Entry::new("published.withdraw", "published_document", id)
                .reason(&reason)
                .details(format!(
                    "{} \"{}\" withdrawn ({} versions kept)",
                    before.row.kind,
                    before.current().map(|v| v.title.as_str()).unwrap_or(""),
                    before.versions.len()
                )),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(title: &str, provider: &str, date: &str) -> Details {
        Details {
            title: title.into(),
            provider: provider.into(),
            effective_date: date.into(),
        }
    }

    #[test]
    fn a_course_outline_needs_its_provider_and_every_document_a_title_and_date() {
        let e = check_details(DocumentKind::TrainingOutline, &details("", "", "x"))
            .expect_err("all wrong");
        assert!(e.title.is_some() && e.provider.is_some() && e.effective_date.is_some());
        let ok = check_details(
            DocumentKind::TrainingOutline,
            &details(" Course ", "LACRIS", "2026-01-05"),
        )
        .expect("fine");
        assert_eq!(ok.title, "Course");
        assert_eq!(ok.provider.as_deref(), Some("LACRIS"));
        let ok = check_details(DocumentKind::Other, &details("Contract", "", "2026-01-05"))
            .expect("no provider needed");
        assert!(ok.provider.is_none());
        assert_eq!(
            DocumentKind::parse("training_outline"),
            Some(DocumentKind::TrainingOutline)
        );
        assert_eq!(DocumentKind::parse("../x"), None);
    }
}
