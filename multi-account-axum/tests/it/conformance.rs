//! The conformance suite on the axum adapter, over tower-sessions' memory
//! store, its Redis store, and an SQL store (SeaORM, the app's database).

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::get;
use multi_account::MultiAccountUser;
use multi_account_axum::test_support::{self, TestClient, TestResponse};
use multi_account_axum::{CurrentUser, MultiAccountConfig, PrimaryUser, SignedInAccounts};
use multi_account_conformance::app::state_line;
use multi_account_conformance::{Client, Harness, Options, Reply};
use sea_orm::DatabaseConnection;
use tower_sessions::{MemoryStore, SessionManagerLayer};

pub enum Axum {
    Memory,
    Redis,
    Sql,
}

fn redis_url() -> String {
    std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("set MULTI_ACCOUNT_TEST_REDIS_URL (CI does): the suite runs on Redis too")
}

async fn redis_store() -> tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool> {
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};
    let config = Config::from_url(&redis_url()).expect("a Redis URL");
    let pool = Pool::new(config, None, None, None, 1).expect("a Redis pool");
    let _connection = pool.connect();
    pool.wait_for_connect().await.expect("Redis reachable");
    tower_sessions_redis_store::RedisStore::new(pool)
}

pub struct AxumClient {
    client: TestClient,
    config: MultiAccountConfig,
}

async fn state<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    state_line(accounts.current(), accounts.primary(), accounts.group().map(|group| group.iter().collect()))
}

/// What a handler that logs the extractor would write.
async fn debug<U: MultiAccountUser + std::fmt::Debug>(accounts: SignedInAccounts<U>) -> String {
    format!("{accounts:?}")
}

async fn me<U: MultiAccountUser>(user: Option<CurrentUser<U>>) -> String {
    user.map(|CurrentUser(user)| user.id().to_string()).unwrap_or_default()
}

async fn current<U: MultiAccountUser>(CurrentUser(user): CurrentUser<U>) -> String {
    user.id().to_string()
}

async fn switcher<U: MultiAccountUser>(
    accounts: SignedInAccounts<U>,
) -> axum::Json<multi_account_axum::AccountSwitcher<U::Display>> {
    axum::Json(accounts.switcher())
}

/// Handlers whose landing pages are the given paths (`/` where not given, the
/// defaults).
struct Landings {
    after_switch: Option<&'static str>,
    after_link: Option<&'static str>,
    sign_out: Option<&'static str>,
}

impl multi_account_axum::MultiAccountHandlers for Landings {
    fn after_switch_path(&self, _parts: &axum::http::request::Parts) -> String {
        self.after_switch.unwrap_or("/").to_owned()
    }

    fn after_link_path(&self, _parts: &axum::http::request::Parts) -> String {
        self.after_link.unwrap_or("/").to_owned()
    }

    fn sign_out_path(&self, _parts: &axum::http::request::Parts) -> String {
        self.sign_out.unwrap_or("/").to_owned()
    }
}

async fn primary<U: MultiAccountUser>(primary: Option<PrimaryUser<U>>) -> String {
    primary.map(|PrimaryUser(user)| user.id().to_string()).unwrap_or_default()
}

async fn both<U: MultiAccountUser>(CurrentUser(user): CurrentUser<U>, accounts: SignedInAccounts<U>) -> String {
    format!("{}:{}", user.id(), accounts.accounts().len())
}

async fn plain() -> &'static str {
    "plain"
}

async fn flash(session: tower_sessions::Session) -> Result<String, multi_account_axum::MultiAccountError> {
    Ok(multi_account_axum::session::take_flash(&session).await?.unwrap_or_default())
}

async fn sign_out(
    session: tower_sessions::Session,
) -> Result<axum::http::StatusCode, multi_account_axum::MultiAccountError> {
    multi_account_axum::session::forget_session(&session).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The app's own form: its token from the `csrf` helper.
async fn own_form(session: tower_sessions::Session) -> Result<String, multi_account_axum::MultiAccountError> {
    multi_account_axum::csrf::csrf_token(&session).await
}

/// The app's own form posted: 204 with this session's token, 403 without.
async fn own_form_post(
    session: tower_sessions::Session,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<axum::http::StatusCode, multi_account_axum::MultiAccountError> {
    let presented = fields.get(multi_account_axum::csrf::CSRF_FIELD).map(String::as_str);
    Ok(if multi_account_axum::csrf::verify(&session, presented).await? {
        axum::http::StatusCode::NO_CONTENT
    } else {
        axum::http::StatusCode::FORBIDDEN
    })
}

/// A state change of the app's own, as the acting account: its id (403
/// without this session's token).
async fn act<U: MultiAccountUser>(
    CurrentUser(user): CurrentUser<U>,
    session: tower_sessions::Session,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<(axum::http::StatusCode, String), multi_account_axum::MultiAccountError> {
    let presented = fields.get(multi_account_axum::csrf::CSRF_FIELD).map(String::as_str);
    Ok(if multi_account_axum::csrf::verify(&session, presented).await? {
        (axum::http::StatusCode::OK, user.id().to_string())
    } else {
        (axum::http::StatusCode::FORBIDDEN, String::new())
    })
}

/// `url_for`'s link from this page, this page's tab and each listed
/// account's slot (`-` for none).
async fn links<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    let shown = |slot: Option<u32>| slot.map_or_else(|| "-".to_owned(), |slot| slot.to_string());
    let slots: Vec<String> = accounts.accounts().iter().map(|user| shown(accounts.slot_of(&user.id()))).collect();
    format!("{} tab={} slots={}", accounts.url_for("/inbox?x=1"), shown(accounts.tab()), slots.join(","))
}

async fn own_form_rotate(session: tower_sessions::Session) -> Result<String, multi_account_axum::MultiAccountError> {
    multi_account_axum::csrf::rotate(&session).await
}

/// `plan_sign_in` for the account `id`, returning to `?return_to=`.
async fn plan_sign_in<U: MultiAccountUser>(
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<BTreeMap<String, String>>,
    axum::Extension(config): axum::Extension<MultiAccountConfig>,
    session: tower_sessions::Session,
    accounts: SignedInAccounts<U>,
) -> Result<String, multi_account_axum::MultiAccountError> {
    let id = <U::Id as multi_account::AccountId>::parse_canonical(&id).expect("an id");
    let user = multi_account::LinkService::<U>::active_user(config.db(), &id).await.unwrap().expect("a user");
    let plan = config.plan_sign_in(&session, &accounts, &user, query.get("return_to").map(String::as_str)).await?;
    Ok(multi_account_conformance::app::plan_line(plan).to_owned())
}

async fn accounts_view<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    format!("multi={};token={}", accounts.is_multi_account(), accounts.csrf_token())
}

/// `user=<get_user_id>;pending=<pending_link>`.
async fn helpers<U: MultiAccountUser>(
    config: MultiAccountConfig,
    session: tower_sessions::Session,
) -> Result<String, multi_account_axum::MultiAccountError> {
    let user = multi_account_axum::session::get_user_id::<U>(&session).await?;
    let pending = config.pending_link::<U>(&session).await?;
    let text = |id: Option<U::Id>| id.map(|id| id.to_string()).unwrap_or_default();
    Ok(format!("user={};pending={}", text(user), text(pending)))
}

async fn put_flash(
    session: tower_sessions::Session,
) -> Result<axum::http::StatusCode, multi_account_axum::MultiAccountError> {
    multi_account_axum::session::put_flash(&session, "from the app").await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn sign_out_all<U: MultiAccountUser>(
    config: MultiAccountConfig,
    session: tower_sessions::Session,
) -> Result<String, multi_account_axum::MultiAccountError> {
    Ok(config.sign_out_all::<U>(&session).await?.to_string())
}

impl Harness for Axum {
    type Client = AxumClient;

    fn available(&self) -> bool {
        !matches!(self, Self::Redis) || multi_account_conformance::redis_configured()
    }

    fn server_side(&self) -> bool {
        true
    }

    async fn client<U: MultiAccountUser + std::fmt::Debug>(
        &self,
        db: &DatabaseConnection,
        options: &Options,
    ) -> AxumClient {
        let mut config = MultiAccountConfig::new(db.clone()).with_get_switch(options.get_switch);
        if let Some(clock) = options.clock.clone() {
            config = config.with_clock(move || clock.load(std::sync::atomic::Ordering::SeqCst));
        }
        if let Some(ttl) = options.link_intent_ttl {
            config = config.with_link_intent_ttl(ttl);
        }
        if options.after_switch_path.is_some() || options.after_link_path.is_some() || options.sign_out_path.is_some() {
            config = config.with_handlers(Landings {
                after_switch: options.after_switch_path,
                after_link: options.after_link_path,
                sign_out: options.sign_out_path,
            });
        }
        if let Some(budget) = options.session_budget {
            config = config.with_session_budget(Some(budget));
        }
        if let Some(paths) = options.paths.clone() {
            config = config.with_paths(paths);
        }
        config = config.with_tabs(options.tabs.clone()).with_remembered(options.remembered.clone());
        let router = Router::new()
            .merge(config.router::<U, ()>())
            .merge(test_support::routes::<U, ()>())
            .route("/state", get(state::<U>))
            .route("/debug", get(debug::<U>))
            .route("/me", get(me::<U>))
            .route("/current", get(current::<U>))
            .route("/primary", get(primary::<U>))
            .route("/both", get(both::<U>))
            .route("/switcher.json", get(switcher::<U>))
            .route("/plain", get(plain))
            .route("/sign-out", axum::routing::post(sign_out))
            .route("/flash", get(flash))
            .route("/own-form", get(own_form).post(own_form_post))
            .route("/own-form/rotate", axum::routing::post(own_form_rotate))
            .route("/act", axum::routing::post(act::<U>))
            .route("/links", get(links::<U>))
            .route("/accounts-view", get(accounts_view::<U>))
            .route("/plan-sign-in/{id}", get(plan_sign_in::<U>))
            .route(
                "/helpers",
                get({
                    let config = config.clone();
                    move |session| helpers::<U>(config, session)
                }),
            )
            .route("/helpers/flash", axum::routing::post(put_flash))
            .route(
                "/helpers/sign-out-all",
                axum::routing::post({
                    let config = config.clone();
                    move |session| sign_out_all::<U>(config, session)
                }),
            )
            .layer(config.layer());
        let router = match self {
            Self::Memory => router.layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false)),
            Self::Redis => router.layer(SessionManagerLayer::new(redis_store().await).with_secure(false)),
            Self::Sql => {
                let store = crate::sql_store::SeaOrmStore::new(db.clone()).await;
                router.layer(SessionManagerLayer::new(store).with_secure(false))
            }
        };
        // The tab layer goes around the whole router, before it matches.
        let router = Router::new().fallback_service(tower_layer::Layer::layer(&config.tab_prefix(), router));
        AxumClient { client: TestClient::new(router), config }
    }
}

fn reply(response: TestResponse) -> Reply {
    Reply {
        status: response.status.as_u16(),
        location: response.location,
        body: response.body,
        set_cookie: response.set_cookie,
        content_type: response.content_type,
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

    async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Reply {
        reply(self.client.send_bytes(method, path, headers, body.to_vec()).await)
    }

    fn origin(&self) -> &'static str {
        "http://localhost"
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

multi_account_conformance::conformance_tests!(memory_store, super::Axum::Memory);
multi_account_conformance::conformance_tests!(redis_store, super::Axum::Redis);
multi_account_conformance::conformance_tests!(sql_store, super::Axum::Sql);
