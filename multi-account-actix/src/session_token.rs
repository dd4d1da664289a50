//! The session-token middleware: makes sure every session has a random
//! `"session_token"` before any multi-account route runs.

use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};

use actix_web::HttpMessage;
use actix_web::http::header::{self, HeaderValue};
use futures_util::future::{Either, LocalBoxFuture};

use crate::request::ResponseCookies;
use crate::session::get_session_token;
use crate::session_keys;

pub use multi_account::session::new_session_token;

/// Whether the session holds a signed-in account (without parsing it).
fn is_signed_in(req: &ServiceRequest, session: &actix_session::Session) -> bool {
    #[cfg(feature = "identity")]
    {
        let key = req
            .app_data::<actix_web::web::Data<crate::MultiAccountConfig>>()
            .and_then(|config| config.core.identity_key())
            .unwrap_or(session_keys::IDENTITY_USER_ID);
        if session.contains_key(key) {
            return true;
        }
    }
    #[cfg(not(feature = "identity"))]
    let _ = req;
    session.contains_key(session_keys::USER)
}

/// Puts a fresh random token in a signed-in session that has none; a no-op
/// otherwise. Anonymous visitors (and static files) get no session from it.
/// With remembered accounts on, it also sets their cookie on the response when
/// a decision changed it.
///
/// Register it *inside* the session middleware (actix runs the last `wrap` first):
///
/// ```
/// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
/// use actix_web::{App, cookie::Key};
///
/// let key = Key::generate();
/// let _app = App::new()
///     .wrap(multi_account_actix::SessionToken)
///     .wrap(SessionMiddleware::new(CookieSessionStore::default(), key));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionToken;

impl<S, B> Transform<S, ServiceRequest> for SessionToken
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SessionTokenMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionTokenMiddleware { service }))
    }
}

/// The service built by [`SessionToken`].
#[derive(Debug)]
pub struct SessionTokenMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for SessionTokenMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Either<S::Future, LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let session = req.get_session();
        if is_signed_in(&req, &session)
            && get_session_token(&session).is_none()
            && let Err(error) = session.insert(session_keys::SESSION_TOKEN, new_session_token())
        {
            tracing::error!(%error, "could not write the session token");
        }
        let remembered = req
            .app_data::<actix_web::web::Data<crate::MultiAccountConfig>>()
            .is_some_and(|config| config.core.remembered().is_some());
        let call = self.service.call(req);
        if !remembered {
            return Either::Left(call);
        }
        Either::Right(Box::pin(async move {
            let mut response = call.await?;
            // The cookies this request's decisions set (remembered accounts):
            // the extractors that decide have no response to set them on.
            let cookies = response.request().extensions_mut().remove::<ResponseCookies>();
            for cookie in cookies.map(|cookies| cookies.0).unwrap_or_default() {
                match HeaderValue::try_from(cookie) {
                    Ok(value) => response.headers_mut().append(header::SET_COOKIE, value),
                    Err(error) => tracing::error!(%error, "multi-account: a cookie that is no header value"),
                }
            }
            Ok(response)
        }))
    }
}
