//! `max_linked_accounts` holds when many requests link in the same session at
//! once: on a file-backed SQLite database (a pool of connections, real locks),
//! PostgreSQL and MariaDB.

use crate::support::user::UserStatus;
use crate::support::{create_all, i64_link, i64_user, insert_user, linked_account, user};
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account::{LinkError, LinkService, MultiAccountUser};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// Links `tasks` accounts to user 1 concurrently; returns (linked, refused, rows).
async fn race<U>(db: &DatabaseConnection, tasks: i64, rows: impl std::future::Future<Output = u64>) -> (u64, u64, u64)
where
    U: MultiAccountUser<Id = i64>,
{
    let handles: Vec<_> = (2..tasks + 2)
        .map(|linked| {
            let db = db.clone();
            tokio::spawn(async move { LinkService::<U>::link(&db, &1, &linked, "race").await })
        })
        .collect();
    let (mut linked, mut refused) = (0, 0);
    for handle in handles {
        match handle.await.unwrap() {
            Ok(_) => linked += 1,
            Err(LinkError::TooManyLinkedAccounts { max }) if max == U::MAX_LINKED_ACCOUNTS => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    (linked, refused, rows.await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_links_never_exceed_the_maximum_on_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::sqlite_file(dir.path()).await.unwrap();
    let db = &database.db;
    create_all(db).await;
    for id in 1..=21 {
        insert_user(db, id, &format!("user{id}"), UserStatus::Active).await;
    }
    let result = race::<user::Model>(db, 20, async {
        // Links only: the group's own row (linked_user_id = primary_user_id) is not one.
        linked_account::Entity::find().filter(linked_account::Column::LinkedUserId.ne(1)).count(db).await.unwrap()
    })
    .await;
    assert_eq!(result, (3, 17, 3), "exactly max (3) links, the rest refused");
}

async fn fifty_against_max_five(database: TestDatabase) {
    let db = &database.db;
    create_all(db).await;
    for id in 1..=51_i64 {
        i64_user::ActiveModel { id: Set(id), label: Set(format!("u{id}")), state: Set("on".into()) }
            .insert(db)
            .await
            .unwrap();
    }
    let result = race::<i64_user::Model>(db, 50, async {
        i64_link::Entity::find().filter(i64_link::Column::LinkedUserId.ne(1)).count(db).await.unwrap()
    })
    .await;
    assert_eq!(result, (5, 45, 5), "exactly max (5) links on {}", database.backend);
    eprintln!("fifty_concurrent_links: ran on {}", database.backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_links_max_five_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    fifty_against_max_five(TestDatabase::sqlite_file(dir.path()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_links_max_five_postgres() {
    match TestDatabase::create(TestBackend::Postgres).await.unwrap() {
        Some(database) => fifty_against_max_five(database).await,
        None => eprintln!("fifty_concurrent_links: skipped on postgres"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_links_max_five_mysql() {
    match TestDatabase::create(TestBackend::MySql).await.unwrap() {
        Some(database) => fifty_against_max_five(database).await,
        None => eprintln!("fifty_concurrent_links: skipped on mysql"),
    }
}
