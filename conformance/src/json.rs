//! The JSON API as a client uses it: the token from `GET accounts`, sent in
//! `X-CSRF-Token`; every answer JSON.

use serde_json::Value;

use crate::client::{Client, Reply};

/// The API's prefix at the default paths.
pub const API: &str = "/link/api";

/// The body of a JSON answer; panics unless it is `application/json`.
#[track_caller]
pub fn body(reply: &Reply) -> Value {
    let content_type = reply.content_type.as_deref().unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "a JSON answer: {reply:?}");
    assert!(reply.location.is_none(), "an API answer redirects nowhere: {reply:?}");
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("JSON ({error}): {reply:?}"))
}

/// Asserts a JSON refusal with `status` and `code`, and returns its body.
#[track_caller]
pub fn assert_refused(reply: &Reply, status: u16, code: &str) -> Value {
    let body = body(reply);
    assert_eq!((reply.status, body["code"].as_str()), (status, Some(code)), "{reply:?}");
    assert!(body["message"].as_str().is_some_and(|message| !message.is_empty()), "a message: {reply:?}");
    body
}

/// `GET {API}/accounts`: the accounts body (asserted 200).
pub async fn accounts(client: &mut impl Client) -> Value {
    let reply = client.get(&format!("{API}/accounts")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    body(&reply)
}

/// The session's CSRF token, as a client learns it.
pub async fn token(client: &mut impl Client) -> String {
    accounts(client).await["csrf_token"].as_str().expect("a token").to_owned()
}

/// `POST {API}/{route}` with `token` in the header (none: no header).
pub async fn post(client: &mut impl Client, route: &str, token: Option<&str>) -> Reply {
    let headers: Vec<(&str, &[u8])> = token.iter().map(|token| ("x-csrf-token", token.as_bytes())).collect();
    client.request("POST", &format!("{API}/{route}"), &headers, b"").await
}

/// `POST {API}/{route}` with the session's token.
pub async fn post_with_token(client: &mut impl Client, route: &str) -> Reply {
    let token = token(client).await;
    post(client, route, Some(&token)).await
}

/// The ids of an accounts body, in order.
pub fn ids(accounts: &Value) -> Vec<i64> {
    list(accounts).iter().filter_map(|account| account["id"].as_str()?.parse().ok()).collect()
}

/// The current account of an accounts body.
pub fn current(accounts: &Value) -> Option<i64> {
    list(accounts).iter().find(|account| account["current"] == true)?["id"].as_str()?.parse().ok()
}

/// The account `id` of an accounts body.
pub fn account(accounts: &Value, id: i64) -> Value {
    let named = |account: &&Value| account["id"].as_str().is_some_and(|text| text.parse() == Ok(id));
    list(accounts).iter().find(named).cloned().unwrap_or(Value::Null)
}

fn list(accounts: &Value) -> Vec<Value> {
    accounts["accounts"].as_array().cloned().unwrap_or_default()
}

/// Adds `linked` over JSON: start, the app's sign-in, complete. Returns the
/// completion's reply.
pub async fn link(client: &mut impl Client, linked: i64) -> Reply {
    let started = post_with_token(client, "link/start").await;
    assert_eq!(started.status, 200, "starting the link: {started:?}");
    client.sign_in(linked).await;
    post_with_token(client, "link/complete").await
}
