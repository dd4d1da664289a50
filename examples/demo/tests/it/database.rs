//! The demo database: created, migrated and seeded once; kept across restarts;
//! recreated by `--reset`.

use multi_account_demo::database::open;
use multi_account_demo::entities::{linked_account, user};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};

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
    user::ActiveModel {
        name: Set("Erin".into()),
        email: Set("erin@example.com".into()),
        password_hash: Set("x".into()),
        status: Set(user::UserStatus::Active),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
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
