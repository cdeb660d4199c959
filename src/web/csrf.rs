//! [`CsrfForm<T>`]: a url-encoded form whose synchronizer token has been checked against the
//! session's before the handler runs, so no POST handler can forget the check, and whose text
//! has been cleaned ([`clean_pairs`], rules in `crate::domain::text`), so no handler can
//! forget that either.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::web::session::verify_csrf;

/// A form that carries the session's CSRF token in its `csrf_token` field.
pub trait HasCsrfToken {
    /// The submitted token.
    fn csrf_token(&self) -> &str;
    /// Names of the form's multi-line fields (textareas), cleaned by
    /// [`crate::domain::text::multi_line`]; every other field is single-line.
    const MULTI_LINE: &'static [&'static str] = &[];
}

/// Implements [`HasCsrfToken`] for form structs with a `csrf_token: String` field:
/// `csrf_forms!(A, B)` for forms of single-line fields only, `csrf_forms!(C; multi_line: ["comment"])`
/// for a form with textareas.
macro_rules! csrf_forms {
    ($ty:ty; multi_line: [$($field:literal),+ $(,)?]) => {
        impl $crate::web::csrf::HasCsrfToken for $ty {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
            const MULTI_LINE: &'static [&'static str] = &[$($field),+];
        }
    };
    ($($ty:ty),+ $(,)?) => {
        $(impl $crate::web::csrf::HasCsrfToken for $ty {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use csrf_forms;

/// A url-encoded form of type `T` whose CSRF token matched the session's.
///
/// Errors (as responses): 400 for a form that does not parse, 403 for a missing or wrong token.
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    /// The checked form.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + HasCsrfToken + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let pairs = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move {
            let pairs = clean_pairs(pairs.await?.into_inner(), |k| T::MULTI_LINE.contains(&k));
            let encoded =
                serde_urlencoded::to_string(&pairs).map_err(actix_web::error::ErrorBadRequest)?;
            let form: T =
                serde_urlencoded::from_str(&encoded).map_err(actix_web::error::ErrorBadRequest)?;
            verify_csrf(&session, form.csrf_token())?;
            Ok(CsrfForm(form))
        })
    }
}

/// Cleans the values of a url-encoded form (name, value pairs) with `crate::domain::text`:
/// [`multi_line`](crate::domain::text::multi_line) where `is_multi_line(name)`, else
/// [`single_line`](crate::domain::text::single_line). Passwords (a name containing
/// `password`) are left exactly as typed: they are compared, never shown, and cleaning would
/// change them.
pub fn clean_pairs(
    pairs: Vec<(String, String)>,
    is_multi_line: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    use crate::domain::text::{multi_line, single_line};
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = if k.contains("password") {
                v
            } else if is_multi_line(&k) {
                multi_line(&v)
            } else {
                single_line(&v)
            };
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::clean_pairs;

    #[test]
    fn values_are_cleaned_by_kind_and_passwords_left_alone() {
        let pairs = vec![
            ("reason".to_string(), "a\u{0}b\r\nc\u{202E}".to_string()),
            ("comment".to_string(), "a\u{7}b\r\nc\u{2066}".to_string()),
            ("password".to_string(), "p\u{7}w\td\u{202E}".to_string()),
            ("new_password".to_string(), " x\u{200D}y ".to_string()),
        ];
        let out = clean_pairs(pairs, |k| k == "comment");
        assert_eq!(out[0].1, "ab c");
        assert_eq!(out[1].1, "ab\nc");
        assert_eq!(out[2].1, "p\u{7}w\td\u{202E}");
        assert_eq!(out[3].1, " x\u{200D}y ");
    }
}
