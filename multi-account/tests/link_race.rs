//! `max_linked_accounts` holds when many requests link in the same session at
//! once, on a file-backed SQLite database with a pool of connections.

mod support;

use multi_account::{LinkError, LinkService};
use sea_orm::{EntityTrait, PaginatorTrait};
use support::user::UserStatus;
use support::{insert_user, linked_account, sqlite_file, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_links_never_exceed_the_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_file(dir.path()).await;
    for id in 1..=21 {
        insert_user(&db, id, &format!("user{id}"), UserStatus::Active).await;
    }
    let tasks: Vec<_> = (2..=21)
        .map(|linked| {
            let db = db.clone();
            tokio::spawn(async move { LinkService::<user::Model>::link(&db, &1, &linked, "race").await })
        })
        .collect();
    let mut linked = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => linked += 1,
            Err(LinkError::TooManyLinkedAccounts { max: 3 }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    let rows = linked_account::Entity::find().count(&db).await.unwrap();
    assert_eq!((linked, refused, rows), (3, 17, 3), "exactly max links, the rest refused");
}
