//! The layer as a tower service: it polls the service it wraps before it calls
//! it, so a service that is only callable once ready (a concurrency limit, a
//! buffer) works beneath it. (Inside a `Router`, axum wraps every layered
//! service in its always-ready `Route`; this is the layer around any service.)

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use multi_account_axum::MultiAccountConfig;
use tower::{Layer, ServiceExt};
use tower_sessions::{MemoryStore, SessionManagerLayer};

#[tokio::test]
async fn a_service_that_must_be_polled_ready_works_beneath_the_layer() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let config = MultiAccountConfig::new(db);
    let app = Router::new().route("/plain", get(|| async { "plain" }));
    // `ConcurrencyLimit` takes its permit in `poll_ready`: called without one,
    // it panics.
    let limited = tower::limit::ConcurrencyLimit::new(app, 1);
    let service =
        SessionManagerLayer::new(MemoryStore::default()).with_secure(false).layer(config.layer().layer(limited));
    for _ in 0..3 {
        let request = Request::get("/plain").body(Body::empty()).unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
