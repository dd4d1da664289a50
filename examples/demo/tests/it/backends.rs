//! The demo on PostgreSQL, MySQL/MariaDB and with Redis sessions, when
//! `MULTI_ACCOUNT_TEST_POSTGRES_URL`, `MULTI_ACCOUNT_TEST_MYSQL_URL` or
//! `MULTI_ACCOUNT_TEST_REDIS_URL` is set (each test prints `ran on <backend>` or
//! `skipped on <backend>`). A set variable whose server is down fails the test.
//! On each database, remembered accounts are checked against it too.
#![allow(clippy::print_stdout)] // the tests report which backends they ran on

use crate::support::Demo;
use multi_account_demo::database::open;
use multi_account_demo::entities::{linked_account, user};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, EntityTrait, PaginatorTrait};

/// `url` with its database path replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let authority = base.find("://").map_or(0, |scheme| scheme + 3);
    let root = base[authority..].find('/').map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

/// Creates a throwaway database on the server at `server_url`, runs `test` with
/// its URL, then drops it.
pub(crate) async fn with_throwaway_database(server_url: &str, test: impl AsyncFnOnce(String)) {
    let name = format!("ma_demo_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(server_url).await.expect("the database server is reachable");
    let backend = admin.get_database_backend();
    let quoted = if backend == DatabaseBackend::MySql { format!("`{name}`") } else { format!("\"{name}\"") };
    admin.execute_unprepared(&format!("CREATE DATABASE {quoted}")).await.unwrap();
    test(with_database(server_url, &name)).await;
    let drop = match backend {
        DatabaseBackend::Postgres => format!("DROP DATABASE {quoted} WITH (FORCE)"),
        _ => format!("DROP DATABASE {quoted}"),
    };
    admin.execute_unprepared(&drop).await.unwrap();
    admin.close().await.unwrap();
}

/// Migrate + seed, restart, the whole link flow over HTTP, reset.
async fn demo_on(url: String) {
    let db = open(&url, false).await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 4);
    db.close().await.unwrap();

    let demo =
        Demo::start_with(|settings| multi_account_demo::Settings { database_url: url.clone(), ..settings }).await;
    let mut client = demo.client();
    client.sign_in("alice@example.com", "password").await;
    client.add_account(1, "bob@example.com").await;
    let home = client.get("/").await;
    assert!(home.body.contains("Signed in as bob@example.com"), "{}", home.body);
    assert_eq!(home.count(r#"<li class="account"#), 2);
    // The right password of an inactive account, answered as a wrong one.
    let inactive = demo.client().sign_in("dave@example.com", "password").await;
    assert_eq!(inactive.status, 401, "{}", inactive.body);
    assert!(inactive.body.contains(multi_account_demo::INCORRECT), "{}", inactive.body);
    crate::remembered::inactive_accounts_drop_out(&demo).await;
    demo.stop().await;

    // Restart keeps the link; reset removes it.
    let db = open(&url, false).await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 4);
    // One link (bob), and the group's own row (primary = linked = alice).
    let rows = linked_account::Entity::find().all(&db).await.unwrap();
    let links = rows.iter().filter(|row| row.linked_user_id != row.primary_user_id).count();
    assert_eq!(links, 1, "{rows:?}");
    assert_eq!(rows.len(), 2, "{rows:?}");
    db.close().await.unwrap();
    let db = open(&url, true).await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 4);
    assert_eq!(linked_account::Entity::find().count(&db).await.unwrap(), 0);
    db.close().await.unwrap();
}

fn server(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|url| !url.is_empty())
}

demo_test! {
    async fn demo_on_postgres() {
        let Some(url) = server("MULTI_ACCOUNT_TEST_POSTGRES_URL") else {
            println!("skipped on postgres");
            return;
        };
        with_throwaway_database(&url, demo_on).await;
        println!("ran on postgres");
    }
}

demo_test! {
    async fn demo_on_mysql() {
        let Some(url) = server("MULTI_ACCOUNT_TEST_MYSQL_URL") else {
            println!("skipped on mysql");
            return;
        };
        with_throwaway_database(&url, demo_on).await;
        println!("ran on mysql");
    }
}

demo_test! {
    async fn demo_with_redis_sessions() {
        let Some(redis) = server("MULTI_ACCOUNT_TEST_REDIS_URL") else {
            println!("skipped on redis");
            return;
        };
        let demo = Demo::start_with(|settings| multi_account_demo::Settings { redis_url: Some(redis), ..settings }).await;
        // Cookieless visitors (bots) get no session: no cookie, so no Redis key.
        for _ in 0..20 {
            let home = demo.client().get("/").await;
            assert_eq!(home.status, 200);
            assert_eq!(home.header("set-cookie"), None, "an anonymous page view writes no session");
        }
        let mut client = demo.client();
        let page = client.get("/sign-in").await;
        let cookie = page.header("set-cookie").unwrap_or_default().to_owned();
        assert!(!cookie.is_empty(), "the sign-in form's CSRF token is the app's own session write");
        assert!(cookie.len() < 200, "the cookie holds a session id, not the session: {cookie}");
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "carol@example.com").await;
        let home = client.get("/").await;
        assert!(home.body.contains("Signed in as carol@example.com"), "{}", home.body);
        assert_eq!(home.count(r#"<li class="account"#), 2);
        let token = home.csrf_token().unwrap();
        client.post_form("/sign-out", &[("csrf_token", &token)]).await;
        assert!(!client.get("/").await.body.contains("Signed in as"));
        demo.stop().await;
        println!("ran on redis");
    }
}
