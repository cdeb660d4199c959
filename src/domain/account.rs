//! A user's own account changes, parsed from their forms: [`PasswordChange`] exists only when
//! the new password is strong enough, typed twice the same and differs from the current one
//! (NIST SP 800-63B 5.1.1.2; OWASP ASVS V2.1.5/V2.1.6: the current password is asked for).

use serde::Deserialize;

use crate::domain::password;

/// `POST /account/password`: fields `csrf_token`, `current_password`, `new_password`,
/// `confirm_password` (any may be missing; that is a field error, not a 400).
#[derive(Deserialize)]
pub struct PasswordForm {
    pub csrf_token: String,
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm_password: String,
}

/// A well-formed password change; the current password is still to be checked against the
/// stored hash (that needs the database and counts towards the lockout).
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Field errors: `(field, message)` with field `current_password`, `new_password` or
/// `confirm_password`.
pub type FieldErrors = Vec<(&'static str, String)>;

impl PasswordChange {
    /// Parses the form. `user_inputs` (the user's name and email) count as guessable in the
    /// strength check. Passwords are compared as typed (no trimming: spaces are characters).
    pub fn parse(form: &PasswordForm, user_inputs: &[&str]) -> Result<PasswordChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        if form.current_password.is_empty() {
            errors.push(("current_password", "Enter your current password.".into()));
        }
        if form.new_password.is_empty() {
            errors.push(("new_password", "Enter a new password.".into()));
        } else if form.new_password == form.current_password {
            errors.push((
                "new_password",
                "The new password must differ from the current one.".into(),
            ));
        } else if let Err(m) = password::check_strength_for(&form.new_password, user_inputs) {
            errors.push(("new_password", m));
        }
        if form.confirm_password != form.new_password {
            errors.push((
                "confirm_password",
                "The two new passwords differ; type the same one twice.".into(),
            ));
        }
        if errors.is_empty() {
            Ok(PasswordChange {
                current: form.current_password.clone(),
                new: form.new_password.clone(),
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(current: &str, new: &str, confirm: &str) -> PasswordForm {
        PasswordForm {
            csrf_token: String::new(),
            current_password: current.into(),
            new_password: new.into(),
            confirm_password: confirm.into(),
        }
    }

    fn fields(r: Result<PasswordChange, FieldErrors>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn each_mistake_is_named_beside_its_field() {
        let good = "violet harbour tram 1987";
        assert!(PasswordChange::parse(&form("old one", good, good), &[]).is_ok());
        assert_eq!(
            fields(PasswordChange::parse(&form("", good, good), &[])),
            vec!["current_password"]
        );
        assert_eq!(
            fields(PasswordChange::parse(
                &form("old", good, "violet harbour tram 1988"),
                &[]
            )),
            vec!["confirm_password"]
        );
        assert_eq!(
            fields(PasswordChange::parse(&form(good, good, good), &[])),
            vec!["new_password"]
        );
        assert_eq!(
            fields(PasswordChange::parse(&form("old", "short", "short"), &[])),
            vec!["new_password"]
        );
        assert_eq!(
            fields(PasswordChange::parse(&form("", "", "x"), &[])),
            vec!["current_password", "new_password", "confirm_password"]
        );
    }

    #[test]
    fn the_users_own_name_and_email_count_as_guessable() {
        let pw = "dana.reyes@lapd.example";
        assert!(PasswordChange::parse(&form("old", pw, pw), &[]).is_ok());
        assert_eq!(
            fields(PasswordChange::parse(
                &form("old", pw, pw),
                &["Dana Reyes", "dana.reyes@lapd.example"]
            )),
            vec!["new_password"]
        );
    }
}
