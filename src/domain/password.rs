//! How strong a new password must be (NIST SP 800-63B 5.1.1.2): length limits and Dropbox's
//! zxcvbn estimate against common passwords, names and words. Pure: no I/O.

/// Shortest password accepted (NIST 800-63B asks for at least 8; we ask for 12).
pub const MIN_LEN: usize = 12;

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
}
