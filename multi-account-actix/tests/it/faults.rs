//! The database unreachable mid-session. The app talks to PostgreSQL through a
//! small TCP proxy written here (tokio): cutting it closes every open connection and
//! refuses new ones, restoring it lets them through again. While it is down, state
//! changes (link start and completion, switch, unlink, sign-out-all) answer 503 and
//! write nothing, reads see a signed-out request (200 / 401), nothing panics, and
//! the session cookie is left alone; once it is back, the same session works again
//! without signing in.
//!
//! Runs when `MULTI_ACCOUNT_TEST_POSTGRES_URL` is set; prints "skipped" otherwise.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{client, link_count};
use actix_http::Request;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use multi_account::test_database::{POSTGRES_URL_VAR, TestBackend};
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::test_support::{TestClient, TestResponse, auto_submit_token};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// A TCP proxy to one upstream address that can be cut and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = tokio::spawn({
            let up = Arc::clone(&up);
            let connections = Arc::clone(&connections);
            async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else { continue };
                    if !up.load(Ordering::SeqCst) {
                        // Down: the connection is closed at once (the client sees EOF).
                        drop(inbound);
                        continue;
                    }
                    let upstream = upstream.clone();
                    let task = tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(&upstream).await else { return };
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    });
                    connections.lock().expect("proxy lock").push(task.abort_handle());
                }
            }
        });
        Self { port, up, connections, accept }
    }

    /// Closes every open connection and refuses new ones.
    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().expect("proxy lock").drain(..) {
            connection.abort();
        }
        // Let the runtime drop the aborted tasks (and so close their sockets).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in self.connections.lock().expect("proxy lock").drain(..) {
            connection.abort();
        }
    }
}

/// `url` split around its `host:port`: (before, host:port, after). The port
/// defaults to 5432.
fn split_authority(url: &str) -> (String, String, String) {
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host = &authority[host_start..];
    let host = if host.contains(':') && !host.ends_with(']') { host.to_owned() } else { format!("{host}:5432") };
    (url[..scheme_end + host_start].to_owned(), host, rest[authority_end..].to_owned())
}

#[test]
fn splits_database_urls() {
    let split = |url: &str| split_authority(url);
    assert_eq!(
        split("postgres://postgres@127.0.0.1:5432/test"),
        ("postgres://postgres@".into(), "127.0.0.1:5432".into(), "/test".into())
    );
    assert_eq!(
        split("postgres://u:p@db/x?sslmode=disable"),
        ("postgres://u:p@".into(), "db:5432".into(), "/x?sslmode=disable".into())
    );
    assert_eq!(split("postgres://localhost"), ("postgres://".into(), "localhost:5432".into(), String::new()));
}

async fn current_schema(db: &DatabaseConnection) -> String {
    let statement = Statement::from_string(db.get_database_backend(), "SELECT current_schema() AS schema");
    let row = db.query_one_raw(statement).await.expect("query").expect("a row");
    row.try_get::<String>("", "schema").expect("the schema name")
}

fn assert_unavailable(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {response:?}");
    assert!(!response.set_cookie, "{what}: the session cookie is left alone: {response:?}");
}

async fn state<S, B>(client: &mut TestClient<S>) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = client.get("/state").await;
    assert_eq!(response.status, StatusCode::OK, "/state: {}", response.body);
    response.body
}

#[tokio::test]
async fn the_database_unreachable_mid_session() {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        eprintln!("the_database_unreachable_mid_session: skipped (set {POSTGRES_URL_VAR})");
        return;
    };
    let test = support::database_on(TestBackend::Postgres, 3).await.expect("the PostgreSQL test database");
    let schema = current_schema(&test.db).await;
    let (before, upstream, after) = split_authority(&url);
    let proxy = Proxy::start(upstream).await;
    let mut options = ConnectOptions::new(format!("{before}127.0.0.1:{}{after}", proxy.port));
    options
        .set_schema_search_path(schema)
        .max_connections(4)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let app_db = Database::connect(options).await.expect("connect through the proxy");
    let config = MultiAccountConfig::new(app_db);

    // A linked session, and a second one with a link waiting to be completed.
    let mut client = client(&config).await;
    client.sign_in(&1).await;
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    let linked = "current=3;primary=1;group=1,2,3";
    assert_eq!(state(&mut client).await, linked);
    let mut pending = support::client(&config).await;
    pending.sign_in(&1).await;
    assert_eq!(pending.start_link(&1).await.status, StatusCode::SEE_OTHER);
    pending.sign_in(&2).await;
    let page = pending.get("/link/p/1").await;
    let pending_token = auto_submit_token(&page.body).expect("auto-submit page");
    assert_eq!(link_count(&test.db).await, 2);

    for round in 1..=2 {
        let cookies = client.cookies().clone();
        let pending_cookies = pending.cookies().clone();
        let token = client.csrf().await;
        proxy.cut().await;

        // Reads: a signed-out view, no panic.
        let read = client.get("/state").await;
        assert_eq!(read.status, StatusCode::OK, "round {round}: /state: {read:?}");
        assert_eq!(read.body, "current=;primary=;group=", "round {round}");
        assert_eq!(client.get("/me").await.status, StatusCode::UNAUTHORIZED, "round {round}");
        assert_eq!(client.get("/primary").await.status, StatusCode::OK, "round {round}");
        let switcher = client.get("/switcher.json").await;
        assert!(!switcher.status.is_server_error(), "round {round}: {switcher:?}");
        assert_eq!(client.get("/plain").await.status, StatusCode::OK, "round {round}");

        // State changes: 503, nothing written, the cookie untouched.
        let what = |action: &str| format!("round {round}: {action}");
        assert_unavailable(&client.get(&format!("/link/switch_to/1?csrf_token={token}")).await, &what("switch GET"));
        let switched = client.post_form("/link/switch_to/2", &[("csrf_token", &token)]).await;
        assert_unavailable(&switched, &what("switch POST"));
        assert_unavailable(&client.post_form("/link/remove/2", &[("csrf_token", &token)]).await, &what("unlink"));
        let out = client.post_form("/link/sign-out-all", &[("csrf_token", &token)]).await;
        assert_unavailable(&out, &what("sign-out-all"));
        let started = client.post_form("/link/p/1?start", &[("csrf_token", &token)]).await;
        assert_unavailable(&started, &what("link start"));
        assert_unavailable(&client.get("/link/p/1").await, &what("link page"));
        let completed = pending.post_form("/link/p/1", &[("csrf_token", &pending_token)]).await;
        assert_unavailable(&completed, &what("link completion"));
        // Refusals that need no database stay what they are.
        assert_eq!(client.post_form("/link/remove/2", &[]).await.status, StatusCode::FORBIDDEN, "{}", what("no token"));
        assert_eq!(client.get("/link/p/abc").await.status, StatusCode::BAD_REQUEST, "{}", what("malformed id"));

        assert_eq!(link_count(&test.db).await, 2, "{}: nothing written while down", what("links"));
        assert_eq!(client.cookies(), &cookies, "{}: the session is the same", what("cookies"));
        assert_eq!(pending.cookies(), &pending_cookies, "{}: the pending session is the same", what("cookies"));

        // Back: the same session works again without signing in.
        proxy.restore();
        assert_eq!(state(&mut client).await, linked, "round {round}: recovered");
        assert_eq!(client.get("/me").await.body, "3", "round {round}");
        assert_eq!(link_count(&test.db).await, 2, "round {round}");
        let url = client.switch_url(&1).await;
        assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER, "round {round}: switch after recovery");
        let url = client.switch_url(&3).await;
        assert_eq!(client.get(&url).await.status, StatusCode::SEE_OTHER, "round {round}: switch back");
        assert_eq!(state(&mut client).await, linked, "round {round}");
    }

    // The pending link survived the outages too.
    let completed = pending.post_form("/link/p/1", &[("csrf_token", &pending_token)]).await;
    assert_eq!(completed.status, StatusCode::SEE_OTHER, "link completion after recovery: {completed:?}");
    assert_eq!(link_count(&test.db).await, 3);
    assert_eq!(state(&mut pending).await, "current=2;primary=1;group=1,2");
    eprintln!("the_database_unreachable_mid_session: ran on postgres through a proxy");
}
