//! `POST /api/sign-in`: the password sign-in over JSON, for a page driven by
//! `fetch` (the demo's `/spa`). The same sign-in as the HTML form's — the same
//! throttle, password check and `plan_sign_in` decision
//! ([`crate::sign_in::check`]), then `MultiAccountConfig::sign_in` — answered
//! as JSON. This module is its framework-free part: which requests are
//! admitted, what the body must be, and what each outcome answers; each
//! framework's handler runs the steps in this order:
//!
//! 1. [`admit`]: a request another site sent is refused (`forbidden`), even
//!    with the right token;
//! 2. the `X-CSRF-Token` header must be the session's token (`csrf`): a
//!    login-CSRF defence, as the HTML form's hidden field;
//! 3. [`parse`]: `application/json`, `{"email":…,"password":…}`, and
//!    optionally `"return_to"`, as the HTML form's field (the link path of
//!    "Add another account": the `return_to` of the `sign_in` URL that
//!    `POST /link/api/link/start` answered);
//! 4. the password check; a judged failure rotates the token (one token, one
//!    guess; `GET /link/api/accounts` answers the new one);
//! 5. [`planned`]: the library's [`SignInPlan`];
//! 6. the sign-in, which renews the session and rotates the token:
//!    [`signed_in`] answers the new token.
//!
//! Nothing is written on a refused request but that rotation.

use multi_account::session::SignInPlan;
use serde::{Deserialize, Serialize};

use crate::User;
use crate::api_error::{ApiRefusal, MALFORMED, json_bytes};
use crate::sign_in::Credentials;

/// Where the JSON sign-in is served.
pub(crate) const PATH: &str = "/api/sign-in";

/// The request body as sent.
#[derive(Deserialize)]
struct Body {
    email: String,
    password: String,
    #[serde(default)]
    return_to: Option<String>,
}

/// A well-formed JSON sign-in request.
pub(crate) struct SignInRequest {
    pub(crate) credentials: Credentials,
    /// A local path, or `None` ([`multi_account::session::local_path`]).
    pub(crate) return_to: Option<String>,
}

/// The answer of a sign-in: `{"csrf_token":…}`.
#[derive(Serialize)]
struct SignedIn<'a> {
    csrf_token: &'a str,
}

/// Refuses a request that another site sent: `same_origin` is the adapter's
/// `csrf::is_same_origin`, the rule every multi-account route applies
/// (`Sec-Fetch-Site` and `Origin`).
pub(crate) fn admit(same_origin: bool) -> Result<(), ApiRefusal> {
    if same_origin {
        return Ok(());
    }
    tracing::info!("JSON sign-in refused: cross-site request");
    Err(ApiRefusal::Forbidden)
}

/// The refusal of a missing or wrong CSRF token.
pub(crate) fn bad_token() -> ApiRefusal {
    tracing::info!("JSON sign-in refused: bad CSRF token");
    ApiRefusal::Csrf
}

/// Reads the request: `content_type` must be `application/json` (any
/// parameters), `body` (`None`: it could not be read whole, or is larger than
/// the demo accepts) a JSON object with the string fields `email` and
/// `password`, and optionally `return_to`. A `return_to` that is not a local
/// path is dropped, as the HTML form's is.
pub(crate) fn parse(content_type: Option<&str>, body: Option<&[u8]>) -> Result<SignInRequest, ApiRefusal> {
    let is_json = content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    let Some(body) = body.filter(|_| is_json) else {
        tracing::info!(content_type, "JSON sign-in refused: not a readable JSON body");
        return Err(ApiRefusal::MalformedRequest(MALFORMED));
    };
    // An object (serde would take a struct from an array too), then its fields.
    let body = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .and_then(|object| serde_json::from_value::<Body>(serde_json::Value::Object(object)))
        .map_err(|error| {
            tracing::info!(%error, "JSON sign-in refused: malformed body");
            ApiRefusal::MalformedRequest(MALFORMED)
        })?;
    let return_to = body.return_to.as_deref().and_then(multi_account::session::local_path).map(str::to_owned);
    Ok(SignInRequest { credentials: Credentials::new(&body.email, body.password), return_to })
}

/// Whether `user`, whose password passed, is signed in, as `plan` decides:
/// `Ok(adds)` to sign in (`adds`: it joins the group of a pending "Add another
/// account"); otherwise the refusal, and nobody is signed in.
pub(crate) fn planned(plan: SignInPlan, user: &User) -> Result<bool, ApiRefusal> {
    match plan {
        SignInPlan::SignIn { adds } => Ok(adds),
        SignInPlan::AlreadyInGroup => {
            tracing::info!(email = %user.email, "JSON sign-in: the account is signed in here already");
            Err(ApiRefusal::AlreadyInGroup(user.email.clone()))
        }
        SignInPlan::AddExpired => {
            tracing::info!(email = %user.email, method = "password", "sign-in refused: the link intent is gone");
            Err(ApiRefusal::AddExpired)
        }
    }
}

/// `{"csrf_token":…}`: the session's token after the sign-in rotated it.
pub(crate) fn signed_in(user: &User, adds: bool, csrf_token: &str) -> Vec<u8> {
    tracing::info!(email = %user.email, adds, method = "password (JSON)", "signed in");
    json_bytes(&SignedIn { csrf_token })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");

    fn refused(content_type: Option<&str>, body: Option<&[u8]>) -> Option<&'static str> {
        parse(content_type, body).err().map(|refusal| refusal.code())
    }

    #[test]
    fn only_a_json_object_with_both_fields_is_read() {
        let ok =
            parse(Some("Application/JSON; charset=utf-8"), Some(br#"{"email":" Bob@Example.com ","password":"pw"}"#))
                .unwrap();
        assert_eq!(ok.credentials.email, "bob@example.com");
        assert_eq!(ok.return_to, None);
        for (content_type, body) in [
            (JSON, Some(&br#"{"email":"a@b.c"}"#[..])),
            (JSON, Some(br#"{"email":"a@b.c","password":7}"#)),
            (JSON, Some(br#"["a@b.c","pw"]"#)),
            (JSON, Some(b"email=a%40b.c&password=pw")),
            (JSON, Some(b"")),
            (JSON, None),
            (Some("text/plain"), Some(br#"{"email":"a@b.c","password":"pw"}"#)),
            (Some("application/x-www-form-urlencoded"), Some(br#"{"email":"a@b.c","password":"pw"}"#)),
            (None, Some(br#"{"email":"a@b.c","password":"pw"}"#)),
        ] {
            assert_eq!(refused(content_type, body), Some("malformed_request"), "{content_type:?} {body:?}");
        }
    }

    #[test]
    fn return_to_is_kept_only_as_a_local_path() {
        let with = |return_to: &str| {
            let body = serde_json::json!({ "email": "a@b.c", "password": "pw", "return_to": return_to }).to_string();
            parse(JSON, Some(body.as_bytes())).unwrap().return_to
        };
        assert_eq!(with("/link/p/1").as_deref(), Some("/link/p/1"));
        assert_eq!(with("//evil.example/link/p/1"), None);
        assert_eq!(with("https://evil.example/"), None);
    }

    #[test]
    fn the_plan_decides_who_is_signed_in() {
        let user = User {
            id: 2,
            name: "Bob".into(),
            email: "bob@example.com".into(),
            password_hash: String::new(),
            status: crate::entities::user::UserStatus::Active,
        };
        assert_eq!(planned(SignInPlan::SignIn { adds: true }, &user), Ok(true));
        assert_eq!(planned(SignInPlan::SignIn { adds: false }, &user), Ok(false));
        assert_eq!(planned(SignInPlan::AlreadyInGroup, &user), Err(ApiRefusal::AlreadyInGroup(user.email.clone())));
        assert_eq!(planned(SignInPlan::AddExpired, &user), Err(ApiRefusal::AddExpired));
        let body: serde_json::Value = serde_json::from_slice(&signed_in(&user, false, "t0k3n")).unwrap();
        assert_eq!(body, serde_json::json!({ "csrf_token": "t0k3n" }));
    }
}
