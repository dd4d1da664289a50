//! Sign-in and "Add another account" through OpenID Connect, against a real
//! provider (`oidc-provider`, see `support::oidc`): the prompt and login hint
//! the provider receives, callbacks from another browser or replayed, a link
//! intent that expires at the provider, the provider down, provider accounts
//! that keep their account here when their email changes, and a remembered
//! account's "Sign in again", whose email reaches the provider as login hint.

use multi_account_demo::oidc::{self, AddAccountPrompt};
use multi_account_demo::{ADD_EXPIRED, EMAIL_NOT_VERIFIED, INACTIVE, NO_ACCOUNT, Settings};

use crate::remembered::{email_field, remembered, remembered_row};
use crate::support::oidc::{AtProvider, Provider, query_param, through_provider};
use crate::support::{Client, Demo, Response, attribute_after, encode, on_sqlite_and_mysql};

async fn demo_with(provider: &Provider, prompt: AddAccountPrompt) -> Demo {
    let oidc = provider.settings(prompt);
    Demo::start_with(|settings| Settings { oidc: Some(oidc), ..settings }).await
}

/// Posts the sign-in page's "Continue with …" button (with `email` typed in
/// the form, or none); returns the answer (a redirect to the provider).
async fn continue_with_provider(client: &mut Client, return_to: Option<&str>, email: &str) -> Response {
    let page = match return_to {
        Some(path) => client.get(&format!("/sign-in?return_to={}", encode(path))).await,
        None => client.get("/sign-in").await,
    };
    assert!(page.body.contains(r#"id="oidc-sign-in""#), "{}", page.body);
    let token = page.csrf_token().unwrap();
    let mut fields = vec![("csrf_token", token.as_str()), ("email", email), ("password", "")];
    if let Some(path) = return_to {
        fields.push(("return_to", path));
    }
    client.post_form("/oidc/start", &fields).await
}

/// Signs in (or adds, with `return_to`) `login` through the provider, from the
/// sign-in page to the demo's callback; returns the callback's answer.
async fn sign_in_with_provider(
    client: &mut Client,
    browser: &mut Client,
    return_to: Option<&str>,
    login: &str,
) -> Response {
    let start = continue_with_provider(client, return_to, "").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let (callback, _) = through_provider(browser, start.location().unwrap(), AtProvider::SignIn(login)).await;
    client.get(&crate::support::oidc::path_of(&callback)).await
}

/// Starts "Add another account" from the home page; returns the link path.
async fn start_adding(client: &mut Client) -> String {
    let add = client.get("/").await.form_of("add-account").expect("the add-account form");
    let start = client.submit(&add).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let sign_in = start.location().unwrap();
    sign_in.strip_prefix("/sign-in?return_to=").expect("to the sign-in page").to_owned()
}

/// Completes the link on its auto-submit page.
async fn complete_link(client: &mut Client, link: &str) {
    let page = client.get(link).await;
    let token = page.csrf_token().unwrap_or_else(|| panic!("the auto-submit form: {}", page.body));
    let done = client.post_form(link, &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
}

/// Submits the switcher's switch form of `email`.
async fn switch_to(client: &mut Client, email: &str) {
    let home = client.get("/").await;
    let at = home.body.find(&format!(r#"data-email="{email}""#)).unwrap_or_else(|| panic!("{email}: {}", home.body));
    let end = home.body[at..].find("</li>").unwrap() + at;
    let row = Response { status: 200, headers: Vec::new(), body: home.body[at..end].to_owned() };
    let form = row.forms("switch").pop().unwrap_or_else(|| panic!("a switch form for {email}: {}", row.body));
    assert_eq!(client.submit(&form).await.status, 303);
}

/// `text` as the templates escape it.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('\'', "&#x27;").replace('"', "&quot;")
}

fn signed_in_as(home: &Response) -> Option<&str> {
    let at = home.body.find("Signed in as ")? + "Signed in as ".len();
    let end = home.body[at..].find(|c: char| c == '<' || c.is_whitespace())? + at;
    Some(&home.body[at..end])
}

demo_test! {
    async fn sign_in_and_add_accounts_with_the_provider_then_a_password_and_switch() {
        let Some(provider) = Provider::shared() else { return };
        let demo = demo_with(provider, AddAccountPrompt::Auto).await;
        let mut client = demo.client();
        let mut browser = provider.browser();

        // A plain sign-in asks for no prompt.
        let start = continue_with_provider(&mut client, None, "").await;
        assert_eq!(start.status, 303, "{}", start.body);
        let to_provider = start.location().unwrap().to_owned();
        assert!(to_provider.starts_with(&format!("{}/auth?", provider.issuer)), "{to_provider}");
        assert_eq!(query_param(&to_provider, "code_challenge_method").as_deref(), Some("S256"));
        for param in ["code_challenge", "state", "nonce"] {
            assert!(query_param(&to_provider, param).is_some_and(|value| value.len() >= 16), "{param}: {to_provider}");
        }
        assert_eq!(query_param(&to_provider, "prompt"), None);
        let (callback, login_page) = through_provider(&mut browser, &to_provider, AtProvider::SignIn("alice")).await;
        assert!(login_page);
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        assert_eq!(signed_in_as(&client.get("/").await), Some("alice@example.com"));

        // Adding bob: the provider is asked to show its login page again (it
        // lists no select_account), with the email typed on the form as hint.
        let link = start_adding(&mut client).await;
        assert_eq!(link, "/link/p/1");
        let start = continue_with_provider(&mut client, Some(&link), "Bob@Example.com").await;
        assert_eq!(start.status, 303, "{}", start.body);
        let to_provider = start.location().unwrap().to_owned();
        assert_eq!(query_param(&to_provider, "prompt").as_deref(), Some("login"), "{to_provider}");
        assert_eq!(query_param(&to_provider, "login_hint").as_deref(), Some("bob@example.com"));
        let (callback, login_page) = through_provider(&mut browser, &to_provider, AtProvider::SignIn("bob")).await;
        assert!(login_page, "the provider showed its login page although it had a session");
        let seen = provider.authorizations(demo.addr.port()).await;
        let last = seen.last().unwrap();
        assert_eq!(last["prompt_raw"], "login", "{last}");
        assert_eq!(last["login_hint"], "bob@example.com", "{last}");
        assert_eq!(last["interaction"], true, "{last}");
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!((done.status, done.location()), (303, Some(link.as_str())), "{}", done.body);
        complete_link(&mut client, &link).await;
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("bob@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 2);

        // A third account, with a password.
        client.add_account(1, "carol@example.com").await;
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("carol@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 3);

        // Switch among all three.
        for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
            switch_to(&mut client, email).await;
            assert_eq!(signed_in_as(&client.get("/").await), Some(email));
        }

        // Adding alice again through the provider adds nothing, and says so.
        let link = start_adding(&mut client).await;
        let done = sign_in_with_provider(&mut client, &mut browser, Some(&link), "alice").await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        let home = client.get("/").await;
        assert!(home.body.contains("alice@example.com is already signed in \u{2014} switch to it."), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 3);
        demo.stop().await;
    }
}

demo_test! {
    async fn without_a_prompt_the_provider_signs_the_same_account_in_again() {
        // The failure the prompt prevents: with no prompt, a provider that
        // remembers alice answers "add another account" with alice, silently.
        let Some(provider) = Provider::shared() else { return };
        let demo = demo_with(provider, AddAccountPrompt::None).await;
        let mut client = demo.client();
        let mut browser = provider.browser();
        let done = sign_in_with_provider(&mut client, &mut browser, None, "alice").await;
        assert_eq!(done.status, 303, "{}", done.body);
        let link = start_adding(&mut client).await;
        let start = continue_with_provider(&mut client, Some(&link), "").await;
        let to_provider = start.location().unwrap().to_owned();
        assert_eq!(query_param(&to_provider, "prompt"), None);
        let (callback, login_page) = through_provider(&mut browser, &to_provider, AtProvider::NoPage).await;
        assert!(!login_page);
        assert_eq!(provider.authorizations(demo.addr.port()).await.last().unwrap()["interaction"], false);
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!(done.location(), Some("/"));
        assert!(client.get("/").await.body.contains("alice@example.com is already signed in"));
        demo.stop().await;
    }
}

demo_test! {
    async fn a_callback_from_another_browser_or_used_twice_links_nothing() {
        let Some(provider) = Provider::shared() else { return };
        let demo = demo_with(provider, AddAccountPrompt::Auto).await;

        // The attacker signs in as bob at the provider, in their own browser,
        // and keeps the callback URL instead of opening it.
        let mut attacker = demo.client();
        let mut attacker_browser = provider.browser();
        let start = continue_with_provider(&mut attacker, None, "").await;
        let (planted, _) =
            through_provider(&mut attacker_browser, start.location().unwrap(), AtProvider::SignIn("bob")).await;

        // The victim, signed in as alice and adding an account, is made to open it.
        let mut victim = demo.client();
        victim.sign_in("alice@example.com", "password").await;
        let link = start_adding(&mut victim).await;
        let _ = continue_with_provider(&mut victim, Some(&link), "").await;
        let refused = victim.get(&crate::support::oidc::path_of(&planted)).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("was not started in this browser"), "{}", refused.body);
        let home = victim.get("/").await;
        assert_eq!(signed_in_as(&home), Some("alice@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 1);

        // The victim's own sign-in, then its callback again, with the session
        // as it is and with the cookie copied before the first use.
        let mut browser = provider.browser();
        let start = continue_with_provider(&mut victim, Some(&link), "").await;
        let before = victim.cookies();
        let (callback, _) = through_provider(&mut browser, start.location().unwrap(), AtProvider::SignIn("bob")).await;
        let callback = crate::support::oidc::path_of(&callback);
        assert_eq!(victim.get(&callback).await.location(), Some(link.as_str()));
        complete_link(&mut victim, &link).await;
        let after = victim.cookies();
        let again = victim.get(&callback).await;
        assert_eq!(again.status, 400, "used once");
        assert!(again.body.contains(&html_escaped(oidc::STALE)), "the session spent it: {}", again.body);
        victim.set_cookies(before);
        let replayed = victim.get(&callback).await;
        assert_eq!(replayed.status, 400, "{}", replayed.body);
        // A cookie session still holds the state (the cookie is the whole
        // session): the provider refuses the spent code. A store on the server
        // has taken the state out already.
        let defence = match crate::support::framework() {
            multi_account_demo::Framework::Actix => oidc::INVALID,
            multi_account_demo::Framework::Axum => oidc::STALE,
        };
        assert!(replayed.body.contains(&html_escaped(defence)), "{defence:?}: {}", replayed.body);
        victim.set_cookies(after);
        let home = victim.get("/").await;
        assert_eq!(signed_in_as(&home), Some("bob@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 2);

        // A callback with no state, a made-up state, or the provider's error.
        for path in ["/oidc/callback", "/oidc/callback?state=x&code=y", "/oidc/callback?error=access_denied&state=z"] {
            let response = victim.get(path).await;
            assert_eq!(response.status, 400, "{path}: {}", response.body);
        }
        demo.stop().await;
    }
}

demo_test! {
    async fn an_add_whose_link_intent_expired_at_the_provider_signs_nobody_in() {
        let Some(provider) = Provider::shared() else { return };
        let oidc = provider.settings(AddAccountPrompt::Auto);
        let demo = Demo::start_with(|settings| Settings {
            oidc: Some(oidc),
            // Long enough for the round through the provider on a loaded machine.
            link_intent_ttl: Some(std::time::Duration::from_secs(4)),
            ..settings
        })
        .await;
        let mut client = demo.client();
        let mut browser = provider.browser();
        client.sign_in("alice@example.com", "password").await;
        let link = start_adding(&mut client).await;
        let start = continue_with_provider(&mut client, Some(&link), "").await;
        let (callback, _) = through_provider(&mut browser, start.location().unwrap(), AtProvider::SignIn("bob")).await;
        tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        let home = client.get("/").await;
        assert!(home.body.contains(ADD_EXPIRED), "{}", home.body);
        assert_eq!(signed_in_as(&home), Some("alice@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 1);

        // Starting with an intent that expired already goes nowhere near the provider.
        let link = start_adding(&mut client).await;
        let page = client.get(&format!("/sign-in?return_to={}", encode(&link))).await;
        tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
        let token = page.csrf_token().unwrap();
        let start = client.post_form("/oidc/start", &[("csrf_token", &token), ("return_to", &link)]).await;
        assert_eq!((start.status, start.location()), (303, Some("/")), "{}", start.body);
        assert!(client.get("/").await.body.contains(ADD_EXPIRED));
        demo.stop().await;
    }
}

demo_test! {
    async fn unverified_unknown_and_inactive_accounts_are_refused() {
        let Some(provider) = Provider::shared() else { return };
        let demo = demo_with(provider, AddAccountPrompt::Auto).await;
        // mallory claims alice's address, unverified; erin has no account
        // here; dave's is inactive.
        for (login, message) in [("mallory", EMAIL_NOT_VERIFIED), ("erin", NO_ACCOUNT), ("dave", INACTIVE)] {
            let mut client = demo.client();
            let mut browser = provider.browser();
            let refused = sign_in_with_provider(&mut client, &mut browser, None, login).await;
            assert_eq!(refused.status, 403, "{login}: {}", refused.body);
            assert!(refused.body.contains(message), "{login}: {}", refused.body);
            assert_eq!(signed_in_as(&client.get("/").await), None, "{login}");
        }
        demo.stop().await;
    }
}

demo_test! {
    async fn a_provider_account_keeps_its_account_when_its_email_changes() {
        use multi_account_demo::entities::oidc_identity;
        use sea_orm::{EntityTrait, PaginatorTrait};

        // A provider of its own: the test changes accounts there.
        let Some(provider) = Provider::start() else { return };
        on_sqlite_and_mysql(async |url| {
            provider.set_account("alice", "alice@example.com").await;
            let oidc = provider.settings(AddAccountPrompt::Auto);
            let demo = Demo::start_on(url, |settings| Settings { oidc: Some(oidc), ..settings }).await;
            let sign_in_as = async |login: &str| {
                let (mut client, mut browser) = (demo.client(), provider.browser());
                let done = sign_in_with_provider(&mut client, &mut browser, None, login).await;
                assert_eq!(done.status, 303, "{login}: {}", done.body);
                signed_in_as(&client.get("/").await).map(str::to_owned)
            };

            // The first sign-in with the provider's "alice": her verified
            // address finds alice here, and the pair is recorded.
            assert_eq!(sign_in_as("alice").await.as_deref(), Some("alice@example.com"));
            // At the provider, that account's address becomes bob's.
            provider.set_account("alice", "bob@example.com").await;
            assert_eq!(sign_in_as("alice").await.as_deref(), Some("alice@example.com"), "never bob");
            // Bob's own provider account finds bob at its first sign-in.
            assert_eq!(sign_in_as("bob").await.as_deref(), Some("bob@example.com"));
            // A subject that differs from alice's only in case is another
            // provider account (subjects are case-sensitive, on MariaDB too).
            provider.set_account("ALICE", "carol@example.com").await;
            assert_eq!(sign_in_as("ALICE").await.as_deref(), Some("carol@example.com"));
            assert_eq!(sign_in_as("alice").await.as_deref(), Some("alice@example.com"));

            let db = demo.database().await;
            assert_eq!(oidc_identity::Entity::find().count(&db).await.unwrap(), 3, "alice, bob, ALICE");
            db.close().await.unwrap();
            demo.stop().await;
        })
        .await;
        provider.stop();
    }
}

demo_test! {
    async fn the_provider_down_gives_the_sign_in_page_with_a_message() {
        // Down from the start: discovery fails.
        let Some(provider) = Provider::start() else { return };
        let unreachable = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let mut settings = provider.settings(AddAccountPrompt::Auto);
        settings.issuer = format!("http://{unreachable}");
        let demo = Demo::start_with(|s| Settings { oidc: Some(settings), ..s }).await;
        let mut client = demo.client();
        let down = continue_with_provider(&mut client, None, "alice@example.com").await;
        assert_eq!(down.status, 502, "{}", down.body);
        assert!(down.body.contains("could not be reached"), "{}", down.body);
        assert!(down.body.contains(r#"id="sign-in-form""#), "the form, to sign in with a password");
        demo.stop().await;

        // Down between the start and the callback of an add: the code
        // exchange fails, and the page offered instead still adds (a password
        // there must not replace alice).
        let demo = demo_with(&provider, AddAccountPrompt::Auto).await;
        let mut client = demo.client();
        let mut browser = provider.browser();
        client.sign_in("alice@example.com", "password").await;
        let link = start_adding(&mut client).await;
        let start = continue_with_provider(&mut client, Some(&link), "").await;
        let (callback, _) = through_provider(&mut browser, start.location().unwrap(), AtProvider::SignIn("bob")).await;
        provider.stop();
        let down = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!(down.status, 502, "{}", down.body);
        assert!(down.body.contains("could not be reached"), "{}", down.body);
        let kept = crate::support::attribute_after(&down.body, r#"name="return_to""#, "value");
        assert_eq!(kept.as_deref(), Some(link.as_str()), "{}", down.body);
        let token = down.csrf_token().unwrap();
        let fields = [("csrf_token", token.as_str()), ("email", "bob@example.com"), ("password", "password"), ("return_to", &link)];
        assert_eq!(client.post_form("/sign-in", &fields).await.location(), Some(link.as_str()));
        complete_link(&mut client, &link).await;
        assert_eq!(client.get("/").await.count(r#"<li class="account"#), 2, "alice stayed");
        demo.stop().await;
    }
}

demo_test! {
    async fn without_a_provider_there_is_no_provider_sign_in() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let page = client.get("/sign-in").await;
        assert!(!page.body.contains("oidc"), "{}", page.body);
        let token = page.csrf_token().unwrap();
        assert_eq!(client.post_form("/oidc/start", &[("csrf_token", &token)]).await.status, 404);
        assert_eq!(client.get("/oidc/callback?state=x&code=y").await.status, 404);
        demo.stop().await;
    }
}

demo_test! {
    async fn with_sessions_in_redis_a_callback_still_works_once() {
        let Some(provider) = Provider::shared() else { return };
        let Ok(redis_url) = std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL") else {
            println!("skipped on redis");
            return;
        };
        let oidc = provider.settings(AddAccountPrompt::Auto);
        let demo = Demo::start_with(|settings| Settings { oidc: Some(oidc), redis_url: Some(redis_url), ..settings }).await;
        let mut client = demo.client();
        let mut browser = provider.browser();
        client.sign_in("alice@example.com", "password").await;
        let link = start_adding(&mut client).await;
        let start = continue_with_provider(&mut client, Some(&link), "").await;
        let (callback, _) = through_provider(&mut browser, start.location().unwrap(), AtProvider::SignIn("bob")).await;
        let callback = crate::support::oidc::path_of(&callback);
        let before = client.cookies();
        assert_eq!(client.get(&callback).await.location(), Some(link.as_str()));
        complete_link(&mut client, &link).await;
        // The same session id, replayed: the store took the state out already.
        let after = client.cookies();
        client.set_cookies(before);
        let replayed = client.get(&callback).await;
        assert_eq!(replayed.status, 400);
        assert!(replayed.body.contains(&html_escaped(oidc::STALE)), "{}", replayed.body);
        client.set_cookies(after);
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("bob@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 2);
        println!("ran on redis");
        demo.stop().await;
    }
}

demo_test! {
    async fn three_accounts_and_four_sign_ins_waiting_keep_the_cookie_under_4_kb() {
        // The cookie store holds the whole session (actix-web's default in the
        // demo): every active demo account and four provider sign-ins waiting
        // (the most one session keeps) must fit.
        let Some(provider) = Provider::shared() else { return };
        let oidc = provider.settings(AddAccountPrompt::Auto);
        // Mail on (nothing listens there: the send fails, after the answer),
        // for the browser's email-link secret in the session too.
        let mail = multi_account_demo::email_link::MailSettings {
            smtp_url: "smtp://127.0.0.1:9".to_owned(),
            from: "Demo <demo@localhost>".to_owned(),
        };
        let demo = Demo::start_with(|settings| Settings { oidc: Some(oidc), mail: Some(mail), ..settings }).await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "bob@example.com").await;
        client.add_account(1, "carol@example.com").await;
        let token = client.get("/").await.csrf_token().unwrap();
        let asked = client.post_form("/sign-in/email", &[("csrf_token", &token), ("email", "carol@example.com")]).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        // The longest return_to a pending sign-in keeps; a longer one is dropped.
        let long = format!("/{}", "a".repeat(127));
        let mut largest = 0;
        for _ in 0..5 {
            let fields = [("csrf_token", token.as_str()), ("return_to", &long), ("email", "someone.long@example.com")];
            let start = client.post_form("/oidc/start", &fields).await;
            assert_eq!(start.status, 303, "{}", start.body);
            for (name, value) in &start.headers {
                if name.eq_ignore_ascii_case("set-cookie") {
                    largest = largest.max(value.len());
                }
            }
        }
        assert!(largest > 0);
        assert!(largest < 4000, "a Set-Cookie of {largest} bytes");
        println!("largest Set-Cookie: {largest} bytes");
        demo.stop().await;
    }
}

/// Posts "Continue with …" from the sign-in `page` as a browser does: the
/// form's fields as the page filled them in (the email, the `return_to`), no
/// password.
async fn continue_from(client: &mut Client, page: &Response) -> Response {
    assert!(page.body.contains(r#"id="oidc-sign-in""#), "{}", page.body);
    let token = page.csrf_token().unwrap();
    let email = email_field(page).unwrap_or_default();
    let return_to = attribute_after(&page.body, r#"name="return_to""#, "value");
    let mut fields = vec![("csrf_token", token.as_str()), ("email", email.as_str()), ("password", "")];
    if let Some(path) = &return_to {
        fields.push(("return_to", path));
    }
    client.post_form("/oidc/start", &fields).await
}

demo_test! {
    async fn sign_in_again_sends_the_remembered_email_to_the_provider_as_login_hint() {
        let Some(provider) = Provider::shared() else { return };
        let demo = demo_with(provider, AddAccountPrompt::Auto).await;
        let mut client = demo.client();
        let mut browser = provider.browser();
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "bob@example.com").await;
        let sign_out = client.get("/").await.form_of("sign-out-all").unwrap();
        let out = client.submit(&sign_out).await;
        assert_eq!(out.status, 303, "{}", out.body);

        // Signed out: alice's "Sign in again" link, then "Continue with Test
        // ID" on the page it leads to. A plain sign-in: no prompt, her email
        // as the login hint.
        let home = client.get("/").await;
        let link = remembered_row(&home, "alice@example.com").links("sign-in-again").pop().unwrap();
        let again = client.get(&link).await;
        let page = client.get(again.location().unwrap()).await;
        assert_eq!(email_field(&page).as_deref(), Some("alice@example.com"), "{}", page.body);
        let start = continue_from(&mut client, &page).await;
        assert_eq!(start.status, 303, "{}", start.body);
        let to_provider = start.location().unwrap().to_owned();
        assert_eq!(query_param(&to_provider, "login_hint").as_deref(), Some("alice@example.com"), "{to_provider}");
        assert_eq!(query_param(&to_provider, "prompt"), None, "{to_provider}");
        let (callback, login_page) = through_provider(&mut browser, &to_provider, AtProvider::SignIn("alice")).await;
        assert!(login_page);
        let seen = provider.authorizations(demo.addr.port()).await;
        assert_eq!(seen.last().unwrap()["login_hint"], "alice@example.com", "{seen:?}");
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("alice@example.com"));
        assert_eq!(remembered(&home), ["bob@example.com"]);

        // Signed in: bob's "Sign in again" form starts adding him; the
        // provider is asked for its login page, with his email as hint.
        let form = remembered_row(&home, "bob@example.com").forms("sign-in-again").pop().unwrap();
        let started = client.submit(&form).await;
        assert_eq!(started.status, 303, "{}", started.body);
        let page = client.get(started.location().unwrap()).await;
        assert_eq!(email_field(&page).as_deref(), Some("bob@example.com"), "{}", page.body);
        let start = continue_from(&mut client, &page).await;
        assert_eq!(start.status, 303, "{}", start.body);
        let to_provider = start.location().unwrap().to_owned();
        assert_eq!(query_param(&to_provider, "login_hint").as_deref(), Some("bob@example.com"), "{to_provider}");
        assert_eq!(query_param(&to_provider, "prompt").as_deref(), Some("login"), "{to_provider}");
        let (callback, login_page) = through_provider(&mut browser, &to_provider, AtProvider::SignIn("bob")).await;
        assert!(login_page, "the provider showed its login page although it had alice's session");
        let seen = provider.authorizations(demo.addr.port()).await;
        let last = seen.last().unwrap();
        assert_eq!((&last["login_hint"], &last["prompt_raw"]), (&"bob@example.com".into(), &"login".into()), "{last}");
        let done = client.get(&crate::support::oidc::path_of(&callback)).await;
        assert_eq!((done.status, done.location()), (303, Some("/link/p/1")), "{}", done.body);
        complete_link(&mut client, "/link/p/1").await;
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("bob@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 2, "one group again: {}", home.body);
        assert!(remembered(&home).is_empty(), "{}", home.body);
        demo.stop().await;
    }
}
