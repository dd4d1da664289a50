//! The conformance suite on the axum adapter (tower-sessions' memory store).

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::get;
use multi_account_axum::test_support::{self, TestClient, TestResponse};
use multi_account_axum::{CurrentUser, MultiAccount, MultiAccountConfig};
use multi_account_conformance::app::state_line;
use multi_account_conformance::{Client, Harness, Options, Reply, User};
use sea_orm::DatabaseConnection;
use tower_sessions::{MemoryStore, SessionManagerLayer};

pub struct Axum;

pub struct AxumClient {
    client: TestClient,
    config: MultiAccountConfig,
}

async fn state(accounts: MultiAccount<User>) -> String {
    state_line(accounts.current(), accounts.primary(), accounts.group().map(|group| group.iter().collect()))
}

async fn me(user: Option<CurrentUser<User>>) -> String {
    user.map(|CurrentUser(user)| user.id.to_string()).unwrap_or_default()
}

async fn plain() -> &'static str {
    "plain"
}

impl Harness for Axum {
    type Client = AxumClient;

    async fn client(&self, db: &DatabaseConnection, options: &Options) -> AxumClient {
        let config = MultiAccountConfig::new(db.clone()).with_get_switch(options.get_switch);
        let router = Router::new()
            .merge(config.router::<User, ()>())
            .merge(test_support::routes::<User, ()>())
            .route("/state", get(state))
            .route("/me", get(me))
            .route("/plain", get(plain))
            .layer(config.layer())
            .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false));
        AxumClient { client: TestClient::new(router), config }
    }
}

fn reply(response: TestResponse) -> Reply {
    Reply {
        status: response.status.as_u16(),
        location: response.location,
        body: response.body,
        set_cookie: response.set_cookie,
    }
}

impl Client for AxumClient {
    async fn get(&mut self, path: &str) -> Reply {
        reply(self.client.get(path).await)
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        reply(self.client.post_form(path, fields).await)
    }

    async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> Reply {
        reply(self.client.send("POST", path, Some(content_type), body.to_owned()).await)
    }

    async fn sign_in(&mut self, id: i64) -> Reply {
        reply(self.client.sign_in(&id).await)
    }

    async fn csrf(&mut self) -> String {
        self.client.csrf().await
    }

    async fn session_entries(&mut self) -> serde_json::Value {
        self.client.session_entries().await
    }

    fn set_headers(&mut self, headers: Vec<(String, String)>) {
        self.client.headers = headers;
    }

    fn cookies(&self) -> BTreeMap<String, String> {
        self.client.cookies().clone()
    }

    fn set_cookies(&mut self, cookies: BTreeMap<String, String>) {
        self.client.set_cookies(cookies);
    }

    fn set_enabled(&self, enabled: bool) {
        self.config.set_enabled(enabled);
    }
}

multi_account_conformance::conformance_tests!(Axum);
