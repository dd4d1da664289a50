//! The demo's OpenAPI 3.1 document: the library's JSON API
//! ([`multi_account::session::openapi`]) with the demo's display fields and
//! session cookie, plus the demo's own JSON sign-in (`POST /api/sign-in`).
//! Served at [`Settings::openapi_path`](crate::Settings::openapi_path)
//! (default `/link/api/openapi.json`) on both frameworks, and checked in as
//! `examples/demo/openapi.json` (a test fails when the two differ).

use std::sync::LazyLock;

use multi_account::session::{CSRF_HEADER, Paths};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, PathItem, Ref, RefOr, Required};

use crate::SESSION_COOKIE;

/// Where the demo's JSON sign-in is served.
pub const SIGN_IN_PATH: &str = "/api/sign-in";

/// The codes of the JSON sign-in's refusals, by status.
const SIGN_IN_REFUSALS: [(u16, &[&str]); 6] = [
    (400, &["malformed_request"]),
    (401, &["invalid_credentials"]),
    (403, &["csrf", "forbidden"]),
    (409, &["already_in_group", "add_expired"]),
    (429, &["too_many_attempts"]),
    (503, &["unavailable"]),
];

/// The document: the library's, with the demo's title, display fields
/// (`name`, `email`), session cookie (`multi_account_demo`) and JSON sign-in.
pub fn document() -> OpenApi {
    let mut document = multi_account::session::openapi(&Paths::default(), display());
    document.info.title = "multi-account demo JSON API".to_owned();
    document.info.description = Some(format!(
        "{} The demo adds its JSON sign-in, `POST {SIGN_IN_PATH}`; `/spa` is a page driven by this API.",
        document.info.description.as_deref().unwrap_or_default()
    ));
    let components = document.components.get_or_insert_with(Default::default);
    let cookie = ApiKeyValue::with_description(SESSION_COOKIE, "The demo's session cookie.");
    components.security_schemes.insert("session".to_owned(), SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    components.schemas.insert("SignInRequest".to_owned(), sign_in_request());
    components.schemas.insert("SignedIn".to_owned(), signed_in());
    components.schemas.insert("SignInError".to_owned(), sign_in_error());
    document.paths.paths.insert(SIGN_IN_PATH.to_owned(), PathItem::new(HttpMethod::Post, sign_in()));
    document
}

/// [`document`] as served and checked in: pretty-printed JSON and a newline
/// (an error only if it does not serialize, a bug).
pub fn document_json() -> Result<String, String> {
    document().to_pretty_json().map(|json| json + "\n").map_err(|error| error.to_string())
}

/// The demo's display fields (`display_fields(name, email)` of
/// [`crate::entities::user::Model`]): each account's `user`.
fn display() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("The account's display fields."))
        .property("name", string("The display name."))
        .required("name")
        .property("email", string("The sign-in email, lower-case."))
        .required("email")
        .into()
}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description))
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn sign_in_request() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("A password sign-in."))
        .property(
            "email",
            string("The account's email (any case; spaces around it are ignored; blank: `malformed_request`).")
                .min_length(Some(1))
                .pattern(Some(r"\S")),
        )
        .required("email")
        .property("password", string("The password (empty: `malformed_request`).").min_length(Some(1)))
        .required("password")
        .property(
            "return_to",
            string(
                "Where the sign-in goes on: the link path of \"Add another account\" (the `return_to` of the \
                 `sign_in` URL that `link/start` answered). A path that is not local is ignored.",
            ),
        )
        .into()
}

fn signed_in() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("Signed in: the session was renewed, and its CSRF token rotated."))
        .property("csrf_token", string("The session's new CSRF token."))
        .required("csrf_token")
        .into()
}

fn sign_in_error() -> RefOr<Schema> {
    let codes = SIGN_IN_REFUSALS.iter().flat_map(|(_, codes)| codes.iter().copied());
    ObjectBuilder::new()
        .description(Some("A refused sign-in: a stable `code` and a message for people."))
        .property("code", string("The stable code.").enum_values(Some(codes)))
        .required("code")
        .property("message", string("A human-readable message."))
        .required("message")
        .into()
}

fn json_response(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
}

fn sign_in_refusal(status: u16, codes: &[&str]) -> Response {
    let listed = codes.iter().map(|code| format!("`{code}`")).collect::<Vec<_>>().join(", ");
    let narrowed = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.iter().copied())));
    let schema = AllOfBuilder::new().item(schema_ref("SignInError")).item(narrowed);
    let response = json_response(&format!("Refused: {listed}."), schema.into());
    match status {
        429 => response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds until an attempt is counted again."))
                .build(),
        ),
        _ => response,
    }
    .build()
}

fn sign_in() -> utoipa::openapi::path::Operation {
    debug_assert!(CSRF_HEADER.eq_ignore_ascii_case("X-CSRF-Token"));
    let csrf = ParameterBuilder::new()
        .name("X-CSRF-Token")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(
            "The session's CSRF token (`GET /link/api/accounts` answers it). A wrong password spends it: ask for \
             the accounts again for a new one.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(schema_ref("SignInRequest"))).build())
        .build();
    let mut operation = OperationBuilder::new()
        .operation_id(Some("signIn"))
        .summary(Some("Sign in with a password (the demo's own)"))
        .description(Some(
            "The same sign-in as the HTML form's: the same throttle, password check and multi-account rules. \
             During \"Add another account\" the account signed in is added to the group once \
             `POST /link/api/link/complete` completes the link.",
        ))
        .tag("demo")
        .parameter(csrf)
        .request_body(Some(body))
        .response("200", json_response("Signed in.", schema_ref("SignedIn")).build());
    for (status, codes) in SIGN_IN_REFUSALS {
        operation = operation.response(status.to_string(), sign_in_refusal(status, codes));
    }
    operation.build()
}

/// The served body, made once: a document that does not serialize is a bug,
/// answered 500 (and logged) rather than a panic.
static SERVED: LazyLock<Result<String, String>> = LazyLock::new(|| {
    document_json().inspect_err(|error| tracing::error!(%error, "the OpenAPI document does not serialize"))
});

/// `GET` the document on actix-web.
pub(crate) async fn actix_document() -> actix_web::HttpResponse {
    use actix_web::HttpResponse;
    match &*SERVED {
        Ok(json) => HttpResponse::Ok().content_type("application/json").body(json.clone()),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `GET` the document on axum. Served outside the app's layers: it sets the
/// demo's security headers itself.
pub(crate) async fn axum_document() -> axum::response::Response {
    use axum::http::{HeaderName, HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let mut response = match &*SERVED {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    for (name, value) in crate::SECURITY_HEADERS {
        response.headers_mut().insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_schema_is_what_the_display_fields_serialize() {
        let display = crate::entities::user::AccountDisplay { name: "Ada".into(), email: "ada@example.com".into() };
        let serialized = serde_json::to_value(display).unwrap();
        let document = serde_json::to_value(document()).unwrap();
        let schema = &document["components"]["schemas"]["AccountDisplay"];
        let mut properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        let mut fields: Vec<&String> = serialized.as_object().unwrap().keys().collect();
        properties.sort();
        fields.sort();
        assert_eq!(properties, fields);
        assert_eq!(schema["required"].as_array().unwrap().len(), fields.len());
    }

    #[test]
    fn the_sign_in_and_the_cookie_are_the_demos() {
        let document = serde_json::to_value(document()).unwrap();
        assert_eq!(document["components"]["securitySchemes"]["session"]["name"], SESSION_COOKIE);
        let sign_in = &document["paths"][SIGN_IN_PATH]["post"];
        let statuses: Vec<&String> = sign_in["responses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["200", "400", "401", "403", "409", "429", "503"]);
        assert_eq!(sign_in["parameters"][0]["name"], "X-CSRF-Token");
        assert_eq!(sign_in["requestBody"]["required"], true);
        assert!(document["paths"]["/link/api/switch/{user_id}"]["post"].is_object(), "the library's routes");
        assert!(document_json().unwrap().ends_with("}\n"));
    }
}
