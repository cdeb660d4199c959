//! [`CsrfForm<T>`]: a url-encoded form whose synchronizer token has been checked against the
//! session's before the handler runs, so no POST handler can forget the check.

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
}

/// Implements [`HasCsrfToken`] for form structs with a `csrf_token: String` field.
macro_rules! csrf_forms {
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
        let form = web::Form::<T>::from_request(req, payload);
        Box::pin(async move {
            let form = form.await?.into_inner();
            verify_csrf(&session, form.csrf_token())?;
            Ok(CsrfForm(form))
        })
    }
}
