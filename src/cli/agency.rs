//! `frdesk agency policy|clear-policy|suspend|reinstate|accept-terms`: the agency documents and
//! suspension from the command line, audited with the actor `cli:<user>` (see
//! [`crate::agencies`]).

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;

use crate::accounts::store::Agency;
use crate::agencies::{policy, suspension, terms};
use crate::audit::Actor;
use crate::config::Settings;
use crate::platform::db::DbConnection;
use crate::platform::time::now;

fn agency(conn: &mut DbConnection, ori: &str) -> anyhow::Result<Agency> {
    Agency::by_ori(conn, &ori.trim().to_uppercase())?
        .with_context(|| format!("No agency with ORI {ori}"))
}

/// Files `file` (a PDF of at most 20 MB) as the agency's policy effective from `effective`.
///
/// Errors: no such agency, unreadable file, not a PDF or too large, database or storage errors.
pub fn file_policy(
    settings: &Settings,
    conn: &mut DbConnection,
    actor: &Actor,
    ori: &str,
    file: &Path,
    effective: NaiveDate,
) -> anyhow::Result<()> {
    let a = agency(conn, ori)?;
    let bytes =
        std::fs::read(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("policy.pdf");
    let doc = policy::check(name, bytes)?;
    let store = policy::PolicyStore::new(settings.file_store_with_own_pool()?, "policies");
    let p = policy::upload(conn, &store, actor, &a, &doc, effective, now())?;
    println!(
        "Policy {} filed for {} ({}), effective {} (sha256 {}).",
        p.file_name, a.name, a.ori, p.effective_date, p.sha256
    );
    if effective > chrono::Utc::now().date_naive() {
        println!(
            "Note: the effective date is in the future; until then the policy does not count."
        );
    }
    Ok(())
}

/// Clears the agency's policy (it then has none on file).
///
/// Errors: no such agency, nothing to clear, database errors.
pub fn clear_policy(conn: &mut DbConnection, actor: &Actor, ori: &str) -> anyhow::Result<()> {
    let a = agency(conn, ori)?;
    policy::clear(conn, actor, &a, now())?;
    println!("Policy of {} ({}) cleared.", a.name, a.ori);
    Ok(())
}

/// Suspends the agency with `reason`.
///
/// Errors: no such agency, reason too short, the service agency, already suspended, database.
pub fn suspend(
    conn: &mut DbConnection,
    actor: &Actor,
    ori: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let a = agency(conn, ori)?;
    suspension::suspend(conn, actor, &a, reason, now())?;
    println!("{} ({}) is suspended.", a.name, a.ori);
    Ok(())
}

/// Reinstates a suspended agency.
///
/// Errors: no such agency, not suspended, database errors.
pub fn reinstate(
    conn: &mut DbConnection,
    actor: &Actor,
    ori: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let a = agency(conn, ori)?;
    suspension::reinstate(conn, actor, &a, reason)?;
    println!("{} ({}) is reinstated.", a.name, a.ori);
    Ok(())
}

/// Records the acceptance of the current terms of use for the agency.
///
/// Errors: no such agency, database errors.
pub fn accept_terms(conn: &mut DbConnection, actor: &Actor, ori: &str) -> anyhow::Result<()> {
    let a = agency(conn, ori)?;
    let (acc, new) = terms::accept(conn, actor, &a, now())?;
    if new {
        println!(
            "Terms of use version {} accepted for {} ({}).",
            acc.version, a.name, a.ori
        );
    } else {
        println!(
            "{} ({}) already accepted version {} ({} on {}).",
            a.name,
            a.ori,
            acc.version,
            acc.accepted_by,
            crate::platform::time::fmt_time(&acc.accepted_at)
        );
    }
    Ok(())
}
