//! The OpenAPI document: the checked-in `examples/demo/openapi.json` is the
//! generated one, and the demo serves exactly it, on both frameworks.

use std::path::PathBuf;

use multi_account_demo::Settings;

use crate::support::Demo;

/// The command that rewrites the checked-in copy.
const BLESS: &str = "MULTI_ACCOUNT_BLESS=1 cargo test -p multi-account-demo --test it openapi::";

fn checked_in_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

fn generated() -> String {
    multi_account_demo::openapi::document_json().expect("the document serializes")
}

/// Where two texts first differ: the line number and both lines.
fn first_difference(expected: &str, actual: &str) -> String {
    let (mut expected_lines, mut actual_lines) = (expected.lines(), actual.lines());
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => break,
            (want, got) if want != got => {
                return format!("line {number}:\n  checked in: {want:?}\n  generated:  {got:?}");
            }
            _ => {}
        }
    }
    "only in line endings or the final newline".to_owned()
}

#[test]
fn the_checked_in_document_is_the_generated_one() {
    let path = checked_in_path();
    let generated = generated();
    if std::env::var_os("MULTI_ACCOUNT_BLESS").is_some_and(|value| value == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}; write it with `{BLESS}`", path.display()));
    assert!(
        checked_in == generated,
        "{} is not the document the code generates ({}).\nIf the API changed on purpose, review the change and \
         re-bless it with\n\n    {BLESS}\n",
        path.display(),
        first_difference(&checked_in, &generated),
    );
}

#[test]
fn the_document_lists_every_route_of_the_api_and_the_sign_in() {
    let document: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    let mut paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/sign-in",
            "/link/api/accounts",
            "/link/api/again/{user_id}",
            "/link/api/forget/{user_id}",
            "/link/api/link/complete",
            "/link/api/link/start",
            "/link/api/remove/{user_id}",
            "/link/api/sign-out-all",
            "/link/api/switch/{user_id}",
        ]
    );
    assert_eq!(document["openapi"], "3.1.0");
}

demo_test! {
    async fn the_served_document_is_the_checked_in_one() {
        let checked_in = std::fs::read_to_string(checked_in_path()).unwrap();
        let demo = Demo::start().await;
        let mut client = demo.client();
        let served = client.get("/link/api/openapi.json").await;
        assert_eq!(served.status, 200, "{}", served.body);
        assert_eq!(served.header("content-type"), Some("application/json"));
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
        assert!(served.body == checked_in, "the served document is not the checked-in openapi.json (`{BLESS}`)");
        assert_eq!(served.header("set-cookie"), None, "serving the document creates no session");
        demo.stop().await;
    }
}

demo_test! {
    async fn the_document_is_served_where_the_setting_says() {
        let demo = Demo::start_with(|settings| Settings { openapi_path: "/docs/api.json".to_owned(), ..settings }).await;
        let mut client = demo.client();
        let served = client.get("/docs/api.json").await;
        assert_eq!(served.status, 200, "{}", served.body);
        assert_eq!(served.body, generated());
        assert_eq!(client.get("/link/api/openapi.json").await.status, 404, "not at the default path as well");
        demo.stop().await;
    }
}

demo_test! {
    async fn each_accounts_user_has_the_documented_display_fields() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        let accounts = client.get("/link/api/accounts").await;
        assert_eq!(accounts.status, 200, "{}", accounts.body);
        let accounts: serde_json::Value = serde_json::from_str(&accounts.body).unwrap();
        let user = accounts["accounts"][0]["user"].as_object().expect("a signed-in account").clone();
        let document: serde_json::Value = serde_json::from_str(&generated()).unwrap();
        let display = document["components"]["schemas"]["AccountDisplay"]["properties"].as_object().unwrap().clone();
        let (mut fields, mut documented): (Vec<_>, Vec<_>) = (user.keys().collect(), display.keys().collect());
        fields.sort();
        documented.sort();
        assert_eq!(fields, documented);
        assert!(user.values().all(serde_json::Value::is_string), "{user:?}");
        demo.stop().await;
    }
}
