//! The security model through the axum routes: CSRF, same-origin, anonymous
//! sessions, replayed cookies.

use axum::http::StatusCode;
use multi_account_axum::MultiAccountConfig;

use crate::support::{client, database};

#[tokio::test]
async fn every_state_change_needs_the_token_and_a_same_origin_request() {
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let before = client.session_entries().await;
    for path in ["/link/switch_to/1", "/link/remove/2", "/link/p/1?start", "/link/p/1", "/link/sign-out-all"] {
        for token in [None, Some("0".repeat(64))] {
            let fields: Vec<(&str, &str)> = token.iter().map(|token| ("csrf_token", token.as_str())).collect();
            let refused = client.post_form(path, &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {token:?}: {refused:?}");
        }
        let token = client.csrf().await;
        for (name, value) in [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")] {
            client.headers = vec![(name.to_owned(), value.to_owned())];
            let refused = client.post_form(path, &[("csrf_token", &token)]).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {name}: {refused:?}");
            client.headers.clear();
        }
    }
    assert_eq!(client.session_entries().await, before, "nothing written");
    assert_eq!(client.get("/state").await.body, "current=2;primary=1;group=1,2");
    client.headers = vec![("Origin".to_owned(), "http://localhost".to_owned())];
    assert_eq!(client.switch(&1).await.status, StatusCode::SEE_OTHER, "control: this origin");
}

#[tokio::test]
async fn anonymous_requests_write_no_session() {
    let (db, _guard) = database(1).await;
    let config = MultiAccountConfig::new(db.clone());
    for path in ["/state", "/me", "/plain"] {
        let mut client = client(&config);
        let response = client.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(!response.set_cookie, "{path}: no session for an anonymous visitor");
    }
}

#[tokio::test]
async fn a_copy_of_the_cookie_regains_nothing_after_sign_out_all() {
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    let copy = client.cookies().clone();
    assert_eq!(client.post_with_csrf("/link/sign-out-all", &[]).await.status, StatusCode::SEE_OTHER);
    client.set_cookies(copy);
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=", "the store forgot the session");
}

#[tokio::test]
async fn the_session_id_changes_on_every_privilege_change() {
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.csrf().await;
    let anonymous = client.session_cookie().map(str::to_owned);
    client.sign_in(&1).await;
    let signed_in = client.session_cookie().map(str::to_owned);
    assert_ne!(anonymous, signed_in, "sign-in");
    client.complete_link(&1, &2).await;
    let linked = client.session_cookie().map(str::to_owned);
    assert_ne!(signed_in, linked, "link");
    client.switch(&1).await;
    assert_ne!(linked.as_deref(), client.session_cookie(), "switch");
}

#[tokio::test]
async fn a_new_password_signs_the_account_out() {
    use sea_orm::ConnectionTrait;
    let (db, _guard) = database(2).await;
    let config = MultiAccountConfig::new(db.clone());
    let mut client = client(&config);
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 2").await.unwrap();
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1", "2 is out of this session");
    db.execute_unprepared("UPDATE users SET password_hash = 'new' WHERE id = 1").await.unwrap();
    assert_eq!(client.get("/state").await.body, "current=;primary=;group=", "the primary too");
}
