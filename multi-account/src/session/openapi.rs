//! The JSON API as an OpenAPI 3.1 document, built from the same tables the
//! routes answer from: each route's refusals are [`Refusal`] values, so their
//! codes and statuses are [`Refusal::code`] and [`Refusal::status`].

use std::collections::BTreeMap;

use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Ref, RefOr, Required,
};

use super::api::CSRF_HEADER;
use super::decision::Refusal;
use super::paths::Paths;

/// The name of the security scheme of the session cookie.
const SESSION_SCHEME: &str = "session";
/// The cookie the security scheme names: actix-session's and tower-sessions'
/// default.
const DEFAULT_SESSION_COOKIE: &str = "id";
/// The name of the display schema's component.
const DISPLAY: &str = "AccountDisplay";

/// What a route answers with 200.
#[derive(Clone, Copy)]
enum Success {
    Accounts,
    LinkStarted,
}

/// One route of the JSON API, as the adapters mount it.
struct Route {
    method: HttpMethod,
    /// Under [`Paths::api`].
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    description: &'static str,
    /// Takes `{user_id}` in the path.
    user_id: bool,
    /// Takes the `forget` flag in the query (sign-out-all).
    forget: bool,
    /// A state change: `POST` with the CSRF token.
    csrf: bool,
    success: Success,
    success_description: &'static str,
    /// Every refusal the route can answer (the flows in `api.rs` and
    /// `flows.rs`, and the adapter's own: no config, a session that cannot
    /// be read or written, both `unavailable`).
    refusals: &'static [Refusal],
}

/// A refusal of the request itself: the same-origin check and the CSRF token.
const CHECKS: [Refusal; 2] = [Refusal::Csrf, Refusal::Forbidden("")];

const ROUTES: &[Route] = &[
    Route {
        method: HttpMethod::Get,
        path: "accounts",
        operation_id: "accounts",
        summary: "The accounts of this browser's session",
        description: "Reads only (but for a CSRF token, created on first use: a signed-out client gets one for its \
                      sign-in). Signed out, the lists are empty.",
        user_id: false,
        forget: false,
        csrf: false,
        success: Success::Accounts,
        success_description: "The session's accounts and the CSRF token.",
        refusals: &[Refusal::UnknownSlot, Refusal::Unavailable],
    },
    Route {
        method: HttpMethod::Post,
        path: "switch/{user_id}",
        operation_id: "switch",
        summary: "Switch to an account of the session's group",
        description: "No password asked. A refused switch to an account outside the group (`not_in_group`) spends \
                      the CSRF token: ask for the accounts again for a new one.",
        user_id: true,
        forget: false,
        csrf: true,
        success: Success::Accounts,
        success_description: "Switched: the accounts, with a new CSRF token.",
        refusals: &[
            Refusal::MalformedId,
            CHECKS[0],
            CHECKS[1],
            Refusal::NotInGroup,
            Refusal::Disabled,
            Refusal::UnknownSlot,
            Refusal::Unavailable,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "remove/{user_id}",
        operation_id: "remove",
        summary: "Remove (sign out of) one account of the group",
        description: "If it was acting, the primary acts again. The primary stays: sign out of all accounts instead.",
        user_id: true,
        forget: false,
        csrf: true,
        success: Success::Accounts,
        success_description: "Removed: the accounts, with a new CSRF token.",
        refusals: &[
            Refusal::MalformedId,
            CHECKS[0],
            CHECKS[1],
            Refusal::NotInGroup,
            Refusal::Disabled,
            Refusal::PrimaryStays,
            Refusal::UnknownSlot,
            Refusal::Unavailable,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "link/start",
        operation_id: "linkStart",
        summary: "Start adding another account",
        description: "Records the intent for the primary (or the signed-in account alone, which becomes the \
                      primary). Then sign the next account in, and complete the link. Signed out: `unauthorized`.",
        user_id: false,
        forget: false,
        csrf: true,
        success: Success::LinkStarted,
        success_description: "Started: where the next account signs in and where to complete.",
        refusals: &[
            Refusal::Unauthorized,
            CHECKS[0],
            CHECKS[1],
            Refusal::Disabled,
            Refusal::SessionFull,
            Refusal::UnknownSlot,
            Refusal::Unavailable,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "link/complete",
        operation_id: "linkComplete",
        summary: "Add the account that signed in since the start",
        description: "Only the account that signed in during a fresh start completes it. A rule that turns the \
                      link down (`too_many_linked_accounts`, `session_full`, `inactive`, `not_found`) drops that \
                      sign-in: the primary acts again.",
        user_id: false,
        forget: false,
        csrf: true,
        success: Success::Accounts,
        success_description: "Linked: the group, with a new CSRF token.",
        refusals: &[
            CHECKS[0],
            CHECKS[1],
            Refusal::Inactive,
            Refusal::Disabled,
            Refusal::NotFound,
            Refusal::AlreadyInGroup,
            Refusal::TooManyLinkedAccounts { max: 0 },
            Refusal::SessionFull,
            Refusal::UnknownSlot,
            Refusal::Unavailable,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "sign-out-all",
        operation_id: "signOutAll",
        summary: "Sign out of every account in this browser",
        description: "Deletes the session's links and the session. The accounts stay remembered (when the app turned \
                      remembered accounts on) unless the query has `forget`.",
        user_id: false,
        forget: true,
        csrf: true,
        success: Success::Accounts,
        success_description: "Signed out: no accounts, no actions and no CSRF token (`null`); `remembered` (when on) \
                              lists the accounts this browser still remembers, none after `forget`.",
        refusals: &[CHECKS[0], CHECKS[1], Refusal::Disabled, Refusal::Unavailable],
    },
    Route {
        method: HttpMethod::Post,
        path: "again/{user_id}",
        operation_id: "signInAgain",
        summary: "Sign a remembered account in again",
        description: "Signed in: starts adding the remembered account to the group, as `link/start` does, and \
                      answers the same way; the `sign_in` page carries the account's `login_hint`. Signed out: \
                      `unauthorized` (sign in through the app's sign-in with the account's `hint`). An account \
                      this browser does not remember, or remembers but was deleted or deactivated, is \
                      `not_found`; one signed in here is `already_in_group`. `disabled` when the app did not turn \
                      remembered accounts on.",
        user_id: true,
        forget: false,
        csrf: true,
        success: Success::LinkStarted,
        success_description: "Started: where the remembered account signs in (with its hint) and where to complete.",
        refusals: &[
            Refusal::Unauthorized,
            Refusal::MalformedId,
            CHECKS[0],
            CHECKS[1],
            Refusal::Disabled,
            Refusal::NotFound,
            Refusal::AlreadyInGroup,
            Refusal::SessionFull,
            Refusal::UnknownSlot,
            Refusal::Unavailable,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "forget/{user_id}",
        operation_id: "forget",
        summary: "Forget a remembered account",
        description: "This browser no longer remembers the account; signed in or not. Forgetting an account it \
                      does not remember changes nothing and answers the same. `disabled` when the app did not turn \
                      remembered accounts on.",
        user_id: true,
        forget: false,
        csrf: true,
        success: Success::Accounts,
        success_description: "Forgotten: the accounts (the CSRF token unchanged).",
        refusals: &[Refusal::MalformedId, CHECKS[0], CHECKS[1], Refusal::Disabled, Refusal::Unavailable],
    },
];

/// The OpenAPI 3.1 document of the JSON API mounted under `paths.api` (see
/// [`Paths::api_url`]): each route with its parameters (the `X-CSRF-Token`
/// header on every `POST`), every status it can answer with the body's schema
/// (a refusal's `code` narrowed to the codes of that route and status), the
/// schemas `ApiAccounts`, `ApiAccount`, `AccountAction`, `SessionAction`,
/// `ApiRemembered`, `RememberedAction`, `ApiLinkStarted`, `ApiError` and
/// `RefusalCode` (every code of
/// [`Refusal::CODES`]) under `components`, and the session cookie as the
/// security scheme `session` (an API key in the cookie `id`, actix-session's
/// and tower-sessions' default name: an app that names its cookie otherwise
/// replaces the scheme in the document's `components`).
///
/// `display` is the schema of the app's display fields (the
/// `display_fields(..)` of its `#[derive(MultiAccountUser)]`), each account's
/// `user`; it becomes the component `AccountDisplay`. An app without a schema
/// for them passes a free-form object:
///
/// ```
/// use multi_account::session::{Paths, openapi};
/// use utoipa::openapi::schema::ObjectBuilder;
///
/// let document = openapi(&Paths::default(), ObjectBuilder::new().into());
/// assert!(document.paths.paths.contains_key("/link/api/switch/{user_id}"));
/// ```
pub fn openapi(paths: &Paths, display: RefOr<Schema>) -> OpenApi {
    let mut api_paths = PathsBuilder::new();
    let mut items: BTreeMap<String, PathItem> = BTreeMap::new();
    for route in ROUTES {
        let path = paths.api_url(route.path);
        let operation = operation(route);
        match items.get_mut(&path) {
            Some(item) => item.merge_operations(PathItem::new(route.method.clone(), operation)),
            None => {
                items.insert(path, PathItem::new(route.method.clone(), operation));
            }
        }
    }
    for (path, item) in items {
        api_paths = api_paths.path(path, item);
    }
    let info = InfoBuilder::new()
        .title("multi-account JSON API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The accounts signed in to this browser, and the state changes of a multi-account session: switch, \
             remove, add another account, sign out of all accounts, and (when the app remembers accounts) sign a \
             remembered account in again or forget it. JSON in and out; every `POST` carries the \
             session's CSRF token in the `X-CSRF-Token` header and is refused cross-site. A refusal answers an \
             `ApiError` with a stable `code`.",
        ))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(api_paths)
        .components(Some(components(display)))
        .security(Some([SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())]))
        .build()
}

fn components(display: RefOr<Schema>) -> Components {
    let mut components = Components::new();
    let cookie = ApiKeyValue::with_description(
        DEFAULT_SESSION_COOKIE,
        "The session cookie: the browser's accounts and its CSRF token live in its session.",
    );
    components.add_security_scheme(SESSION_SCHEME, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    let schemas = [
        ("ApiAccounts", api_accounts()),
        ("ApiAccount", api_account()),
        ("AccountAction", account_action()),
        ("SessionAction", session_action()),
        ("ApiRemembered", api_remembered()),
        ("RememberedAction", remembered_action()),
        ("ApiLinkStarted", api_link_started()),
        ("ApiError", api_error()),
        ("RefusalCode", refusal_code()),
        (DISPLAY, display),
    ];
    for (name, schema) in schemas {
        components.schemas.insert(name.to_owned(), schema);
    }
    components
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn typed(kind: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(kind).description(Some(description))
}

/// A string enum of `values`.
fn string_enum(description: &str, values: &[&str]) -> RefOr<Schema> {
    typed(Type::String, description).enum_values(Some(values.iter().copied())).into()
}

fn array_of(name: &str, description: &str) -> RefOr<Schema> {
    ArrayBuilder::new().items(schema_ref(name)).description(Some(description)).into()
}

/// An object whose every property is required (the API's bodies serialize
/// every field, `null` included).
fn object(description: &str, properties: Vec<(&str, RefOr<Schema>)>) -> RefOr<Schema> {
    required_object(description, properties).into()
}

/// [`object`], open to properties that are not required (the API leaves them
/// out where they do not apply).
fn required_object(description: &str, properties: Vec<(&str, RefOr<Schema>)>) -> ObjectBuilder {
    let mut object = ObjectBuilder::new().description(Some(description));
    for (name, schema) in properties {
        object = object.property(name, schema).required(name);
    }
    object
}

fn api_accounts() -> RefOr<Schema> {
    let accounts = required_object(
        "The accounts of this browser's session.",
        vec![
            (
                "accounts",
                array_of(
                    "ApiAccount",
                    "Primary first, then the linked accounts in link order, then an account signed in to be added \
                     (`pending`). Empty when signed out.",
                ),
            ),
            ("actions", array_of("SessionAction", "What the session allows as a whole.")),
            (
                "csrf_token",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "The CSRF token every state change sends in `X-CSRF-Token`. A privilege change rotates it: \
                         use the newest one answered. `null` right after signing out of all accounts.",
                    ))
                    .into(),
            ),
        ],
    );
    // Not required: absent unless the app turned remembered accounts on.
    accounts
        .property(
            "remembered",
            array_of(
                "ApiRemembered",
                "The accounts this browser remembers that are not signed in here, the one signed in most recently \
                 first. Present only when the app turned remembered accounts on. None of them is signed in.",
            ),
        )
        .into()
}

fn api_account() -> RefOr<Schema> {
    object(
        "One account of the session.",
        vec![
            ("id", typed(Type::String, "The account id (text form).").into()),
            ("user", schema_ref(DISPLAY)),
            ("current", typed(Type::Boolean, "This account acts now.").into()),
            (
                "primary",
                typed(Type::Boolean, "The primary account (alone, the signed-in account is its own primary).").into(),
            ),
            (
                "pending",
                typed(
                    Type::Boolean,
                    "Signed in during \"Add another account\" but not linked yet: not a member of the group until \
                     `finish_link`.",
                )
                .into(),
            ),
            ("actions", array_of("AccountAction", "What may be done to this account.")),
            (
                "slot",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                    .minimum(Some(0))
                    .description(Some(
                        "Its stable tab slot, when the app turned per-tab accounts on: send it in the tab header to \
                         act as this account. `null` otherwise, and for a pending account.",
                    ))
                    .into(),
            ),
        ],
    )
}

fn account_action() -> RefOr<Schema> {
    string_enum(
        "An action on one account: `switch` (`POST {api}/switch/{id}`), `remove` (`POST {api}/remove/{id}`), \
         `finish_link` (`POST {api}/link/complete`, adds this pending account to the group).",
        &["switch", "remove", "finish_link"],
    )
}

fn session_action() -> RefOr<Schema> {
    string_enum(
        "An action of the session as a whole: `add_account` (`POST {api}/link/start`), `sign_out_all` \
         (`POST {api}/sign-out-all`).",
        &["add_account", "sign_out_all"],
    )
}

fn api_remembered() -> RefOr<Schema> {
    object(
        "An account this browser remembers: signed out here, with what the app chose to remember. It acts for \
         nothing until it signs in again.",
        vec![
            ("id", typed(Type::String, "The account id (text form): the `{user_id}` of `again` and `forget`.").into()),
            (
                "hint",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "The identifier the app chose to remember (`remember_hint`, say the email): what to show, and \
                         the sign-in's `login_hint`. `null` when the app remembers only the id.",
                    ))
                    .into(),
            ),
            (
                "fields",
                typed(
                    Type::Object,
                    "The display fields the app marked safe to remember (`remember_fields`), by name: some of \
                     `AccountDisplay`'s. Empty when it marked none.",
                )
                .into(),
            ),
            ("actions", array_of("RememberedAction", "What may be done with it: always both actions.")),
        ],
    )
}

fn remembered_action() -> RefOr<Schema> {
    string_enum(
        "An action on a remembered account: `sign_in_again` (`POST {api}/again/{id}`: signed in, starts adding it; \
         signed out, sign in with its `hint`), `forget` (`POST {api}/forget/{id}`).",
        &["sign_in_again", "forget"],
    )
}

fn api_link_started() -> RefOr<Schema> {
    object(
        "A started link: sign the next account in, then complete it.",
        vec![
            (
                "sign_in",
                typed(
                    Type::String,
                    "The app's sign-in page for this link (for a client that signs in by page); a JSON client signs \
                     in through the app's own JSON sign-in.",
                )
                .into(),
            ),
            ("complete", typed(Type::String, "Where to `POST` once the next account signed in.").into()),
            ("expires_in", typed(Type::Integer, "Seconds the link waits for that sign-in.").minimum(Some(0)).into()),
            ("csrf_token", typed(Type::String, "The CSRF token (unchanged by the start).").into()),
        ],
    )
}

fn api_error() -> RefOr<Schema> {
    object(
        "A refusal: a stable `code` and a message for people.",
        vec![("code", schema_ref("RefusalCode")), ("message", typed(Type::String, "A human-readable message.").into())],
    )
}

fn refusal_code() -> RefOr<Schema> {
    string_enum(
        "The stable code of a refusal (never renamed within a major version); each response lists the codes it \
         carries.",
        Refusal::CODES,
    )
}

/// The route's refusals by status, each status's codes in the order of
/// [`Refusal::CODES`], without repeats.
fn refusals_by_status(route: &Route) -> BTreeMap<u16, Vec<&'static str>> {
    let mut by_status: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for code in Refusal::CODES {
        for refusal in route.refusals.iter().filter(|refusal| refusal.code() == *code) {
            let codes = by_status.entry(refusal.status()).or_default();
            if !codes.contains(code) {
                codes.push(code);
            }
        }
    }
    by_status
}

fn json_response(description: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

/// The refusal response of `codes`: an `ApiError` whose `code` is one of them.
fn refusal_response(codes: &[&str]) -> Response {
    let listed = codes.iter().map(|code| format!("`{code}`")).collect::<Vec<_>>().join(", ");
    let narrowed = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.iter().copied())));
    let schema = AllOfBuilder::new().item(schema_ref("ApiError")).item(narrowed);
    json_response(&format!("Refused: {listed}."), schema.into())
}

fn operation(route: &Route) -> Operation {
    let success = match route.success {
        Success::Accounts => json_response(route.success_description, schema_ref("ApiAccounts")),
        Success::LinkStarted => json_response(route.success_description, schema_ref("ApiLinkStarted")),
    };
    let mut operation = OperationBuilder::new()
        .operation_id(Some(route.operation_id))
        .summary(Some(route.summary))
        .description(Some(route.description))
        .tag("multi-account")
        .response("200", success);
    if route.user_id {
        operation = operation.parameter(user_id_parameter());
    }
    if route.forget {
        operation = operation.parameter(forget_parameter());
    }
    if route.csrf {
        operation = operation.parameter(csrf_parameter());
    } else {
        // A signed-out browser reads its (empty) accounts and a token for its
        // sign-in: the cookie is optional.
        operation = operation.securities(Some([
            SecurityRequirement::default(),
            SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new()),
        ]));
    }
    for (status, codes) in refusals_by_status(route) {
        operation = operation.response(status.to_string(), refusal_response(&codes));
    }
    operation.build()
}

fn user_id_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("user_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("The account's id, in the text form the accounts list answers (`id`)."))
        .schema(Some(typed(Type::String, "An account id.").min_length(Some(1))))
        .build()
}

fn forget_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("forget")
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(
            "Present (`?forget`, whatever its value), this browser also forgets every account it remembers (the \
             choice for a shared computer). Without it they stay remembered. Nothing to forget when the app did not \
             turn remembered accounts on.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn csrf_parameter() -> Parameter {
    // HTTP header names are case-insensitive; the document spells it as
    // clients usually do.
    debug_assert!(CSRF_HEADER.eq_ignore_ascii_case("X-CSRF-Token"));
    ParameterBuilder::new()
        .name("X-CSRF-Token")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(
            "The session's CSRF token, as the newest answer gave it (`csrf_token`); missing or wrong: `csrf`.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use super::*;
    use crate::session::{
        AccountAction, ApiAccount, ApiAccounts, ApiError, ApiLinkStarted, ApiRemembered, RememberedAction,
        SessionAction,
    };

    fn document() -> Value {
        let display = ObjectBuilder::new().property("name", ObjectBuilder::new().schema_type(Type::String)).into();
        serde_json::to_value(openapi(&Paths::default(), display)).unwrap()
    }

    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["components"]["schemas"][name]
    }

    /// Every route the adapters mount: method and path.
    const MOUNTED: [(&str, &str); 8] = [
        ("get", "/link/api/accounts"),
        ("post", "/link/api/switch/{user_id}"),
        ("post", "/link/api/remove/{user_id}"),
        ("post", "/link/api/link/start"),
        ("post", "/link/api/link/complete"),
        ("post", "/link/api/sign-out-all"),
        ("post", "/link/api/again/{user_id}"),
        ("post", "/link/api/forget/{user_id}"),
    ];

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((method.clone(), path.clone(), operation));
            }
        }
        found
    }

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: BTreeSet<(String, String)> =
            operations(&doc).into_iter().map(|(method, path, _)| (method, path)).collect();
        let mounted: BTreeSet<(String, String)> =
            MOUNTED.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())).collect();
        assert_eq!(documented, mounted);
    }

    #[test]
    fn the_routes_follow_the_api_prefix() {
        let paths = Paths { api: "/v2/accounts-api/".to_owned(), ..Paths::default() };
        let doc = serde_json::to_value(openapi(&paths, ObjectBuilder::new().into())).unwrap();
        let documented: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        assert_eq!(documented.len(), MOUNTED.len(), "{documented:?}");
        assert!(documented.iter().all(|path| path.starts_with("/v2/accounts-api/")), "{documented:?}");
        assert!(documented.contains(&&"/v2/accounts-api/switch/{user_id}".to_owned()));
    }

    #[test]
    fn every_post_takes_the_csrf_header_and_the_id_routes_their_path_parameter() {
        let doc = document();
        for (method, path, operation) in operations(&doc) {
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            let csrf = parameters.iter().find(|p| p["in"] == "header" && p["name"] == "X-CSRF-Token");
            if method == "post" {
                let csrf = csrf.unwrap_or_else(|| panic!("{path}: no X-CSRF-Token"));
                assert_eq!(csrf["required"], true, "{path}");
                assert!(operation["responses"]["403"].is_object(), "{path}: a wrong token answers 403");
            } else {
                assert!(csrf.is_none(), "{path}");
            }
            let user_id = parameters.iter().find(|p| p["in"] == "path");
            assert_eq!(path.contains("{user_id}"), user_id.is_some(), "{path}");
            if let Some(user_id) = user_id {
                assert_eq!((&user_id["name"], &user_id["required"]), (&json!("user_id"), &json!(true)));
            }
            assert!(operation["responses"]["503"].is_object(), "{path}: every route may be unavailable");
        }
    }

    #[test]
    fn each_refusal_status_lists_codes_of_that_status() {
        let doc = document();
        let status_of = |code: &str| {
            let all = [
                Refusal::Unauthorized,
                Refusal::Csrf,
                Refusal::Forbidden(""),
                Refusal::NotInGroup,
                Refusal::AlreadyInGroup,
                Refusal::TooManyLinkedAccounts { max: 1 },
                Refusal::SessionFull,
                Refusal::PrimaryStays,
                Refusal::Inactive,
                Refusal::NotFound,
                Refusal::MalformedId,
                Refusal::Disabled,
                Refusal::Unavailable,
                Refusal::UnknownSlot,
            ];
            all.iter().find(|refusal| refusal.code() == code).map(Refusal::status)
        };
        let mut seen = BTreeSet::new();
        for (_, path, operation) in operations(&doc) {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let schema = &response["content"]["application/json"]["schema"];
                if status == "200" {
                    continue;
                }
                assert_eq!(schema["allOf"][0]["$ref"], "#/components/schemas/ApiError", "{path} {status}");
                let codes = schema["allOf"][1]["properties"]["code"]["enum"].as_array().unwrap();
                assert!(!codes.is_empty(), "{path} {status}");
                for code in codes {
                    let code = code.as_str().unwrap();
                    assert_eq!(status_of(code).map(|s| s.to_string()), Some(status.clone()), "{path}: {code}");
                    seen.insert(code.to_owned());
                }
            }
        }
        let all: BTreeSet<String> = Refusal::CODES.iter().map(|code| (*code).to_owned()).collect();
        assert_eq!(seen, all, "every refusal code is answered by some route");
    }

    #[test]
    fn the_documented_statuses_of_each_route() {
        let doc = document();
        let statuses = |path: &str, method: &str| -> Vec<String> {
            doc["paths"][path][method]["responses"].as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(statuses("/link/api/accounts", "get"), ["200", "404", "503"]);
        assert_eq!(statuses("/link/api/switch/{user_id}", "post"), ["200", "400", "403", "404", "503"]);
        assert_eq!(statuses("/link/api/remove/{user_id}", "post"), ["200", "400", "403", "404", "409", "503"]);
        assert_eq!(statuses("/link/api/link/start", "post"), ["200", "401", "403", "404", "409", "503"]);
        assert_eq!(statuses("/link/api/link/complete", "post"), ["200", "403", "404", "409", "503"]);
        assert_eq!(statuses("/link/api/sign-out-all", "post"), ["200", "403", "404", "503"]);
        assert_eq!(statuses("/link/api/again/{user_id}", "post"), ["200", "400", "401", "403", "404", "409", "503"]);
        assert_eq!(statuses("/link/api/forget/{user_id}", "post"), ["200", "400", "403", "404", "503"]);
        let again = |status: &str| {
            doc["paths"]["/link/api/again/{user_id}"]["post"]["responses"][status]["content"]["application/json"]
                ["schema"]
                .clone()
        };
        assert_eq!(
            again("404")["allOf"][1]["properties"]["code"]["enum"],
            json!(["not_found", "disabled", "unknown_slot"])
        );
        assert_eq!(again("409")["allOf"][1]["properties"]["code"]["enum"], json!(["already_in_group", "session_full"]));
        assert_eq!(again("200")["$ref"], "#/components/schemas/ApiLinkStarted");
        let switch_403 = &doc["paths"]["/link/api/switch/{user_id}"]["post"]["responses"]["403"];
        assert_eq!(
            switch_403["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"],
            json!(["csrf", "forbidden", "not_in_group"])
        );
        assert_eq!(
            doc["paths"]["/link/api/link/start"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ApiLinkStarted"
        );
    }

    #[test]
    fn sign_out_all_alone_takes_the_forget_flag() {
        let doc = document();
        for (method, path, operation) in operations(&doc) {
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            let queries: Vec<&Value> = parameters.iter().filter(|p| p["in"] == "query").collect();
            if path == "/link/api/sign-out-all" {
                assert_eq!(queries.len(), 1, "{method} {path}");
                assert_eq!((&queries[0]["name"], &queries[0]["required"]), (&json!("forget"), &json!(false)));
            } else {
                assert!(queries.is_empty(), "{method} {path}");
            }
        }
    }

    #[test]
    fn the_refusal_code_enum_is_every_code() {
        let doc = document();
        assert_eq!(schema(&doc, "RefusalCode")["enum"], json!(Refusal::CODES));
        assert_eq!(schema(&doc, "ApiError")["properties"]["code"]["$ref"], "#/components/schemas/RefusalCode");
    }

    #[test]
    fn the_session_cookie_is_the_security_scheme() {
        let doc = document();
        let scheme = &doc["components"]["securitySchemes"]["session"];
        assert_eq!(
            (&scheme["type"], &scheme["in"], &scheme["name"]),
            (&json!("apiKey"), &json!("cookie"), &json!("id"))
        );
        assert_eq!(doc["security"], json!([{ "session": [] }]));
        assert_eq!(doc["paths"]["/link/api/accounts"]["get"]["security"], json!([{}, { "session": [] }]));
    }

    #[test]
    fn the_display_schema_is_each_accounts_user() {
        let doc = document();
        assert_eq!(schema(&doc, "AccountDisplay")["properties"]["name"]["type"], "string");
        assert_eq!(schema(&doc, "ApiAccount")["properties"]["user"]["$ref"], "#/components/schemas/AccountDisplay");
    }

    /// The schema's properties are the keys `value` serializes and the
    /// `optional` ones (which `value` may leave out), and all but those are
    /// required.
    fn assert_fields(doc: &Value, name: &str, value: Value, optional: &[&str]) {
        let schema = schema(doc, name);
        let properties: BTreeSet<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        let required: BTreeSet<&str> =
            schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let serialized: BTreeSet<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let optional: BTreeSet<&str> = optional.iter().copied().collect();
        assert_eq!(properties, serialized.union(&optional).copied().collect(), "{name}");
        assert_eq!(required, serialized.difference(&optional).copied().collect(), "{name}");
    }

    /// Every remembered account's action (see [`every_account_action`]).
    fn every_remembered_action() -> Vec<RememberedAction> {
        let all = vec![RememberedAction::SignInAgain, RememberedAction::Forget];
        for action in &all {
            match action {
                RememberedAction::SignInAgain | RememberedAction::Forget => {}
            }
        }
        all
    }

    /// Every account action. The match has no wildcard: a new action fails to
    /// compile here until it is listed.
    fn every_account_action() -> Vec<AccountAction> {
        let all = vec![AccountAction::Switch, AccountAction::Remove, AccountAction::FinishLink];
        for action in &all {
            match action {
                AccountAction::Switch | AccountAction::Remove | AccountAction::FinishLink => {}
            }
        }
        all
    }

    /// Every session action (see [`every_account_action`]).
    fn every_session_action() -> Vec<SessionAction> {
        let all = vec![SessionAction::AddAccount, SessionAction::SignOutAll];
        for action in &all {
            match action {
                SessionAction::AddAccount | SessionAction::SignOutAll => {}
            }
        }
        all
    }

    #[test]
    fn the_schemas_match_what_the_api_serializes() {
        let doc = document();
        let account = ApiAccount {
            id: "7".to_owned(),
            user: json!({"name": "Ada"}),
            current: true,
            primary: false,
            pending: false,
            actions: vec![AccountAction::Remove],
            slot: Some(2),
        };
        let remembered = ApiRemembered {
            id: "9".to_owned(),
            hint: Some("grace@example.com".to_owned()),
            fields: serde_json::Map::from_iter([("name".to_owned(), json!("Grace"))]),
            actions: every_remembered_action(),
        };
        let mut accounts = ApiAccounts {
            accounts: vec![account.clone()],
            actions: vec![],
            csrf_token: None,
            remembered: Some(vec![remembered.clone()]),
        };
        assert_fields(&doc, "ApiAccounts", serde_json::to_value(&accounts).unwrap(), &["remembered"]);
        // Off, the list is left out, not `null`.
        accounts.remembered = None;
        assert_fields(&doc, "ApiAccounts", serde_json::to_value(&accounts).unwrap(), &["remembered"]);
        assert_fields(&doc, "ApiAccount", serde_json::to_value(&account).unwrap(), &[]);
        assert_fields(&doc, "ApiRemembered", serde_json::to_value(&remembered).unwrap(), &[]);
        let forgotten = ApiRemembered { hint: None, fields: serde_json::Map::new(), ..remembered };
        assert_fields(&doc, "ApiRemembered", serde_json::to_value(&forgotten).unwrap(), &[]);
        let started = ApiLinkStarted {
            sign_in: "/sign-in".to_owned(),
            complete: "/link/api/link/complete".to_owned(),
            expires_in: 600,
            csrf_token: "t".to_owned(),
        };
        assert_fields(&doc, "ApiLinkStarted", serde_json::to_value(&started).unwrap(), &[]);
        assert_fields(&doc, "ApiError", serde_json::to_value(ApiError::from(Refusal::Csrf)).unwrap(), &[]);

        assert_eq!(schema(&doc, "AccountAction")["enum"], serde_json::to_value(every_account_action()).unwrap());
        assert_eq!(schema(&doc, "SessionAction")["enum"], serde_json::to_value(every_session_action()).unwrap());
        assert_eq!(schema(&doc, "RememberedAction")["enum"], serde_json::to_value(every_remembered_action()).unwrap());
    }
}
