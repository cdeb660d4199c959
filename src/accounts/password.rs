//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes) in PHC
//! string format. Passwords are never logged.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

/// Shortest password accepted (NIST 800-63B asks for at least 8; we ask for 12).
pub const MIN_LEN: usize = 12;

/// Hashes a password; errors only if the hasher fails.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("Failed to hash the password: {e}"))
}

/// Whether `password` matches the PHC `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash used to spend the same time on unknown accounts as on known ones.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("dummy-password-for-timing").unwrap_or_default());
    let _ = verify(password, &DUMMY);
}

/// Checks a new password's strength; the message is for the user. Refuses passwords shorter
/// than [`MIN_LEN`] or longer than 256 characters, and any that zxcvbn (Dropbox's estimator,
/// with its lists of common passwords, names and words) scores below 3 of 4 — e.g. a common
/// password padded to length, a keyboard walk or a repeated word (NIST SP 800-63B 5.1.1.2:
/// compare against commonly used, expected or compromised values).
pub fn check_strength(password: &str) -> Result<(), String> {
    check_strength_for(password, &[])
}

/// As [`check_strength`], also counting `user_inputs` (the user's name, email) as guessable.
pub fn check_strength_for(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    if password.chars().count() < MIN_LEN {
        return Err(format!("Passwords must be at least {MIN_LEN} characters."));
    }
    if password.chars().count() > 256 {
        return Err("Passwords must be at most 256 characters.".into());
    }
    let mut inputs = vec!["frdesk", "face search", "lacris"];
    inputs.extend_from_slice(user_inputs);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if u8::from(estimate.score()) < 3 {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(format!(
            "That password is too easy to guess{why}; use a longer passphrase of unrelated words."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_guessable_passwords_are_refused() {
        for weak in [
            "password1234",
            "qwertyuiop12",
            "aaaaaaaaaaaaaaaa",
            "123456789012",
            "iloveyou2026!",
        ] {
            assert!(check_strength(weak).is_err(), "{weak} accepted");
        }
        for strong in [
            "a long test password 42",
            "violet tractor mango seventeen",
            "Qm7#pX2v!Lr9wZ4t",
        ] {
            assert_eq!(check_strength(strong), Ok(()), "{strong} refused");
        }
        assert!(check_strength("short").is_err());
    }

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }
}
