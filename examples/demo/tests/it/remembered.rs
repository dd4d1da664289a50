//! Remembered accounts in the demo: an account that leaves this browser
//! (signed out, removed) stays listed "Signed out" on the home page, in the
//! switcher and on the sign-in page, with "Sign in again" (the sign-in form
//! filled in with its email, or the add-account flow while signed in) and
//! "Forget"; "Sign out and forget accounts on this computer" leaves none. The
//! same through the JSON API. (The login hint reaching the OpenID provider is
//! in `oidc.rs`.)

use serde_json::Value;

use crate::support::{Client, Demo, Response, attribute_after, unescape};
use multi_account_demo::REMEMBERED_COOKIE;

/// The emails of the remembered (signed-out) accounts a page lists, in order.
pub fn remembered(page: &Response) -> Vec<String> {
    let marker = r#"<li class="remembered-account" data-email=""#;
    page.body
        .match_indices(marker)
        .map(|(at, _)| {
            let start = at + marker.len();
            let end = page.body[start..].find('"').unwrap() + start;
            unescape(&page.body[start..end])
        })
        .collect()
}

/// The row of the remembered account `email` on `page`, as a page of its own
/// (for its forms and links).
pub fn remembered_row(page: &Response, email: &str) -> Response {
    let marker = format!(r#"<li class="remembered-account" data-email="{email}">"#);
    let at = page.body.find(&marker).unwrap_or_else(|| panic!("{email} is not listed as signed out: {}", page.body));
    let end = page.body[at..].find("</li>").unwrap() + at;
    Response { status: 200, headers: Vec::new(), body: page.body[at..end].to_owned() }
}

/// The value the sign-in form's email field holds.
pub fn email_field(page: &Response) -> Option<String> {
    attribute_after(&page.body, r#"id="email""#, "value")
}

fn signed_in_as(home: &Response, email: &str) -> bool {
    home.body.contains(&format!("Signed in as {email}"))
}

/// Whether the client holds the remembered accounts' cookie.
fn holds_cookie(client: &Client) -> bool {
    client.cookies().iter().any(|(name, _)| name == REMEMBERED_COOKIE)
}

/// Signs in as alice, adds bob, and signs out of all accounts with the
/// switcher's form.
async fn alice_and_bob_signed_out(client: &mut Client) {
    client.sign_in("alice@example.com", "password").await;
    client.add_account(1, "bob@example.com").await;
    let home = client.get("/").await;
    assert!(remembered(&home).is_empty(), "both signed in, none signed out: {}", home.body);
    let out = client.submit(&home.form_of("sign-out-all").expect("sign out of all accounts")).await;
    assert_eq!((out.status, out.location()), (303, Some("/")), "{}", out.body);
}

demo_test! {
    async fn signed_out_accounts_are_listed_and_sign_in_again_fills_in_the_form() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        alice_and_bob_signed_out(&mut client).await;

        // Signed out: both listed, the one signed in most recently first, by
        // what was remembered (email and name), with a link and a Forget form.
        let home = client.get("/").await;
        assert!(!home.body.contains("Signed in as"), "{}", home.body);
        assert!(home.body.contains(r#"id="sign-in-link""#));
        assert!(home.body.contains(r#"id="account-chooser""#), "{}", home.body);
        assert_eq!(remembered(&home), ["bob@example.com", "alice@example.com"]);
        let bob = remembered_row(&home, "bob@example.com");
        assert!(bob.body.contains("Bob Brown") && bob.body.contains("Signed out"), "{}", bob.body);
        assert_eq!(bob.links("sign-in-again"), ["/link/again/2"], "signed out, a link: {}", bob.body);
        assert!(bob.forms("sign-in-again").is_empty(), "no form: nobody is signed in");
        let forget = bob.forms("forget");
        assert_eq!(forget.len(), 1, "{}", bob.body);
        assert_eq!((forget[0].method.as_str(), forget[0].action.as_str()), ("post", "/link/forget/2"));
        assert!(forget[0].csrf_token.as_deref().is_some_and(|token| !token.is_empty()), "{forget:?}");

        // The sign-in page lists them too.
        let page = client.get("/sign-in").await;
        assert_eq!(remembered(&page), ["bob@example.com", "alice@example.com"]);
        assert_eq!(email_field(&page).as_deref(), Some(""), "nothing filled in without a hint");

        // "Sign in again": the sign-in page with bob's email filled in.
        let again = client.get("/link/again/2").await;
        assert_eq!(again.status, 303, "{}", again.body);
        let sign_in = again.location().unwrap().to_owned();
        assert_eq!(sign_in, "/sign-in?return_to=/&login_hint=bob%40example.com");
        let page = client.get(&sign_in).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(email_field(&page).as_deref(), Some("bob@example.com"), "{}", page.body);
        assert!(page.body.contains(r#"id="password" name="password" type="password" autocomplete="current-password" required autofocus"#), "the password has the focus");
        let token = page.csrf_token().unwrap();
        let fields = [("csrf_token", token.as_str()), ("email", "bob@example.com"), ("password", "password"), ("return_to", "/")];
        let done = client.post_form("/sign-in", &fields).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);

        // Bob is back; alice is still remembered, signed out, in his switcher.
        let home = client.get("/").await;
        assert!(signed_in_as(&home, "bob@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 1);
        assert_eq!(remembered(&home), ["alice@example.com"]);
        assert!(!home.body.contains(r#"id="account-chooser""#), "signed in, no chooser");
        demo.stop().await;
    }
}

demo_test! {
    async fn sign_in_again_while_signed_in_adds_the_account_back_to_the_group() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        alice_and_bob_signed_out(&mut client).await;
        client.sign_in("bob@example.com", "password").await;

        // Signed in, "Sign in again" is a POST form that starts adding alice:
        // the sign-in page of "Add another account", her email filled in.
        let home = client.get("/").await;
        let alice = remembered_row(&home, "alice@example.com");
        assert!(alice.links("sign-in-again").is_empty(), "signed in, a form, not a link: {}", alice.body);
        let again = alice.forms("sign-in-again");
        assert_eq!(again.len(), 1, "{}", alice.body);
        assert_eq!((again[0].method.as_str(), again[0].action.as_str()), ("post", "/link/again/1"));
        assert_eq!(again[0].csrf_token, home.csrf_token(), "the page's token");
        // A GET changes nothing: a page whose form does.
        let page = client.get("/link/again/1").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.form_action_before("</button>").as_deref(), Some("/link/again/1"), "{}", page.body);
        let started = client.submit(&again[0]).await;
        assert_eq!(started.status, 303, "{}", started.body);
        let sign_in = started.location().unwrap().to_owned();
        assert_eq!(sign_in, "/sign-in?return_to=/link/p/2&login_hint=alice%40example.com");
        let page = client.get(&sign_in).await;
        assert!(page.body.contains("Add another account"), "{}", page.body);
        assert!(page.body.contains("It joins <strong>bob@example.com</strong>"), "{}", page.body);
        assert_eq!(email_field(&page).as_deref(), Some("alice@example.com"));
        assert!(remembered(&page).is_empty(), "no chooser while adding: {}", page.body);

        // Signing in as alice there links her; nobody is remembered signed out.
        let token = page.csrf_token().unwrap();
        let fields = [
            ("csrf_token", token.as_str()),
            ("email", "alice@example.com"),
            ("password", "password"),
            ("return_to", "/link/p/2"),
        ];
        let done = client.post_form("/sign-in", &fields).await;
        assert_eq!(done.location(), Some("/link/p/2"), "{}", done.body);
        let link = client.get("/link/p/2").await;
        let token = link.csrf_token().expect("the auto-submit form");
        assert_eq!(client.post_form("/link/p/2", &[("csrf_token", &token)]).await.status, 303);
        let home = client.get("/").await;
        assert!(signed_in_as(&home, "alice@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 2, "one group again: {}", home.body);
        assert!(home.body.contains(r#"<li class="account primary" data-email="bob@example.com">"#), "{}", home.body);
        assert!(remembered(&home).is_empty(), "{}", home.body);

        // Removing an account leaves it remembered, signed out.
        let remove = home.form_action_before(r#"class="remove"#).unwrap();
        assert_eq!(client.post_form(&remove, &[("csrf_token", &home.csrf_token().unwrap())]).await.status, 303);
        let home = client.get("/").await;
        assert_eq!(home.count(r#"<li class="account"#), 1);
        assert_eq!(remembered(&home), ["alice@example.com"]);
        demo.stop().await;
    }
}

demo_test! {
    async fn forget_removes_a_remembered_account() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        alice_and_bob_signed_out(&mut client).await;

        // Signed out, from the sign-in page: back to it, bob gone.
        let page = client.get("/sign-in").await;
        let forget = remembered_row(&page, "bob@example.com").forms("forget").pop().unwrap();
        let without_token = client.post_form(&forget.action, &[]).await;
        assert_eq!(without_token.status, 403, "{}", without_token.body);
        let forgot = client
            .request(
                "POST",
                &forget.action,
                Some(format!("csrf_token={}", crate::support::encode(forget.csrf_token.as_deref().unwrap())).as_bytes()),
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Referer", &format!("http://{}/sign-in", demo.addr)),
                ],
            )
            .await;
        assert_eq!((forgot.status, forgot.location()), (303, Some("/sign-in")), "{}", forgot.body);
        assert_eq!(remembered(&client.get("/sign-in").await), ["alice@example.com"]);
        assert_eq!(remembered(&client.get("/").await), ["alice@example.com"]);
        // Forgetting it again changes nothing.
        let token = client.get("/sign-in").await.csrf_token().unwrap();
        assert_eq!(client.post_form("/link/forget/2", &[("csrf_token", &token)]).await.status, 303);
        assert_eq!(remembered(&client.get("/").await), ["alice@example.com"]);

        // Signed in, from the switcher.
        client.sign_in("carol@example.com", "password").await;
        let home = client.get("/").await;
        assert_eq!(remembered(&home), ["alice@example.com"]);
        let forget = remembered_row(&home, "alice@example.com").forms("forget").pop().unwrap();
        assert_eq!(forget.csrf_token, home.csrf_token());
        assert_eq!(client.submit(&forget).await.status, 303);
        let home = client.get("/").await;
        assert!(signed_in_as(&home, "carol@example.com"), "forgetting signs nobody out: {}", home.body);
        assert!(remembered(&home).is_empty(), "{}", home.body);
        assert!(!home.body.contains("remembered-title"), "no empty Signed out heading");
        demo.stop().await;
    }
}

demo_test! {
    async fn sign_out_and_forget_leaves_no_remembered_accounts() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "bob@example.com").await;
        let home = client.get("/").await;
        // The shared-computer choice sits next to "Sign out of all accounts".
        let forget_all = home.form_of("sign-out-all-forget").expect("sign out and forget");
        assert_eq!(forget_all.action, "/link/sign-out-all?forget");
        assert!(home.body.contains("Sign out and forget accounts on this computer"));
        assert!(holds_cookie(&client), "signed-in accounts are remembered as they sign in");
        let out = client.submit(&forget_all).await;
        assert_eq!((out.status, out.location()), (303, Some("/")), "{}", out.body);
        assert!(!holds_cookie(&client), "the cookie is deleted");

        let home = client.get("/").await;
        assert!(!home.body.contains("Signed in as"), "{}", home.body);
        assert!(remembered(&home).is_empty(), "{}", home.body);
        assert!(!home.body.contains(r#"id="account-chooser""#));
        assert!(remembered(&client.get("/sign-in").await).is_empty());

        // The plain sign-out keeps them; the demo's own /sign-out too.
        client.sign_in("carol@example.com", "password").await;
        let token = client.get("/").await.csrf_token().unwrap();
        assert_eq!(client.post_form("/sign-out", &[("csrf_token", &token)]).await.status, 303);
        assert_eq!(remembered(&client.get("/").await), ["carol@example.com"]);
        demo.stop().await;
    }
}

demo_test! {
    async fn the_remembered_cookie_is_encrypted_http_only_and_lax() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        // The first page that sees alice signed in remembers her.
        let home = client.get("/").await;
        let set = home
            .headers
            .iter()
            .filter(|(name, value)| name.eq_ignore_ascii_case("set-cookie") && value.starts_with(REMEMBERED_COOKIE))
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>();
        assert_eq!(set.len(), 1, "{:?}", home.headers);
        let cookie = set[0];
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP on localhost, as the session cookie: {cookie}");
        assert!(!cookie.contains("alice") && !cookie.contains("Alice"), "encrypted: {cookie}");
        // Noted once: the next page writes nothing.
        let again = client.get("/").await;
        assert!(again.headers.iter().all(|(_, value)| !value.starts_with(REMEMBERED_COOKIE)), "{:?}", again.headers);

        // A cookie that does not open reads as nothing remembered.
        let mut forged = demo.client();
        forged.set_cookies(vec![(REMEMBERED_COOKIE.to_owned(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned())]);
        let home = forged.get("/").await;
        assert_eq!(home.status, 200);
        assert!(remembered(&home).is_empty(), "{}", home.body);

        // Another demo (another secret) cannot read it either.
        let cookies = client.cookies();
        let token = client.get("/").await.csrf_token().unwrap();
        let out = client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await;
        assert_eq!(out.status, 303);
        assert_eq!(remembered(&client.get("/").await), ["alice@example.com"]);
        let other = Demo::start().await;
        let mut elsewhere = other.client();
        elsewhere.set_cookies(cookies);
        assert!(remembered(&elsewhere.get("/").await).is_empty());
        other.stop().await;
        demo.stop().await;
    }
}

demo_test! {
    async fn a_login_hint_fills_in_the_form_only_as_an_email_and_escaped() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let page = client.get("/sign-in?login_hint=%20Bob%40Example.com%20").await;
        assert_eq!(email_field(&page).as_deref(), Some("bob@example.com"), "trimmed, lower-cased");
        // The email-link and provider buttons are in the same form: they send it too.
        let page = client.get("/sign-in?login_hint=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%40x.y").await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
        assert_eq!(email_field(&page).as_deref(), Some(r#""><script>alert(1)</script>@x.y"#), "escaped in the page");
        for bad in ["not-an-email", "a%20b%40x.y", "bob%40example.com%0Aforged", ""] {
            let page = client.get(&format!("/sign-in?login_hint={bad}")).await;
            assert_eq!(page.status, 200, "{bad}");
            assert_eq!(email_field(&page).as_deref(), Some(""), "{bad}: {}", page.body);
        }
        demo.stop().await;
    }
}

/// Remembered accounts are checked against the database (one statement per
/// request): carol signs in and out in a browser of her own and stays listed,
/// signed out, until her account is made inactive; then she is forgotten.
/// (`backends.rs` runs it on PostgreSQL and MySQL too.)
pub async fn inactive_accounts_drop_out(demo: &Demo) {
    use multi_account_demo::entities::user::{self, UserStatus};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

    let mut client = demo.client();
    client.sign_in("carol@example.com", "password").await;
    let home = client.get("/").await;
    let out = client.submit(&home.form_of("sign-out-all").expect("sign out of all accounts")).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(remembered(&client.get("/").await), ["carol@example.com"]);
    let db = demo.database().await;
    let carol = user::Entity::find().filter(user::Column::Email.eq("carol@example.com")).one(&db).await.unwrap();
    let carol = carol.expect("carol is seeded");
    let set_status = async |status: UserStatus| {
        let mut active = carol.clone().into_active_model();
        active.status = Set(status);
        active.update(&db).await.unwrap();
    };
    set_status(UserStatus::Inactive).await;
    assert!(remembered(&client.get("/").await).is_empty(), "an inactive account drops out");
    set_status(UserStatus::Active).await;
    assert!(remembered(&client.get("/").await).is_empty(), "and is forgotten");
    db.close().await.unwrap();
}

demo_test! {
    async fn an_account_made_inactive_drops_out_of_the_remembered_accounts() {
        let demo = Demo::start().await;
        inactive_accounts_drop_out(&demo).await;
        demo.stop().await;
    }
}

/// `GET /link/api/accounts`, as JSON.
async fn api_accounts(client: &mut Client) -> Value {
    let response = client.get("/link/api/accounts").await;
    assert_eq!(response.status, 200, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

/// A JSON API POST with the session's token.
async fn api_post(client: &mut Client, path: &str, token: &str) -> (u16, Value) {
    let headers = [("Content-Type", "application/json"), ("X-CSRF-Token", token)];
    let response = client.request("POST", path, Some(b""), &headers).await;
    let body = serde_json::from_str(&response.body).unwrap_or_else(|error| panic!("{error}: {}", response.body));
    (response.status, body)
}

fn hints(body: &Value) -> Vec<&str> {
    body["remembered"].as_array().expect("remembered").iter().map(|entry| entry["hint"].as_str().unwrap()).collect()
}

demo_test! {
    async fn the_json_api_lists_signs_in_again_and_forgets_remembered_accounts() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        alice_and_bob_signed_out(&mut client).await;

        let body = api_accounts(&mut client).await;
        assert_eq!(body["accounts"], serde_json::json!([]), "{body}");
        assert_eq!(hints(&body), ["bob@example.com", "alice@example.com"]);
        let bob = &body["remembered"][0];
        assert_eq!(bob["id"], "2");
        assert_eq!(bob["fields"], serde_json::json!({ "name": "Bob Brown" }), "only the remembered fields: {bob}");
        assert_eq!(bob["actions"], serde_json::json!(["sign_in_again", "forget"]));
        let token = body["csrf_token"].as_str().expect("a token signed out").to_owned();
        // Signed out, "Sign in again" is a sign-in: the API has nothing to start.
        assert_eq!(api_post(&mut client, "/link/api/again/2", &token).await.0, 401);

        client.sign_in("carol@example.com", "password").await;
        let token = api_accounts(&mut client).await["csrf_token"].as_str().unwrap().to_owned();
        let (status, started) = api_post(&mut client, "/link/api/again/2", &token).await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(started["sign_in"], "/sign-in?return_to=/link/p/3&login_hint=bob%40example.com", "{started}");
        let token = started["csrf_token"].as_str().unwrap().to_owned();
        let (status, after) = api_post(&mut client, "/link/api/forget/1", &token).await;
        assert_eq!(status, 200, "{after}");
        assert_eq!(hints(&after), ["bob@example.com"]);
        let token = after["csrf_token"].as_str().unwrap().to_owned();
        let (status, out) = api_post(&mut client, "/link/api/sign-out-all?forget", &token).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["remembered"], serde_json::json!([]), "{out}");
        assert_eq!(api_accounts(&mut client).await["remembered"], serde_json::json!([]));
        demo.stop().await;
    }
}
