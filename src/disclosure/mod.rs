//! Disclosure for court (issue 17; State v. Arteaga, State v. Miles): a signed, verifiable
//! record of how a lead was produced — the system, its error rates, the gallery, the request,
//! the probes, every search, the examination, the packets and the case's audit records — as
//! a signed PDF report and a ZIP of the same facts with a signed manifest. See
//! `docs/DISCLOSURE.md`.
//!
//! - [`store`]: the `disclosures` rows (basis, redaction, order, salt, file hashes, people).
//! - [`facts`]: assembling the facts from the database and the stores.
//! - [`redact`]: non-lead candidates replaced by rank, score and a salted hash.
//! - [`report`]: the PDF report.
//! - [`package`]: the ZIP, its manifest and the manifest's signature.
//! - [`export`]: prepare, approve, write, release (audit, timeline, dissemination log, email).
//! - [`verify`]: checking a ZIP offline and against the live audit trail.

pub mod export;
pub mod facts;
pub mod package;
pub mod redact;
pub mod report;
pub mod store;
pub mod verify;
