//! Redis sessions and two app instances: the full flow with the Redis store, and
//! two servers on two loopback ports (one database, one Redis) sharing a session.
//! Runs when `MULTI_ACCOUNT_TEST_REDIS_URL` is set; the database is PostgreSQL when
//! `MULTI_ACCOUNT_TEST_POSTGRES_URL` is set, else SQLite in a file.

use crate::support;

use std::net::TcpListener;

use crate::support::{configure, linked_account, user};
use actix_session::SessionMiddleware;
use actix_session::storage::RedisSessionStore;
use actix_web::http::StatusCode;
use actix_web::{App, HttpServer};
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_actix::test_support::{auto_submit_token, test_key};
use multi_account_actix::{MultiAccountConfig, SessionToken};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Schema, Set};

const REDIS_URL_VAR: &str = "MULTI_ACCOUNT_TEST_REDIS_URL";

/// One app instance on its own loopback port.
struct Instance {
    base: String,
    handle: actix_web::dev::ServerHandle,
}

async fn start_instance(db: DatabaseConnection, redis_url: &str) -> Instance {
    let store = RedisSessionStore::new(redis_url).await.expect("redis reachable");
    let config = MultiAccountConfig::new(db);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new()
            .configure(configure(&config))
            .wrap(SessionToken)
            .wrap(SessionMiddleware::builder(store.clone(), test_key()).cookie_secure(false).build())
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Instance { base, handle }
}

/// A browser: one session cookie, sent to whichever instance it talks to.
struct Browser {
    client: awc::Client,
    cookie: Option<String>,
}

struct Reply {
    status: StatusCode,
    body: String,
}

impl Browser {
    fn new() -> Self {
        Self { client: awc::Client::builder().disable_redirects().finish(), cookie: None }
    }

    async fn send(&mut self, request: awc::ClientRequest, form: Option<Vec<(&str, String)>>) -> Reply {
        let request = match &self.cookie {
            Some(cookie) => request.insert_header(("Cookie", format!("id={cookie}"))),
            None => request,
        };
        let mut response = match form {
            Some(form) => request.send_form(&form).await,
            None => request.send().await,
        }
        .expect("request");
        if let Ok(cookies) = response.cookies() {
            for cookie in cookies.iter().filter(|cookie| cookie.name() == "id") {
                let removed = cookie.max_age().is_some_and(|age| age.is_zero() || age.is_negative());
                self.cookie = (!removed).then(|| cookie.value().to_owned());
            }
        }
        let body = response.body().await.map(|body| String::from_utf8_lossy(&body).into_owned()).unwrap_or_default();
        Reply { status: response.status(), body }
    }

    async fn get(&mut self, at: &Instance, path: &str) -> Reply {
        let request = self.client.get(format!("{}{path}", at.base));
        self.send(request, None).await
    }

    async fn post(&mut self, at: &Instance, path: &str, form: Vec<(&str, String)>) -> Reply {
        let request = self.client.post(format!("{}{path}", at.base));
        self.send(request, Some(form)).await
    }

    async fn csrf(&mut self, at: &Instance) -> String {
        self.get(at, "/__test/csrf").await.body
    }

    async fn sign_in(&mut self, at: &Instance, id: i64) {
        let reply = self.post(at, &format!("/__test/sign-in/{id}"), vec![]).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
    }
}

async fn shared_database() -> (TestDatabase, &'static str, Option<tempfile::TempDir>) {
    if let Some(database) = TestDatabase::create(TestBackend::Postgres).await.unwrap() {
        return (database, "postgres", None);
    }
    let dir = tempfile::tempdir().unwrap();
    (TestDatabase::sqlite_file(dir.path()).await.unwrap(), "sqlite", Some(dir))
}

async fn seed(db: &DatabaseConnection) {
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(user::Entity)).await.unwrap();
    multi_account::create_linked_accounts_table::<linked_account::Entity>(db).await.unwrap();
    for id in 1..=3 {
        user::ActiveModel {
            id: Set(id),
            name: Set(format!("user{id}")),
            email: Set(format!("user{id}@example.com")),
            status: Set(user::UserStatus::Active),
            password_hash: Set(format!("hash-{id}")),
        }
        .insert(db)
        .await
        .unwrap();
    }
}

#[actix_web::test]
async fn two_instances_share_one_redis_session() {
    let Ok(redis_url) = std::env::var(REDIS_URL_VAR) else {
        eprintln!("two_instances_share_one_redis_session: skipped (set {REDIS_URL_VAR})");
        return;
    };
    let (database, backend, _dir) = shared_database().await;
    seed(&database.db).await;
    let a = start_instance(database.db.clone(), &redis_url).await;
    let b = start_instance(database.db.clone(), &redis_url).await;
    let mut browser = Browser::new();

    // Link on A.
    browser.sign_in(&a, 1).await;
    let token = browser.csrf(&a).await;
    let started = browser.post(&a, "/link/p/1?start", vec![("csrf_token", token)]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    browser.sign_in(&a, 2).await;
    let page = browser.get(&a, "/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    assert_eq!(browser.post(&a, "/link/p/1", vec![("csrf_token", token)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&b, "/state").await.body, "current=2;primary=1;group=1,2", "B sees A's link");

    // Switch on B; A sees it at once. The session id before the switch is dead.
    let before_switch = browser.cookie.clone();
    let token = browser.csrf(&b).await;
    let switched = browser.get(&b, &format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_ne!(browser.cookie, before_switch, "the session id was renewed");
    assert_eq!(browser.get(&a, "/me").await.body, "1");
    let mut replay = Browser::new();
    replay.cookie = before_switch;
    assert_eq!(replay.get(&a, "/state").await.body, "current=;primary=;group=", "old id on A");
    assert_eq!(replay.get(&b, "/state").await.body, "current=;primary=;group=", "old id on B");

    // Unlink on A, then sign out of all on B; A sees it at once, and the last
    // session id replays to nothing on either instance.
    let token = browser.csrf(&a).await;
    assert_eq!(browser.post(&a, "/link/remove/2", vec![("csrf_token", token)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&b, "/state").await.body, "current=1;primary=1;group=1");
    let before_sign_out = browser.cookie.clone();
    let token = browser.csrf(&b).await;
    let before_sign_out_with_csrf = browser.cookie.clone().or(before_sign_out);
    assert_eq!(browser.post(&b, "/link/sign-out-all", vec![("csrf_token", token)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&a, "/me").await.status, StatusCode::UNAUTHORIZED);
    let mut replay = Browser::new();
    replay.cookie = before_sign_out_with_csrf;
    assert_eq!(replay.get(&a, "/state").await.body, "current=;primary=;group=");
    assert_eq!(replay.get(&b, "/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(support::link_count(&database.db).await, 0);

    a.handle.stop(true).await;
    b.handle.stop(true).await;
    eprintln!("two_instances_share_one_redis_session: ran on redis + {backend}");
}
