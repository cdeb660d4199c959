//! The disclosure ZIP (issue 17): the facts as JSON, the original files, `manifest.json`
//! listing the SHA-256 and size of every other file, and `manifest.json.p7s`, a detached CMS
//! signature of the manifest with the desk's packet-signing key.
//!
//! ```text
//! manifest.json         {"format", "disclosure_id", "case_number", "made_at", "redacted",
//!                        "unredacted_under_order", "signer_fingerprint", "audit": {"count",
//!                        "first_seq", "last_seq"}, "files": [{"path", "sha256", "bytes"}]}
//! manifest.json.p7s     DER PKCS#7, detached, over the exact bytes of manifest.json
//! signing-certificate.pem, disclosure.json, system.json, … audit.json, report.pdf,
//! images/probe-N-….jpg, packets/….pdf, system/model-manifest.toml
//! ```

use std::io::{Cursor, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::pdf::Signer;
use crate::platform::pdf::cms::sign_detached;

/// Name of the manifest in the ZIP.
pub const MANIFEST: &str = "manifest.json";
/// Name of the manifest's detached signature in the ZIP.
pub const SIGNATURE: &str = "manifest.json.p7s";
/// Name of the signed PDF report in the ZIP.
pub const REPORT: &str = "report.pdf";
/// Name of the signing certificate (PEM) in the ZIP.
pub const CERTIFICATE: &str = "signing-certificate.pem";

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    /// SHA-256 of the file's bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub bytes: u64,
}

/// The case's audit records in the package: how many, and the first and last per-case
/// sequence numbers (signed here, so a record removed from `audit.json` shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestAudit {
    pub count: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub disclosure_id: String,
    pub case_number: String,
    pub made_at: String,
    pub redacted: bool,
    pub unredacted_under_order: Option<String>,
    /// SHA-256 of the signing certificate (as in `frdesk packet verify`).
    pub signer_fingerprint: String,
    pub audit: ManifestAudit,
    pub files: Vec<ManifestFile>,
}

/// SHA-256 (hex) of `b`.
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Builds the ZIP of `files` ((path, bytes); paths unique, `/`-separated) with the manifest
/// (`head` with its `files` filled in here) and its signature. Returns (ZIP bytes, manifest
/// bytes).
///
/// Errors: a duplicate path, writing the ZIP, or signing failed.
pub fn build_zip(
    head: Manifest,
    files: &[(String, Vec<u8>)],
    signer: &Signer,
) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let mut manifest = head;
    manifest.files = files
        .iter()
        .map(|(p, b)| ManifestFile {
            path: p.clone(),
            sha256: sha256_hex(b),
            bytes: b.len() as u64,
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for f in &manifest.files {
        if !seen.insert(f.path.as_str()) || f.path == MANIFEST || f.path == SIGNATURE {
            anyhow::bail!("duplicate or reserved path in the package: {}", f.path);
        }
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let signature = sign_detached(&manifest_bytes, signer)?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let compressed =
            name.ends_with(".json") || name.ends_with(".toml") || name.ends_with(".pem");
        zip.start_file(name, if compressed { deflated } else { stored })?;
        zip.write_all(bytes)?;
        Ok(())
    };
    put(MANIFEST, &manifest_bytes)?;
    put(SIGNATURE, &signature)?;
    for (p, b) in files {
        put(p, b)?;
    }
    let out = zip.finish()?.into_inner();
    Ok((out, manifest_bytes))
}

/// Every file of a ZIP as (name, bytes), in the ZIP's order. A file that cannot be read
/// whole (bad CRC, unsupported method) is returned with the error text instead of bytes.
///
/// Errors: the bytes are not a ZIP archive.
/// A ZIP's entries as read: (name, bytes or why they could not be read).
pub type ZipEntries = Vec<(String, Result<Vec<u8>, String>)>;

/// Files by name, in order: (path inside the package, bytes).
pub type NamedFiles = Vec<(String, Vec<u8>)>;

pub fn read_zip(bytes: &[u8]) -> anyhow::Result<ZipEntries> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut out = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        match archive.by_index(i) {
            Ok(mut f) => {
                let name = f
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|e| format!("#{i} ({e})"));
                let mut buf = Vec::new();
                let read = f
                    .read_to_end(&mut buf)
                    .map(|_| buf)
                    .map_err(|e| e.to_string());
                out.push((name, read));
            }
            Err(e) => out.push((format!("#{i}"), Err(e.to_string()))),
        }
    }
    Ok(out)
}

/// Writes `files` ((name, bytes)) as a ZIP in that order (for tools and tests that rebuild a
/// package). Errors: writing failed.
pub fn write_zip(files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(
            name.as_str(),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}
