//! The desk's keys across instances (issue 18, "Keys"): the session-cookie key, the
//! second-factor sealing key and the packet-signing certificate are one set for every
//! instance. Each instance compares their fingerprints with the `desk_keys` rows at start-up
//! and refuses to start with a different key; the first instance records them. A deliberate
//! replacement (a new PKCS#12, a regenerated key) is recorded with `frdesk keys accept`.
//!
//! A fingerprint is the SHA-256 (hex) of `frdesk-key|<name>|` followed by the key's bytes —
//! for the signing key, the certificate's SHA-256 fingerprint. It identifies a key without
//! revealing it; the keys themselves are never stored in the database nor logged.

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::platform::db::DbConnection;
use crate::platform::db::schema::desk_keys;
use crate::platform::time::{fmt_time, now};

/// `desk_keys.name` of the session-cookie key (`<data_dir>/session.key`).
pub const SESSION: &str = "session";
/// `desk_keys.name` of the second-factor sealing key (`<data_dir>/mfa.key`).
pub const SECOND_FACTOR: &str = "second_factor";
/// `desk_keys.name` of the packet-signing certificate (`packet.pkcs12_path` or the generated
/// `<data_dir>/signing/`).
pub const PACKET_SIGNING: &str = "packet_signing";

/// The file of the session-cookie key in the data folder.
pub const SESSION_KEY_FILE: &str = "session.key";

/// One key of this instance, by fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFingerprint {
    /// [`SESSION`], [`SECOND_FACTOR`] or [`PACKET_SIGNING`].
    pub name: &'static str,
    /// 64 hex characters.
    pub fingerprint: String,
}

impl KeyFingerprint {
    /// The fingerprint of secret key bytes under `name`.
    pub fn of_secret(name: &'static str, key: &[u8]) -> KeyFingerprint {
        let mut h = Sha256::new();
        h.update(prefix(name));
        h.update(key);
        KeyFingerprint {
            name,
            fingerprint: hex::encode(h.finalize()),
        }
    }
}

/// A `desk_keys` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = desk_keys)]
pub struct DeskKey {
    pub name: String,
    pub fingerprint: String,
    pub recorded_at: NaiveDateTime,
    /// `first start of an instance` or the operator who accepted it.
    pub recorded_by: String,
}

/// Why an instance may not start with its keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "This instance's {what} (fingerprint {ours}…) is not the desk's (fingerprint {theirs}…, recorded {at} by {by}): every instance must use the same keys (docs/DEPLOYMENT.md, \"Keys\"). Give this instance the desk's key; if the desk's key was replaced on purpose, run `frdesk keys accept` once with the new one."
    )]
    Mismatch {
        what: &'static str,
        ours: String,
        theirs: String,
        at: String,
        by: String,
    },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What is hashed before a key's bytes: `frdesk-key|<name>|`.
fn prefix(name: &str) -> Vec<u8> {
    format!("frdesk-key|{name}|").into_bytes()
}

fn describe(name: &str) -> &'static str {
    match name {
        SESSION => "session key (session.key)",
        SECOND_FACTOR => "second-factor sealing key (mfa.key)",
        _ => "packet-signing certificate",
    }
}

/// The recorded keys, by name. Errors: the database's.
pub fn recorded(conn: &mut DbConnection) -> QueryResult<Vec<DeskKey>> {
    desk_keys::table
        .order(desk_keys::name.asc())
        .select(DeskKey::as_select())
        .load(conn)
}

/// Compares `keys` with the recorded ones; records any not recorded yet (the first instance,
/// or a key added by an upgrade). Returns the names recorded now.
///
/// Errors: [`KeyError::Mismatch`] for the first key that differs (nothing is recorded then);
/// the database's.
pub fn check_or_record(
    conn: &mut DbConnection,
    keys: &[KeyFingerprint],
) -> Result<Vec<&'static str>, KeyError> {
    crate::platform::db::write_tx(conn, |c| {
        let mut added = Vec::new();
        for k in keys {
            let have: Option<DeskKey> = desk_keys::table
                .find(k.name)
                .select(DeskKey::as_select())
                .first(c)
                .optional()?;
            match have {
                Some(d) if d.fingerprint == k.fingerprint => {}
                Some(d) => {
                    return Err(KeyError::Mismatch {
                        what: describe(k.name),
                        ours: k.fingerprint.chars().take(16).collect(),
                        theirs: d.fingerprint.chars().take(16).collect(),
                        at: fmt_time(&d.recorded_at),
                        by: d.recorded_by,
                    });
                }
                None => {
                    insert(c, k, "first start of an instance")?;
                    added.push(k.name);
                }
            }
        }
        Ok(added)
    })
}

fn insert(c: &mut DbConnection, k: &KeyFingerprint, by: &str) -> QueryResult<()> {
    diesel::insert_into(desk_keys::table)
        .values((
            desk_keys::name.eq(k.name),
            desk_keys::fingerprint.eq(&k.fingerprint),
            desk_keys::recorded_at.eq(now()),
            desk_keys::recorded_by.eq(by),
        ))
        .execute(c)
        .map(|_| ())
}

/// Records `keys` as the desk's (a deliberate replacement), with an audit record
/// `keys.accept` naming each changed key's old and new fingerprint. Returns the names that
/// changed.
///
/// Errors: the database's.
pub fn accept(
    conn: &mut DbConnection,
    actor: &crate::audit::Actor,
    keys: &[KeyFingerprint],
) -> QueryResult<Vec<&'static str>> {
    crate::platform::db::write_tx(conn, |c| {
        let mut changed = Vec::new();
        let mut details = Vec::new();
        for k in keys {
            let old: Option<String> = desk_keys::table
                .find(k.name)
                .select(desk_keys::fingerprint)
                .first(c)
                .optional()?;
            if old.as_deref() == Some(k.fingerprint.as_str()) {
                continue;
            }
            diesel::delete(desk_keys::table.find(k.name)).execute(c)?;
            insert(c, k, &actor.email)?;
            details.push(format!(
                "{}: {} -> {}",
                k.name,
                old.as_deref().unwrap_or("none"),
                k.fingerprint
            ));
            changed.push(k.name);
        }
        if !changed.is_empty() {
            crate::audit::record(
                c,
                actor,
                crate::audit::Entry::new("keys.accept", "desk_keys", 0).details(details.join("; ")),
            )?;
        }
        Ok(changed)
    })
}

/// The session-cookie key: 64 random bytes in `<data_dir>/session.key`, created on first start
/// with mode 0600 (the single-instance default; several instances are given the same file).
/// Never logged.
///
/// Errors: the file cannot be written.
pub fn session_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    let path = data_dir.join(SESSION_KEY_FILE);
    if let Ok(bytes) = std::fs::read(&path)
        && bytes.len() >= 64
    {
        return Ok(bytes);
    }
    let mut bytes = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::platform::files::write_private(&path, &bytes)
        .with_context(|| format!("Failed to write {}", path.display()))?;
    Ok(bytes.to_vec())
}

/// This instance's keys by fingerprint, as configured: the session key, the second-factor key
/// and the packet-signing certificate (each loaded, or generated on first run).
///
/// Errors: a key cannot be read or generated.
pub fn of_settings(settings: &crate::config::Settings) -> anyhow::Result<Vec<KeyFingerprint>> {
    let session = session_key(&settings.data_dir)?;
    let mfa = crate::accounts::second_factor::MfaKey::load_or_create(&settings.data_dir)?;
    let signer = settings.packet_signer()?;
    Ok(fingerprints(&session, &mfa, &signer))
}

/// The fingerprints of loaded keys.
pub fn fingerprints(
    session: &[u8],
    mfa: &crate::accounts::second_factor::MfaKey,
    signer: &crate::platform::pdf::Signer,
) -> Vec<KeyFingerprint> {
    vec![
        KeyFingerprint::of_secret(SESSION, session),
        KeyFingerprint {
            name: SECOND_FACTOR,
            fingerprint: mfa.fingerprint_with(&prefix(SECOND_FACTOR)),
        },
        KeyFingerprint {
            name: PACKET_SIGNING,
            fingerprint: signer.fingerprint_sha256(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_names_the_key_and_hides_it() {
        let a = KeyFingerprint::of_secret(SESSION, &[7u8; 64]);
        let b = KeyFingerprint::of_secret(SESSION, &[8u8; 64]);
        let c = KeyFingerprint::of_secret(SECOND_FACTOR, &[7u8; 64]);
        assert_eq!(a.fingerprint.len(), 64);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint, "the name is part of it");
        assert!(!a.fingerprint.contains(&hex::encode([7u8; 8])));
        let mfa = crate::accounts::second_factor::MfaKey::from_bytes([7u8; 32]);
        assert_eq!(
            mfa.fingerprint_with(&prefix(SECOND_FACTOR)),
            KeyFingerprint::of_secret(SECOND_FACTOR, &[7u8; 32]).fingerprint,
            "the same rule for every key"
        );
    }
}
