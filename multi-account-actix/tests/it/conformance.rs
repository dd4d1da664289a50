//! The conformance suite on the actix adapter, over actix-session's cookie and
//! Redis stores.

use std::collections::BTreeMap;

use actix_http::Request;
use actix_service::boxed::BoxService;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::TestRequest;
use actix_web::{App, Error, test, web};
use multi_account::MultiAccountUser;
use multi_account_actix::test_support::{self, TestClient, TestResponse};
use multi_account_actix::{CurrentUser, MultiAccountConfig, PrimaryUser, SessionToken, SignedInAccounts};
use multi_account_conformance::app::state_line;
use multi_account_conformance::{Client, Harness, Options, Reply};
use sea_orm::DatabaseConnection;

pub enum Actix {
    Cookie,
    Redis,
}

fn redis_url() -> String {
    std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("set MULTI_ACCOUNT_TEST_REDIS_URL (CI does): the suite runs on Redis too")
}

type Service = BoxService<Request, ServiceResponse<BoxBody>, Error>;

pub struct ActixClient {
    client: TestClient<Service>,
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

async fn switcher<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(accounts.switcher())
}

/// Handlers whose landing pages are the given paths (`/` where not given, the
/// defaults).
struct Landings {
    after_switch: Option<&'static str>,
    after_link: Option<&'static str>,
    sign_out: Option<&'static str>,
}

impl multi_account_actix::MultiAccountHandlers for Landings {
    fn after_switch_path(&self, _req: &actix_web::HttpRequest) -> String {
        self.after_switch.unwrap_or("/").to_owned()
    }

    fn after_link_path(&self, _req: &actix_web::HttpRequest) -> String {
        self.after_link.unwrap_or("/").to_owned()
    }

    fn sign_out_path(&self, _req: &actix_web::HttpRequest) -> String {
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

async fn flash(session: actix_session::Session) -> String {
    multi_account_actix::session::take_flash(&session).ok().flatten().unwrap_or_default()
}

async fn sign_out(session: actix_session::Session) -> actix_web::HttpResponse {
    let _ = multi_account_actix::session::forget_session(&session);
    actix_web::HttpResponse::NoContent().finish()
}

/// The app's own form: its token from the `csrf` helper.
async fn own_form(session: actix_session::Session) -> Result<String, multi_account_actix::MultiAccountError> {
    multi_account_actix::csrf::csrf_token(&session)
}

/// The app's own form posted: 204 with this session's token, 403 without.
async fn own_form_post(
    session: actix_session::Session,
    web::Form(fields): web::Form<BTreeMap<String, String>>,
) -> actix_web::HttpResponse {
    let presented = fields.get(multi_account_actix::csrf::CSRF_FIELD).map(String::as_str);
    if matches!(multi_account_actix::csrf::verify(&session, presented), Ok(true)) {
        actix_web::HttpResponse::NoContent().finish()
    } else {
        actix_web::HttpResponse::Forbidden().finish()
    }
}

/// A state change of the app's own, as the acting account: its id (403
/// without this session's token).
async fn act<U: MultiAccountUser>(
    CurrentUser(user): CurrentUser<U>,
    session: actix_session::Session,
    web::Form(fields): web::Form<BTreeMap<String, String>>,
) -> actix_web::HttpResponse {
    let presented = fields.get(multi_account_actix::csrf::CSRF_FIELD).map(String::as_str);
    if matches!(multi_account_actix::csrf::verify(&session, presented), Ok(true)) {
        actix_web::HttpResponse::Ok().body(user.id().to_string())
    } else {
        actix_web::HttpResponse::Forbidden().finish()
    }
}

/// `url_for`'s link from this page, this page's tab and each listed
/// account's slot (`-` for none).
async fn links<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    let shown = |slot: Option<u32>| slot.map_or_else(|| "-".to_owned(), |slot| slot.to_string());
    let slots: Vec<String> = accounts.accounts().iter().map(|user| shown(accounts.slot_of(&user.id()))).collect();
    format!("{} tab={} slots={}", accounts.url_for("/inbox?x=1"), shown(accounts.tab()), slots.join(","))
}

async fn own_form_rotate(session: actix_session::Session) -> Result<String, multi_account_actix::MultiAccountError> {
    multi_account_actix::csrf::rotate(&session)
}

/// `plan_sign_in` for the account `id`, returning to `?return_to=`.
async fn plan_sign_in<U: MultiAccountUser>(
    path: web::Path<String>,
    query: web::Query<BTreeMap<String, String>>,
    config: web::Data<MultiAccountConfig>,
    session: actix_session::Session,
    accounts: SignedInAccounts<U>,
) -> String {
    let id = <U::Id as multi_account::AccountId>::parse_canonical(&path).expect("an id");
    let user = multi_account::LinkService::<U>::active_user(config.db(), &id).await.unwrap().expect("a user");
    let plan = config.plan_sign_in(&session, &accounts, &user, query.get("return_to").map(String::as_str));
    multi_account_conformance::app::plan_line(plan).to_owned()
}

async fn accounts_view<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    format!("multi={};token={}", accounts.is_multi_account(), accounts.csrf_token())
}

/// `user=<get_user_id>;pending=<pending_link>`.
fn helpers<U: MultiAccountUser>(config: &MultiAccountConfig, session: &actix_session::Session) -> String {
    let text = |id: Option<U::Id>| id.map(|id| id.to_string()).unwrap_or_default();
    let user = multi_account_actix::session::get_user_id::<U>(session);
    format!("user={};pending={}", text(user), text(config.pending_link::<U>(session)))
}

async fn put_flash(session: actix_session::Session) -> actix_web::HttpResponse {
    let _ = multi_account_actix::session::put_flash(&session, "from the app");
    actix_web::HttpResponse::NoContent().finish()
}

impl Harness for Actix {
    type Client = ActixClient;

    fn available(&self) -> bool {
        !matches!(self, Self::Redis) || multi_account_conformance::redis_configured()
    }

    fn server_side(&self) -> bool {
        matches!(self, Self::Redis)
    }

    async fn client<U: MultiAccountUser + std::fmt::Debug>(
        &self,
        db: &DatabaseConnection,
        options: &Options,
    ) -> ActixClient {
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
        let app = App::new()
            .configure(config.routes::<U>())
            .configure(test_support::routes::<U>())
            .route("/state", web::get().to(state::<U>))
            .route("/debug", web::get().to(debug::<U>))
            .route("/me", web::get().to(me::<U>))
            .route("/current", web::get().to(current::<U>))
            .route("/primary", web::get().to(primary::<U>))
            .route("/both", web::get().to(both::<U>))
            .route("/switcher.json", web::get().to(switcher::<U>))
            .route("/plain", web::get().to(plain))
            .route("/sign-out", web::post().to(sign_out))
            .route("/flash", web::get().to(flash))
            .route("/own-form", web::get().to(own_form))
            .route("/own-form", web::post().to(own_form_post))
            .route("/own-form/rotate", web::post().to(own_form_rotate))
            .route("/act", web::post().to(act::<U>))
            .route("/links", web::get().to(links::<U>))
            .route("/accounts-view", web::get().to(accounts_view::<U>))
            .route("/plan-sign-in/{id}", web::get().to(plan_sign_in::<U>))
            .route("/helpers", {
                let config = config.clone();
                web::get().to(move |session: actix_session::Session| {
                    let text = helpers::<U>(&config, &session);
                    async move { text }
                })
            })
            .route("/helpers/flash", web::post().to(put_flash))
            .route("/helpers/sign-out-all", {
                let config = config.clone();
                web::post().to(move |session: actix_session::Session| {
                    let config = config.clone();
                    async move { config.sign_out_all::<U>(&session).await.map(|removed| removed.to_string()) }
                })
            })
            .wrap(SessionToken)
            .wrap(config.tab_prefix());
        let service: Service = match self {
            Self::Cookie => boxed(test::init_service(app.wrap(test_support::cookie_session())).await),
            Self::Redis => {
                let store = actix_session::storage::RedisSessionStore::new(redis_url()).await.expect("Redis reachable");
                let sessions = actix_session::SessionMiddleware::builder(store, test_support::test_key())
                    .cookie_secure(false)
                    .build();
                boxed(test::init_service(app.wrap(sessions)).await)
            }
        };
        ActixClient { client: TestClient::new(service), config }
    }
}

/// The app's service with its body boxed, so every store gives one type.
fn boxed<S, B>(service: S) -> Service
where
    S: actix_web::dev::Service<Request, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    actix_service::boxed::service(actix_service::ServiceExt::map(service, ServiceResponse::map_into_boxed_body))
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

impl Client for ActixClient {
    async fn get(&mut self, path: &str) -> Reply {
        reply(self.client.get(path).await)
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        reply(self.client.post_form(path, fields).await)
    }

    async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> Reply {
        let request = TestRequest::post().uri(path).insert_header(("content-type", content_type));
        reply(self.client.send(request.set_payload(body.to_owned())).await)
    }

    async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Reply {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = TestRequest::default().method(method).uri(path);
        for (name, value) in headers {
            let value = actix_web::http::header::HeaderValue::from_bytes(value).expect("a header value");
            request = request.insert_header((*name, value));
        }
        reply(self.client.send(request.set_payload(body.to_vec())).await)
    }

    fn origin(&self) -> &'static str {
        "http://localhost:8080"
    }

    async fn sign_in(&mut self, id: i64) -> Reply {
        reply(self.client.sign_in(&id).await)
    }

    async fn csrf(&mut self) -> String {
        self.client.csrf().await
    }

    async fn session_entries(&mut self) -> serde_json::Value {
        // actix-session keeps each value as its JSON text.
        let raw = self.client.session_entries().await;
        let entries = raw.as_object().cloned().unwrap_or_default().into_iter().map(|(key, text)| {
            let value = text.as_str().and_then(|text| serde_json::from_str(text).ok()).unwrap_or(text);
            (key, value)
        });
        serde_json::Value::Object(entries.collect())
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

multi_account_conformance::conformance_tests!(cookie_store, super::Actix::Cookie);
multi_account_conformance::conformance_tests!(redis_store, super::Actix::Redis);
