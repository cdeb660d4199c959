//! Generated PDFs and their signatures: signed lead packets (what a requester receives when a
//! face search is finished), monthly audit reports and transparency reports.
//!
//! Laying out: [`flow`] is the page-layout engine (built-in fonts from [`text`], drawing
//! operations from [`draw`], images from [`embed`]) and renders the generic
//! [`flow::PlainDocument`]; [`save`] writes every generated file and its Info dictionary.
//!
//! A lead packet takes three steps, each a plain function so the workflow can store what it
//! needs in between:
//!
//! 1. [`crate::result::layout::render`] lays a [`crate::result::packet::LeadPacket`] out as an unsigned PDF (US Letter, built-in Helvetica,
//!    no font files). Every page carries the banner *INVESTIGATIVE LEAD ONLY — NOT A POSITIVE
//!    IDENTIFICATION* at the top and bottom, "Page x of y" and the packet id. The document
//!    Info dictionary holds `/FrdeskPacketId` and `/FrdeskCase` so a returned file can be matched
//!    to its case without reading the page text.
//! 2. [`sign`] appends an incremental update with an invisible signature field whose
//!    `/Contents` is a detached CMS (PKCS#7) signature over every byte of the file except that
//!    hex string (`/SubFilter /adbe.pkcs7.detached`). Poppler's `pdfsig` and Acrobat check it.
//! 3. [`verify`] re-checks a file that comes back: the byte range covers the whole file except
//!    the signature, the digest matches, the CMS signature verifies with the certificate it
//!    carries. Whether that certificate is *ours* is the caller's question:
//!    compare [`Verification::signer_fingerprint`] with [`Signer::fingerprint_sha256`]
//!    (or use [`Verification::is_valid_for`]).
//!
//! The signing key is a [`Signer`]: a self-signed certificate generated on first use and kept
//! in `<data_dir>/signing/`, or a PKCS#12 file for production. See `docs/PACKET.md`.

pub mod cms;
pub mod draw;
pub mod embed;
pub mod error;
pub mod flow;
pub mod pdfobj;
pub mod save;
pub mod sign;
pub mod signer;
pub mod text;
pub mod verify;

pub use error::PacketError;
pub use sign::sign;
pub use signer::Signer;
pub use verify::{Verification, verify};
