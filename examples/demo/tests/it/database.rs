//! The demo database: created, migrated and seeded once; kept across restarts;
//! recreated by `--reset`.

use multi_account_demo::database::open;
use multi_account_demo::entities::{linked_account, user};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};

/// Adds a fifth, active account.
async fn add_erin(db: &impl sea_orm::ConnectionTrait) {
    user::ActiveModel {
        name: Set("Erin".into()),
        email: Set("erin@example.com".into()),
        password_hash: Set("x".into()),
        status: Set(user::UserStatus::Active),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn restart_keeps_data_and_reset_recreates_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    let url = format!("sqlite://{}", path.display());

    let db = open(&url, false).await.unwrap();
    assert!(path.exists(), "the SQLite file is created");
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 4);
    let dave = user::Entity::find().all(&db).await.unwrap().into_iter().find(|u| u.email == "dave@example.com");
    assert_eq!(dave.unwrap().status, user::UserStatus::Inactive);
    add_erin(&db).await;
    db.close().await.unwrap();

    // Restart: the data is kept, the seed is not duplicated.
    let db = open(&url, false).await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 5);
    assert_eq!(linked_account::Entity::find().count(&db).await.unwrap(), 0);
    db.close().await.unwrap();

    // Reset: back to the four seeded accounts.
    let db = open(&url, true).await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 4);
    db.close().await.unwrap();
}

/// A SQLite file serves a read while another connection is in the middle of a
/// write (WAL mode, several connections): SeaORM's default of one connection
/// would make every request wait for the one before it.
#[tokio::test]
async fn a_sqlite_file_reads_while_another_connection_writes() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let db = open(&url, false).await.unwrap();
    let mode = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA journal_mode"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mode.try_get_by_index::<String>(0).unwrap(), "wal");

    let writing = db.begin().await.unwrap();
    add_erin(&writing).await;
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), user::Entity::find().count(&db)).await;
    assert_eq!(read.expect("a second connection answers").unwrap(), 4, "the uncommitted row is not seen");
    writing.commit().await.unwrap();
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 5);
}
