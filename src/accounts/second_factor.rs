//! The second factor (CJIS Security Policy 5.9.5 IA-2(1)/(2); NIST SP 800-63B §5.1.4/5.1.5): a
//! time-based one-time password (TOTP, RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step
//! of clock skew either way) from an authenticator app, and ten single-use recovery codes.
//!
//! - Every account must have one. At the first login after the password, the user enrols: the
//!   page shows a QR code of the `otpauth://` URI and the secret in text; the first correct code
//!   confirms it and the recovery codes are shown once.
//! - A code is accepted once: the newest accepted step is stored, and a code of that step or an
//!   older one is refused ([`MfaError::Replayed`], RFC 6238 §5.2).
//! - Secrets are sealed with AES-256-GCM under the key in `<data_dir>/mfa.key` (32 random bytes,
//!   mode 0600, created on first start); recovery codes are stored as HMAC-SHA256 under the same
//!   key. Losing the key means every user enrols again (an administrator resets each).
//! - A local administrator (web) or an operator (`frdesk user reset-mfa`) can remove a user's
//!   authenticator; the user enrols again at the next login. Audited.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use chrono::NaiveDateTime;
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::accounts::second_factor_store::{RecoveryCode, UserMfa};
use crate::platform::db::DbConnection;

/// Length of a TOTP code (digits).
pub const DIGITS: u8 = 6;
/// Seconds per TOTP step.
pub const STEP_SECONDS: u64 = 30;
/// How many recovery codes an enrolment issues.
pub const RECOVERY_CODES: usize = 10;
/// How long the password step is remembered while the user types the second factor (seconds).
pub const PENDING_SECONDS: i64 = 300;
/// Recovery-code alphabet: Crockford-like base32 without I, L, O, U (no look-alikes).
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a second factor was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error(
        "That code is not right. Type the 6-digit code your authenticator app shows now, or one of your recovery codes."
    )]
    WrongCode,
    #[error("That code was already used. Wait for your authenticator app to show the next code.")]
    Replayed,
    #[error("No authenticator is set up for this account yet.")]
    NotEnrolled,
    #[error("An authenticator is already set up for this account.")]
    AlreadyEnrolled,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Which second factor a login used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// A code from the authenticator app.
    Totp,
    /// A recovery code; `remaining` unused codes are left.
    Recovery { remaining: i64 },
}

/// The key that seals TOTP secrets and keys recovery-code digests. Never logged.
pub struct MfaKey {
    key: [u8; 32],
}

impl std::fmt::Debug for MfaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaKey(..)")
    }
}

impl MfaKey {
    /// Loads `<data_dir>/mfa.key`, creating it (32 random bytes, mode 0600) when missing.
    /// Errors: the file exists with another length, or cannot be read or written.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<MfaKey> {
        let path = data_dir.join("mfa.key");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    anyhow::anyhow!(
                        "{} must hold exactly 32 bytes (it holds {}); restore it from the back-up",
                        path.display(),
                        bytes.len()
                    )
                })?;
                Ok(MfaKey { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                crate::platform::files::write_private(&path, &key)?;
                Ok(MfaKey { key })
            }
            Err(e) => Err(e).with_context(|| format!("Failed to read {}", path.display())),
        }
    }

    /// SHA-256 (hex) of `prefix` followed by the key: identifies the key without revealing
    /// it (`crate::operations::keys`).
    pub fn fingerprint_with(&self, prefix: &[u8]) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(prefix);
        h.update(self.key);
        hex::encode(h.finalize())
    }

    /// A key from bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> MfaKey {
        MfaKey { key }
    }

    /// AES-256-GCM: base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
    fn seal(&self, plain: &[u8], aad: &[u8]) -> anyhow::Result<String> {
        use openssl::symm::{Cipher, encrypt_aead};
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut tag = [0u8; 16];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(&nonce),
            aad,
            plain,
            &mut tag,
        )
        .context("Failed to seal the second-factor secret")?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    fn open(&self, sealed: &str, aad: &[u8]) -> anyhow::Result<Vec<u8>> {
        use openssl::symm::{Cipher, decrypt_aead};
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .context("Sealed second-factor secret is not base64")?;
        if raw.len() < 12 + 16 {
            anyhow::bail!("Sealed second-factor secret is too short");
        }
        let (nonce, rest) = raw.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        decrypt_aead(Cipher::aes_256_gcm(), &self.key, Some(nonce), aad, ct, tag)
            .context("Failed to open the second-factor secret (wrong mfa.key?)")
    }

    /// HMAC-SHA256 of a normalised recovery code, hex.
    fn digest(&self, user_id: i64, code: &str) -> anyhow::Result<String> {
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::sign::Signer;
        let pkey = PKey::hmac(&self.key).context("HMAC key")?;
        let mut s = Signer::new(MessageDigest::sha256(), &pkey).context("HMAC")?;
        s.update(&user_id.to_be_bytes()).context("HMAC")?;
        s.update(code.as_bytes()).context("HMAC")?;
        Ok(hex::encode(s.sign_to_vec().context("HMAC")?))
    }
}

fn aad(user_id: i64) -> Vec<u8> {
    format!("frdesk totp secret v1 user {user_id}").into_bytes()
}

/// The TOTP of a raw secret (20 bytes). `account` is shown in the app (the user's email) and
/// `issuer` is the service name; a ':' in either is replaced, as the URI format requires.
pub fn totp(secret: &[u8], account: &str, issuer: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account.replace(':', " "))
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .map_err(|e| anyhow::anyhow!("Failed to build the TOTP: {e:?}"))
}

fn unix(at: NaiveDateTime) -> u64 {
    u64::try_from(at.and_utc().timestamp()).unwrap_or(0)
}

/// What the enrolment page shows: the secret in base32 (to type in), the `otpauth://` URI and
/// a QR code of it as a base64 PNG.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub uri: String,
    pub qr_png_base64: String,
}

/// Starts (or continues) enrolment of `user_id`: reuses the unconfirmed secret if there is one,
/// otherwise stores a new 160-bit secret. Errors: [`MfaError::AlreadyEnrolled`].
pub fn begin_enrolment(
    conn: &mut DbConnection,
    key: &MfaKey,
    user_id: i64,
    account: &str,
    issuer: &str,
    at: NaiveDateTime,
) -> Result<Enrolment, MfaError> {
    let secret = match UserMfa::find(conn, user_id)? {
        Some(m) if m.confirmed_at.is_some() => return Err(MfaError::AlreadyEnrolled),
        Some(m) => key.open(&m.secret_sealed, &aad(user_id))?,
        None => {
            let mut s = vec![0u8; 20];
            rand::rngs::OsRng.fill_bytes(&mut s);
            UserMfa::put_unconfirmed(conn, user_id, &key.seal(&s, &aad(user_id))?, at)?;
            s
        }
    };
    let t = totp(&secret, account, issuer)?;
    Ok(Enrolment {
        secret_base32: t.secret().to_base32(),
        uri: t
            .to_url()
            .map_err(|e| anyhow::anyhow!("Failed to build the otpauth URI: {e:?}"))?,
        qr_png_base64: t
            .to_qr_base64()
            .map_err(|e| anyhow::anyhow!("Failed to draw the QR code: {e:?}"))?,
    })
}

/// Confirms enrolment with the first code from the app; returns the recovery codes, shown
/// once. Errors: [`MfaError::NotEnrolled`] (no enrolment begun or already confirmed),
/// [`MfaError::WrongCode`].
pub fn confirm_enrolment(
    conn: &mut DbConnection,
    key: &MfaKey,
    user_id: i64,
    code: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>, MfaError> {
    let m = UserMfa::find(conn, user_id)?.ok_or(MfaError::NotEnrolled)?;
    if m.confirmed_at.is_some() {
        return Err(MfaError::AlreadyEnrolled);
    }
    let secret = key.open(&m.secret_sealed, &aad(user_id))?;
    let t = totp(&secret, "x", "x")?;
    let step = t
        .check(&normalise(code), unix(at))
        .ok_or(MfaError::WrongCode)?;
    if !UserMfa::confirm(conn, user_id, i64::try_from(step).unwrap_or(i64::MAX), at)? {
        return Err(MfaError::NotEnrolled);
    }
    issue_recovery_codes(conn, key, user_id, at)
}

/// Replaces `user_id`'s recovery codes by ten new ones, shown once, after a current code from
/// the authenticator app (a recovery code does not do: it would let a stolen code mint more).
/// The code is accepted once, as at login; the old codes stop working in the same transaction
/// the caller holds. Errors: [`MfaError::NotEnrolled`], [`MfaError::WrongCode`] (also for a
/// recovery code), [`MfaError::Replayed`].
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    key: &MfaKey,
    user_id: i64,
    code: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>, MfaError> {
    let m = confirmed(conn, user_id)?;
    let code = normalise(code);
    if !is_totp_shaped(&code) {
        return Err(MfaError::WrongCode);
    }
    accept_totp(conn, key, &m, &code, at)?;
    issue_recovery_codes(conn, key, user_id, at)
}

/// The user's confirmed authenticator; [`MfaError::NotEnrolled`] without one.
fn confirmed(conn: &mut DbConnection, user_id: i64) -> Result<UserMfa, MfaError> {
    UserMfa::find(conn, user_id)?
        .filter(|m| m.confirmed_at.is_some())
        .ok_or(MfaError::NotEnrolled)
}

/// Whether a normalised code looks like a TOTP code (6 digits) rather than a recovery code.
fn is_totp_shaped(code: &str) -> bool {
    code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Accepts a TOTP `code` of `m`'s secret once: its step must be in the skew window and newer
/// than the last accepted one (one conditional update, so two racing requests cannot both
/// use it). Errors: [`MfaError::WrongCode`], [`MfaError::Replayed`].
fn accept_totp(
    conn: &mut DbConnection,
    key: &MfaKey,
    m: &UserMfa,
    code: &str,
    at: NaiveDateTime,
) -> Result<(), MfaError> {
    let secret = key.open(&m.secret_sealed, &aad(m.user_id))?;
    let step = totp(&secret, "x", "x")?
        .check(code, unix(at))
        .ok_or(MfaError::WrongCode)?;
    if UserMfa::accept_step(conn, m.user_id, i64::try_from(step).unwrap_or(i64::MAX))? {
        Ok(())
    } else {
        Err(MfaError::Replayed)
    }
}

/// Ten new recovery codes for `user_id` in place of any old ones; stored as keyed digests.
fn issue_recovery_codes(
    conn: &mut DbConnection,
    key: &MfaKey,
    user_id: i64,
    at: NaiveDateTime,
) -> Result<Vec<String>, MfaError> {
    let codes = new_recovery_codes();
    let digests = codes
        .iter()
        .map(|c| key.digest(user_id, &normalise(c)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    RecoveryCode::replace_all(conn, user_id, &digests, at)?;
    Ok(codes)
}

/// How many unused recovery codes `user_id` has.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i64) -> Result<i64, MfaError> {
    Ok(RecoveryCode::remaining(conn, user_id)?)
}

/// When `user_id`'s authenticator was confirmed, if it was.
pub fn enrolled_at(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<NaiveDateTime>, MfaError> {
    Ok(UserMfa::find(conn, user_id)?.and_then(|m| m.confirmed_at))
}

/// Whether `user_id` has a confirmed authenticator.
pub fn is_enrolled(conn: &mut DbConnection, user_id: i64) -> Result<bool, MfaError> {
    Ok(UserMfa::find(conn, user_id)?.is_some_and(|m| m.confirmed_at.is_some()))
}

/// Checks a second factor: a 6-digit TOTP code (accepted once) or an unused recovery code
/// (spaces and dashes ignored, case-insensitive). Errors: [`MfaError::NotEnrolled`],
/// [`MfaError::WrongCode`], [`MfaError::Replayed`].
pub fn verify(
    conn: &mut DbConnection,
    key: &MfaKey,
    user_id: i64,
    code: &str,
    at: NaiveDateTime,
) -> Result<Factor, MfaError> {
    let m = confirmed(conn, user_id)?;
    let code = normalise(code);
    if is_totp_shaped(&code) {
        accept_totp(conn, key, &m, &code, at)?;
        return Ok(Factor::Totp);
    }
    if code.is_empty() || code.len() > 32 {
        return Err(MfaError::WrongCode);
    }
    if RecoveryCode::use_code(conn, user_id, &key.digest(user_id, &code)?, at)? {
        Ok(Factor::Recovery {
            remaining: RecoveryCode::remaining(conn, user_id)?,
        })
    } else {
        Err(MfaError::WrongCode)
    }
}

/// Removes `user_id`'s authenticator and recovery codes; returns whether one was set up.
pub fn reset(conn: &mut DbConnection, user_id: i64) -> Result<bool, MfaError> {
    Ok(UserMfa::remove(conn, user_id)?)
}

/// Upper-case, without spaces and dashes.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Ten codes of 10 characters (50 bits each), shown as `XXXXX-XXXXX`.
fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; 10];
            rng.fill_bytes(&mut b);
            let s: String = b
                .iter()
                .map(|x| char::from(CODE_ALPHABET[usize::from(x & 31)]))
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vectors_for_sha1() {
        // RFC 6238 Appendix B, SHA-1, secret "12345678901234567890", 8 digits there; the last
        // 6 digits are the 6-digit code.
        let t = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(Secret::from(b"12345678901234567890".to_vec()))
            .with_account_name("a")
            .build_noncompliant();
        assert_eq!(t.generate(59).to_string(), "94287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "07081804");
        assert_eq!(t.generate(2_000_000_000).to_string(), "69279037");
    }

    #[test]
    fn secrets_are_sealed_and_bound_to_their_user() {
        let k = MfaKey::from_bytes([7; 32]);
        let sealed = k.seal(b"a secret of twenty b", &aad(1)).unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(k.open(&sealed, &aad(1)).unwrap(), b"a secret of twenty b");
        assert!(k.open(&sealed, &aad(2)).is_err(), "moved to another user");
        let other = MfaKey::from_bytes([8; 32]);
        assert!(other.open(&sealed, &aad(1)).is_err(), "another key");
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalise() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        assert_eq!(normalise(" abcde-fghjk "), "ABCDEFGHJK");
    }
}
