//! Serves the axum getting-started app on http://127.0.0.1:8080 with `app.sqlite`
//! in the current directory.

use multi_account_axum::MultiAccountConfig;
use my_axum_app::{AppState, app, migrator::Migrator, seed};
use sea_orm_migration::MigratorTrait;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let db = sea_orm::Database::connect("sqlite://app.sqlite?mode=rwc").await.expect("database");
    Migrator::up(&db, None).await.expect("migrations");
    seed(&db).await.expect("seed users");
    let multi_account = MultiAccountConfig::new(db.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 8080)).await?;
    println!("listening on http://127.0.0.1:8080 (sign in as ann@example.com, password `password`)");
    axum::serve(listener, app(AppState { db, multi_account })).await
}
