//! Checking a disclosure ZIP (issue 17): offline from the ZIP alone, and optionally against the
//! live audit trail.
//!
//! - **manifest_valid**: `manifest.json` parses, every file it lists is in the ZIP with that
//!   SHA-256 and size, and the ZIP holds nothing it does not list (besides the manifest and
//!   its signature).
//! - **signature_valid**: `manifest.json.p7s` is a valid detached CMS signature of the exact
//!   manifest bytes, and — when this desk's certificate is known — made with it.
//! - **audit_chain_valid**: every record of `audit.json` hashes to its stored hash (the
//!   chain's own formula, `src/audit/chain.rs`), consecutive ids link by `prev_hash`, ids
//!   increase, the per-case sequence numbers run without a gap from the manifest's `first_seq`
//!   to its `last_seq` and the count matches the manifest. With the database
//!   ([`against_db`]), each record must also equal the live row, and the live trail must hold
//!   no other record of the case in that sequence range (otherwise `audit_chain_valid` is
//!   false too, and `database_matches` says why).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::audit::chain::hash_entry;
use crate::audit::store::{AuditRecord, NewAuditRecord};
use crate::disclosure::facts::{AUDIT_TIME_FORMAT, audit_json};
use crate::disclosure::package::{MANIFEST, Manifest, SIGNATURE, read_zip, sha256_hex};
use crate::platform::db::DbConnection;
use crate::platform::pdf::cms::verify_detached;

/// One file's check.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub path: String,
    /// SHA-256 of the bytes found (`None`: missing or unreadable).
    pub sha256: Option<String>,
    pub ok: bool,
    /// What is wrong, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// What `frdesk disclosure verify` reports.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The case number the manifest names ("" when unreadable).
    pub case: String,
    pub manifest_valid: bool,
    pub signature_valid: bool,
    pub audit_chain_valid: bool,
    pub files: Vec<FileCheck>,
    pub disclosure_id: String,
    pub signer_fingerprint: Option<String>,
    /// With `--against-db`: every exported audit record equals the live one and none of the
    /// case's records in the exported range is missing from the package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_matches: Option<bool>,
    /// Everything that failed, one sentence each.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// Everything checked holds.
    pub fn all_valid(&self) -> bool {
        self.manifest_valid
            && self.signature_valid
            && self.audit_chain_valid
            && self.database_matches != Some(false)
    }
}

/// Checks `zip` offline. `desk_fingerprint`: this desk's signing certificate, when known (the
/// signature must then be made with it).
pub fn verify_offline(zip: &[u8], desk_fingerprint: Option<&str>) -> VerifyReport {
    let mut r = VerifyReport {
        case: String::new(),
        manifest_valid: false,
        signature_valid: false,
        audit_chain_valid: false,
        files: Vec::new(),
        disclosure_id: String::new(),
        signer_fingerprint: None,
        database_matches: None,
        problems: Vec::new(),
    };
    let entries = match read_zip(zip) {
        Ok(e) => e,
        Err(e) => {
            r.problems.push(format!("not a readable ZIP file: {e}"));
            return r;
        }
    };
    let mut by_name: BTreeMap<String, Result<Vec<u8>, String>> = BTreeMap::new();
    for (name, bytes) in entries {
        if by_name.insert(name.clone(), bytes).is_some() {
            r.problems.push(format!("{name} appears twice in the ZIP"));
        }
    }
    let Some(Ok(manifest_bytes)) = by_name.get(MANIFEST).cloned() else {
        r.problems
            .push(format!("{MANIFEST} is missing or unreadable"));
        return r;
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            r.problems.push(format!("{MANIFEST} does not parse: {e}"));
            return r;
        }
    };
    r.case = manifest.case_number.clone();
    r.disclosure_id = manifest.disclosure_id.clone();

    // The signature over the manifest's exact bytes.
    match by_name.get(SIGNATURE) {
        Some(Ok(sig)) => {
            let c = verify_detached(&manifest_bytes, sig);
            r.signer_fingerprint = c.signer_fingerprint.clone();
            let ours = desk_fingerprint.is_none_or(|f| {
                c.signer_fingerprint
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(f))
            });
            r.signature_valid = c.valid && ours;
            if !c.valid {
                r.problems.push(format!("manifest signature: {}", c.detail));
            } else if !ours {
                r.problems
                    .push("the manifest was signed, but not with this desk's key".into());
            }
            if c.signer_fingerprint.as_deref() != Some(manifest.signer_fingerprint.as_str()) {
                r.signature_valid = false;
                r.problems.push(
                    "the manifest names another signing certificate than the signature's".into(),
                );
            }
        }
        _ => r
            .problems
            .push(format!("{SIGNATURE} is missing or unreadable")),
    }

    // Every listed file, and nothing unlisted.
    let mut manifest_ok = true;
    for f in &manifest.files {
        let check = match by_name.get(&f.path) {
            None => FileCheck {
                path: f.path.clone(),
                sha256: None,
                ok: false,
                problem: Some("missing from the ZIP".into()),
            },
            Some(Err(e)) => FileCheck {
                path: f.path.clone(),
                sha256: None,
                ok: false,
                problem: Some(format!("unreadable: {e}")),
            },
            Some(Ok(b)) => {
                let sha = sha256_hex(b);
                let ok = sha == f.sha256 && b.len() as u64 == f.bytes;
                FileCheck {
                    path: f.path.clone(),
                    problem: (!ok).then(|| "SHA-256 or size differs from the manifest".into()),
                    sha256: Some(sha),
                    ok,
                }
            }
        };
        if !check.ok {
            manifest_ok = false;
            r.problems.push(format!(
                "{}: {}",
                check.path,
                check.problem.clone().unwrap_or_default()
            ));
        }
        r.files.push(check);
    }
    for name in by_name.keys() {
        if name != MANIFEST && name != SIGNATURE && !manifest.files.iter().any(|f| &f.path == name)
        {
            manifest_ok = false;
            r.problems
                .push(format!("{name} is in the ZIP but not in the manifest"));
            r.files.push(FileCheck {
                path: name.clone(),
                sha256: by_name
                    .get(name)
                    .and_then(|b| b.as_ref().ok())
                    .map(|b| sha256_hex(b)),
                ok: false,
                problem: Some("not listed in the manifest".into()),
            });
        }
    }
    r.manifest_valid = manifest_ok;

    // The audit records.
    match by_name.get("audit.json") {
        Some(Ok(b)) => match serde_json::from_slice::<Value>(b) {
            Ok(audit) => {
                let problems = check_audit(&audit, &manifest);
                r.audit_chain_valid = problems.is_empty();
                r.problems.extend(problems);
            }
            Err(e) => r.problems.push(format!("audit.json does not parse: {e}")),
        },
        _ => r
            .problems
            .push("audit.json is missing or unreadable".into()),
    }
    r
}

/// An exported record as the chain's entry (for recomputing its hash).
fn entry_of(v: &Value) -> Option<(i64, NewAuditRecord, String, String)> {
    let text = |k: &str| v.get(k)?.as_str().map(str::to_string);
    let opt_text = |k: &str| match v.get(k) {
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        _ => None,
    };
    let opt_int = |k: &str| match v.get(k) {
        Some(Value::Null) => Some(None),
        Some(n) => n.as_i64().map(Some),
        None => None,
    };
    let at = NaiveDateTime::parse_from_str(&text("at")?, AUDIT_TIME_FORMAT).ok()?;
    Some((
        v.get("id")?.as_i64()?,
        NewAuditRecord {
            at,
            user_id: opt_int("user_id")?,
            user_email: text("user_email")?,
            role: text("role")?,
            agency_id: opt_int("agency_id")?,
            action: text("action")?,
            object_type: text("object_type")?,
            object_id: text("object_id")?,
            outcome: text("outcome")?,
            source_ip: text("source_ip")?,
            user_agent: text("user_agent")?,
            search_reason: opt_text("search_reason")?,
            details: opt_text("details")?,
        },
        text("prev_hash")?,
        text("hash")?,
    ))
}

/// Problems with `audit.json` against the chain's hash formula and the manifest's sequence
/// range; empty when it holds.
fn check_audit(audit: &Value, manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    let records = audit["records"].as_array().cloned().unwrap_or_default();
    if records.len() as u64 != manifest.audit.count {
        problems.push(format!(
            "audit.json holds {} records; the signed manifest says {}",
            records.len(),
            manifest.audit.count
        ));
    }
    let mut expected_seq = manifest.audit.first_seq;
    let mut prev: Option<(i64, String)> = None;
    for v in &records {
        let Some((id, entry, prev_hash, hash)) = entry_of(v) else {
            problems.push(format!("an audit record is malformed: {v}"));
            continue;
        };
        if hash_entry(id, &entry, &prev_hash) != hash {
            problems.push(format!(
                "audit record {id} was altered: its fields no longer match its hash"
            ));
        }
        let seq = v["case_seq"].as_i64();
        if seq != expected_seq {
            problems.push(format!(
                "audit record {id} has case sequence {} where {} was expected: a record of the case is missing",
                seq.map_or("none".into(), |s| s.to_string()),
                expected_seq.map_or("none".into(), |s| s.to_string()),
            ));
        }
        expected_seq = seq.map(|s| s + 1);
        if let Some((pid, phash)) = &prev {
            if id <= *pid {
                problems.push(format!("audit record {id} is out of order"));
            } else if id == pid + 1 && prev_hash != *phash {
                problems.push(format!(
                    "audit record {id} does not follow record {pid} in the chain"
                ));
            }
        }
        prev = Some((id, hash));
    }
    problems.extend(check_signed_heads(audit, &records));
    let last = records.last().and_then(|v| v["case_seq"].as_i64());
    if last != manifest.audit.last_seq {
        problems.push(format!(
            "the last audit record has case sequence {:?}; the signed manifest says {:?}: records were removed",
            last, manifest.audit.last_seq
        ));
    }
    if audit["first_seq"].as_i64() != manifest.audit.first_seq
        || audit["last_seq"].as_i64() != manifest.audit.last_seq
    {
        problems.push("audit.json's sequence range differs from the signed manifest's".into());
    }
    problems
}

/// Problems with `audit.json`'s signed chain heads: each signature must verify over its
/// statement with the desk's certificate, the statement must name the head it is listed with,
/// a head that is one of the exported records must carry that record's hash, and one head
/// must cover the case's last record.
fn check_signed_heads(audit: &Value, records: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let heads = audit["signed_heads"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let last_id = records.last().and_then(|v| v["id"].as_i64()).unwrap_or(0);
    let mut covered = false;
    for h in &heads {
        let statement = h["statement"].as_str().unwrap_or_default();
        let Some(sig) = h["signature_der_hex"]
            .as_str()
            .and_then(|x| hex::decode(x).ok())
        else {
            problems.push("a signed chain head has no readable signature".into());
            continue;
        };
        let c = crate::audit::signed_head::check(statement, &sig);
        if let Some(p) = c.problem {
            problems.push(p);
            continue;
        }
        let Some(st) = c.statement else { continue };
        if Some(st.head_id) != h["head_id"].as_i64()
            || Some(st.head_hash.as_str()) != h["head_hash"].as_str()
            || c.signer_fingerprint.as_deref() != h["signer_fingerprint"].as_str()
        {
            problems.push(format!(
                "the signed chain head of {} is listed with another record, hash or signer than it states",
                st.day
            ));
        }
        if let Some(r) = records
            .iter()
            .find(|r| r["id"].as_i64() == Some(st.head_id))
            && r["hash"].as_str() != Some(st.head_hash.as_str())
        {
            problems.push(format!(
                "audit record {} differs from the chain head signed on {}",
                st.head_id, st.day
            ));
        }
        covered |= st.head_id >= last_id;
    }
    if !records.is_empty() && !covered {
        problems.push("no signed chain head covers the case's last audit record".into());
    }
    problems
}

/// Compares the package's audit records with the live trail: each must equal its row, and the
/// case may have no other record in the exported sequence range. Sets
/// [`VerifyReport::database_matches`] and adds the problems.
///
/// Errors: the database's, or `audit.json` unreadable.
pub fn against_db(
    conn: &mut DbConnection,
    zip: &[u8],
    report: &mut VerifyReport,
) -> anyhow::Result<()> {
    let entries = read_zip(zip)?;
    let audit: Value = entries
        .iter()
        .find(|(n, _)| n == "audit.json")
        .and_then(|(_, b)| b.as_ref().ok())
        .map(|b| serde_json::from_slice(b))
        .transpose()?
        .unwrap_or(Value::Null);
    let records = audit["records"].as_array().cloned().unwrap_or_default();
    let mut ok = true;
    for v in &records {
        let Some(id) = v["id"].as_i64() else {
            continue;
        };
        match AuditRecord::by_id(conn, id)? {
            None => {
                ok = false;
                report
                    .problems
                    .push(format!("audit record {id} is no longer in the database"));
            }
            Some(row) => {
                if audit_json(&row) != *v {
                    ok = false;
                    report.problems.push(format!(
                        "audit record {id} differs between the package and the database"
                    ));
                }
            }
        }
    }
    if let (Some(case_id), Some(first), Some(last)) = (
        audit["case_id"].as_i64(),
        audit["first_seq"].as_i64(),
        audit["last_seq"].as_i64(),
    ) {
        let live = AuditRecord::for_case(conn, case_id)?
            .into_iter()
            .filter(|r| r.case_seq.is_some_and(|s| s >= first && s <= last))
            .count();
        if live != records.len() {
            ok = false;
            report.problems.push(format!(
                "the database holds {live} records of the case in sequence {first}..{last}; the package {}",
                records.len()
            ));
        }
    }
    // Each signed head must still be the live chain's record, and the live chain intact.
    for h in audit["signed_heads"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let (Some(id), Some(hash)) = (h["head_id"].as_i64(), h["head_hash"].as_str()) else {
            continue;
        };
        match AuditRecord::by_id(conn, id)? {
            Some(row) if row.hash == hash => {}
            Some(_) => {
                ok = false;
                report.problems.push(format!(
                    "the database's audit record {id} no longer has the hash the desk signed as the chain head on {}",
                    h["day"].as_str().unwrap_or("?")
                ));
            }
            None => {
                ok = false;
                report.problems.push(format!(
                    "the audit record {id} the desk signed as the chain head is no longer in the database"
                ));
            }
        }
    }
    let chain = crate::audit::chain::verify(conn)?;
    if let Some(p) = &chain.problem {
        ok = false;
        report.problems.push(format!(
            "the live audit chain is broken: {}: {}",
            p.kind, p.message
        ));
    }
    report.database_matches = Some(ok);
    report.audit_chain_valid &= ok;
    Ok(())
}
