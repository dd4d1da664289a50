//! The demo app over real HTTP on loopback: sign-in messages, bad input, the
//! link flow and the account switcher.

use crate::support::Demo;
use multi_account_demo::{EMPTY, INACTIVE, INCORRECT};

demo_test! {
    async fn home_page_signed_out_links_to_sign_in() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let home = client.get("/").await;
        assert_eq!(home.status, 200);
        assert!(home.body.contains(r#"id="sign-in-link""#), "{}", home.body);
        assert!(!home.body.contains("Signed in as"));
        let served_by = format!("multi-account · {} + SeaORM", crate::support::framework());
        assert!(home.body.contains(&served_by), "served by the framework under test: {}", home.body);
        let css = client.get("/static/app.css").await;
        assert_eq!(css.status, 200);
        assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
        assert_eq!(css.header("set-cookie"), None, "assets do not create sessions");
        demo.stop().await;
    }
}

demo_test! {
    async fn sign_in_refusals_share_one_message() {
        let demo = Demo::start().await;
        let mut client = demo.client();

        let wrong = client.sign_in("alice@example.com", "wrong").await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains(INCORRECT), "{}", wrong.body);
        assert!(wrong.body.contains(r#"value="alice@example.com""#), "the email is kept");

        let unknown = client.sign_in("nobody@example.com", "password").await;
        assert_eq!(unknown.status, 401);
        assert!(unknown.body.contains(INCORRECT));

        // The right password of an inactive account is answered as a wrong
        // one: saying "inactive" would confirm the guess.
        let token = client.get("/sign-in").await.csrf_token().unwrap();
        let fields = [("csrf_token", token.as_str()), ("email", "dave@example.com"), ("password", "password")];
        let inactive = client.post_form("/sign-in", &fields).await;
        assert_eq!(inactive.status, 401, "{}", inactive.body);
        assert!(inactive.body.contains(INCORRECT), "{}", inactive.body);
        assert!(!inactive.body.contains(INACTIVE), "{}", inactive.body);
        let inactive_wrong = client.sign_in("dave@example.com", "wrong").await;
        assert_eq!((inactive_wrong.status, inactive_wrong.body.contains(INCORRECT)), (401, true));
        // One form, one guess: it spends the form's token too.
        assert_ne!(inactive.csrf_token().as_deref(), Some(token.as_str()));
        let again = client.post_form("/sign-in", &fields).await;
        assert_eq!(again.status, 403, "the spent token is refused before the password: {}", again.body);

        let empty = client.sign_in("", "").await;
        assert_eq!(empty.status, 422);
        assert!(empty.body.contains(EMPTY));

        assert!(!client.get("/").await.body.contains("Signed in as"), "nobody got signed in");
        demo.stop().await;
    }
}

demo_test! {
    async fn sign_in_succeeds_and_returns_only_to_local_paths() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        // Email case and surrounding spaces do not matter.
        let done = client.sign_in(" Alice@Example.com ", "password").await;
        assert_eq!(done.status, 303);
        assert_eq!(done.location(), Some("/"));
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as alice@example.com"), "{}", home.body);

        for (return_to, expected) in [
            ("/static/app.css", "/static/app.css"),
            ("//evil.example/x", "/"),
            ("https://evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("javascript:alert(1)", "/"),
        ] {
            let mut client = demo.client();
            let done = client.sign_in_returning_to("bob@example.com", "password", Some(return_to)).await;
            assert_eq!(done.status, 303, "{return_to}");
            assert_eq!(done.location(), Some(expected), "return_to {return_to:?}");
        }
        demo.stop().await;
    }
}

demo_test! {
    async fn sign_out_ends_the_browser_session() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("carol@example.com", "password").await;
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as carol@example.com"));
        let token = home.csrf_token().unwrap();
        // Without the token nothing happens.
        assert_eq!(client.post_form("/sign-out", &[]).await.status, 403);
        assert!(client.get("/").await.body.contains("Signed in as carol@example.com"));
        let out = client.post_form("/sign-out", &[("csrf_token", &token)]).await;
        assert_eq!(out.status, 303);
        assert!(!client.get("/").await.body.contains("Signed in as"));
        demo.stop().await;
    }
}

demo_test! {
    async fn bad_input_is_never_a_server_error() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let long = "a".repeat(100_000);
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("application/x-www-form-urlencoded", b"".to_vec()),
            ("application/x-www-form-urlencoded", b"%%%&&&===&email".to_vec()),
            ("application/x-www-form-urlencoded", b"email=%ff%fe&password=%00&csrf_token=%zz".to_vec()),
            ("application/x-www-form-urlencoded", vec![0xff, 0xfe, b'=', 0x80]),
            ("application/x-www-form-urlencoded", format!("email={long}").into_bytes()),
            ("application/json", br#"{"email":"alice@example.com"}"#.to_vec()),
            ("text/plain", b"hello".to_vec()),
        ];
        for (content_type, body) in &bodies {
            for path in [
                "/sign-in",
                "/sign-out",
                "/link/sign-out-all",
                "/link/p/1",
                "/link/p/1?start",
                "/link/remove/2",
                "/link/switch_to/2",
            ] {
                let response = client.post_raw(path, content_type, body).await;
                assert!(response.status < 500, "POST {path} {content_type}: {}", response.status);
            }
        }
        for path in [
            "/sign-in?return_to=%ff%fe",
            "/sign-in?return_to=//evil.example&return_to=/x",
            "/sign-in?%%%",
            "/link/p/not-a-number",
            "/link/p/99999999999999999999999",
            "/link/switch_to/%ff?csrf_token=x",
            "/link/switch_to/1",
            "/nowhere",
        ] {
            let response = client.get(path).await;
            assert!(response.status < 500, "GET {path}: {}", response.status);
            assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"), "GET {path}");
        }

        // Signed in, with a valid token but garbage fields.
        client.sign_in("alice@example.com", "password").await;
        let token = client.get("/").await.csrf_token().unwrap();
        let too_big = client.post_form("/sign-in", &[("csrf_token", &token), ("email", &long)]).await;
        assert_eq!(too_big.status, 413, "form bodies are limited to 16 KiB");
        let long = "a".repeat(2000);
        let mut token = token;
        for fields in [
            vec![("email", long.as_str()), ("password", long.as_str())],
            vec![("email", "x"), ("password", "y"), ("return_to", "\u{0}")],
        ] {
            let fields: Vec<_> = [("csrf_token", token.as_str())].into_iter().chain(fields).collect();
            let response = client.post_form("/sign-in", &fields).await;
            assert!(response.status < 500, "{}", response.status);
            assert!(response.body.contains(INCORRECT));
            // A failed attempt rotates the token; the page carries the new one.
            token = response.csrf_token().unwrap();
        }
        // A bad CSRF token gets the 403 page.
        let forged = client.post_form("/sign-in", &[("csrf_token", "0"), ("email", "a"), ("password", "b")]).await;
        assert_eq!(forged.status, 403);
        assert!(forged.body.contains("Not allowed"), "{}", forged.body);
        demo.stop().await;
    }
}

demo_test! {
    async fn add_another_account_switch_remove_and_sign_out_of_all() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        let home = client.get("/").await;
        assert_eq!(home.count(r#"<li class="account"#), 1);

        // "Add another account" goes to the sign-in page for the new account.
        let add = home.form_of("add-account").expect("an add-account form");
        assert_eq!(add.method, "post");
        assert_eq!(add.action, "/link/p/1?start");
        assert_eq!(add.csrf_token, home.csrf_token(), "{add:?}");
        // Only the POST starts: a GET of the link shows a page whose form does.
        let page = client.get("/link/p/1").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.header("set-cookie"), None, "the GET writes nothing");
        assert!(page.body.contains("Add another account"), "{}", page.body);
        assert_eq!(page.form_action_before("Add another account</button>").as_deref(), Some("/link/p/1?start"));
        let start = client.submit(&add).await;
        assert_eq!(start.status, 303, "{}", start.body);
        let sign_in = start.location().unwrap().to_owned();
        assert_eq!(sign_in, "/sign-in?return_to=/link/p/1");
        let page = client.get(&sign_in).await;
        assert!(page.body.contains("Add another account"), "{}", page.body);
        assert!(page.body.contains("alice@example.com"), "names the account it joins");
        let token = page.csrf_token().unwrap();

        // Signing in as bob comes back to the link, which posts itself.
        let done = client
            .post_form(
                "/sign-in",
                &[
                    ("csrf_token", &token),
                    ("email", "bob@example.com"),
                    ("password", "password"),
                    ("return_to", "/link/p/1"),
                ],
            )
            .await;
        assert_eq!(done.status, 303);
        assert_eq!(done.location(), Some("/link/p/1"));
        let link_page = client.get("/link/p/1").await;
        assert_eq!(link_page.status, 200);
        assert!(link_page.body.contains(r#"id="multi-account-link""#));
        assert!(link_page.body.contains(r#"id="link-account""#), "noscript button");
        let token = link_page.csrf_token().unwrap();
        let linked = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
        assert_eq!(linked.status, 303);

        // Both accounts in the switcher; bob is current, alice primary.
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as bob@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 2);
        assert!(home.body.contains(r#"<li class="account primary" data-email="alice@example.com">"#), "{}", home.body);
        assert!(home.body.contains(r#"<li class="account current" data-email="bob@example.com">"#));
        assert!(home.body.contains("Primary"));
        assert!(home.body.contains(r#"id="sign-out-all""#));

        // Signed in, the sign-in page starts adding an account.
        let again = client.get("/sign-in").await;
        assert_eq!(again.status, 303);
        assert_eq!(again.location(), Some("/link/p/1"));
        let again = client.get("/link/p/1").await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(again.form_action_before("Add another account</button>").as_deref(), Some("/link/p/1?start"));

        // Switch to alice: a POST form with the token in a field, never in a URL.
        let switches = home.forms("switch");
        assert_eq!(switches.len(), 1, "{switches:?}");
        assert_eq!(switches[0].method, "post");
        assert_eq!(switches[0].action, "/link/switch_to/1");
        assert!(switches[0].csrf_token.as_deref().is_some_and(|token| !token.is_empty()), "{switches:?}");
        let hrefs = home.hrefs();
        assert!(hrefs.iter().all(|href| !href.contains("csrf_token")), "{hrefs:?}");
        assert!(home.links("switch").is_empty(), "no switch links");
        assert_eq!(client.get("/link/switch_to/1").await.status, 405, "a GET does not switch");
        assert!(client.get("/").await.body.contains("Signed in as bob@example.com"));
        let switched = client.submit(&switches[0]).await;
        assert_eq!(switched.status, 303, "{}", switched.body);
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as alice@example.com"));

        // Remove bob.
        let remove = home.form_action_before(r#"class="remove"#).unwrap();
        assert_eq!(remove, "/link/remove/2");
        let token = home.csrf_token().unwrap();
        assert_eq!(client.post_form(&remove, &[("csrf_token", &token)]).await.status, 303);
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as alice@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 1);

        // Sign out of all accounts.
        let action = home.form_action_before(r#"id="sign-out-all""#).unwrap();
        let token = home.csrf_token().unwrap();
        assert_eq!(client.post_form(&action, &[("csrf_token", &token)]).await.status, 303);
        let home = client.get("/").await;
        assert!(!home.body.contains("Signed in as"));
        assert!(home.body.contains(r#"id="sign-in-link""#));
        demo.stop().await;
    }
}

demo_test! {
    async fn adding_an_account_that_is_already_signed_in_says_so() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        let add = client.get("/").await.form_of("add-account").expect("the add-account form");
        let start = client.submit(&add).await;
        assert_eq!(start.status, 303, "{}", start.body);
        let page = client.get(start.location().unwrap()).await;
        let token = page.csrf_token().unwrap();
        let done = client
            .post_form(
                "/sign-in",
                &[
                    ("csrf_token", &token),
                    ("email", "alice@example.com"),
                    ("password", "password"),
                    ("return_to", "/link/p/1"),
                ],
            )
            .await;
        assert_eq!(done.location(), Some("/"));
        let home = client.get("/").await;
        assert!(home.body.contains("alice@example.com is already signed in \u{2014} switch to it."), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 1);
        demo.stop().await;
    }
}

demo_test! {
    async fn a_new_password_signs_the_account_out_of_the_switcher() {
        use multi_account_demo::entities::user;
        use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        let add = client.get("/").await.form_of("add-account").expect("the add-account form");
        let start = client.submit(&add).await;
        assert_eq!(start.status, 303, "{}", start.body);
        client.sign_in_returning_to("bob@example.com", "password", Some("/link/p/1")).await;
        let token = client.get("/link/p/1").await.csrf_token().unwrap();
        assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, 303);
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as bob@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 2);

        // Bob changes his password elsewhere.
        let db = sea_orm::Database::connect(format!("sqlite://{}", demo.db_path.display())).await.unwrap();
        let bob = user::Entity::find().filter(user::Column::Email.eq("bob@example.com")).one(&db).await.unwrap().unwrap();
        let mut bob: user::ActiveModel = bob.into();
        bob.password_hash = Set(multi_account_demo::password::hash("new password").unwrap());
        bob.update(&db).await.unwrap();

        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as alice@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 1, "{}", home.body);
        demo.stop().await;
    }
}

demo_test! {
    async fn a_plain_sign_in_over_a_group_replaces_it_with_a_fresh_session() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "bob@example.com").await;
        let home = client.get("/").await;
        assert_eq!(home.count(r#"<li class="account"#), 2, "{}", home.body);
        let before = client.cookies();

        // Carol signs in with the session's token (the demo's sign-in page sends
        // a signed-in browser to "Add another account", so the form is posted as
        // a second tab's or a script's would be): she is signed in alone, with a
        // new session, and nothing of Alice's group is left behind.
        let token = home.csrf_token().expect("the session's token");
        let fields = [("csrf_token", token.as_str()), ("email", "carol@example.com"), ("password", "password")];
        let done = client.post_form("/sign-in", &fields).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_ne!(client.cookies(), before, "a fresh session cookie");
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as carol@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 1, "{}", home.body);
        let db = demo.database().await;
        let rows = sea_orm::ConnectionTrait::query_one_raw(
            &db,
            sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM linked_accounts WHERE linked_user_id <> primary_user_id",
            ),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(rows.try_get::<i64>("", "n").unwrap(), 0, "Alice's link to Bob was revoked");
        demo.stop().await;
    }
}
