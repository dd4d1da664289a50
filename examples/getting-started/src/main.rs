//! Serves the getting-started app on http://127.0.0.1:8080 with `app.sqlite` in the
//! current directory.

use actix_web::{HttpServer, cookie::Key};
use multi_account_actix::MultiAccountConfig;
use my_app::{app, migrator::Migrator, seed};
use sea_orm_migration::MigratorTrait;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let db = sea_orm::Database::connect("sqlite://app.sqlite?mode=rwc").await.expect("database");
    Migrator::up(&db, None).await.expect("migrations");
    seed(&db).await.expect("seed users");
    let multi_account = MultiAccountConfig::new(db.clone());
    let key = Key::generate(); // load a fixed key in production
    let server =
        HttpServer::new(move || app(db.clone(), multi_account.clone(), key.clone())).bind(("127.0.0.1", 8080))?;
    println!("listening on http://127.0.0.1:8080 (sign in as ann@example.com, password `password`)");
    server.run().await
}
