//! The link service's rules on SQLite.

use crate::support::user::UserStatus;
use crate::support::{QueryCounter, insert_user, linked_account, member, user};
use multi_account::{LinkError, LinkOutcome, LinkService, LinkStatus, MultiAccountUser};
use sea_orm::DatabaseConnection;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, Set};

type Links = LinkService<user::Model>;
const TOKEN: &str = "token-a";

/// The number of links (a group's own row, `linked_user_id = primary_user_id`,
/// is not one).
async fn link_count(db: &DatabaseConnection) -> usize {
    let rows = linked_account::Entity::find().all(db).await.unwrap();
    rows.iter().filter(|link| link.linked_user_id != link.primary_user_id).count()
}

fn ids(group: &multi_account::AccountGroup<user::Model>) -> Vec<i64> {
    group.iter().map(|user| user.id).collect()
}

on_every_backend! {
async fn link_then_group_lists_primary_then_linked_in_link_order(db: DatabaseConnection) {
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        insert_user(&db, id, name, UserStatus::Active).await;
    }
    assert_eq!(Links::link(&db, &1, &3, TOKEN).await.unwrap(), LinkOutcome::Linked);
    assert_eq!(Links::link(&db, &1, &2, TOKEN).await.unwrap(), LinkOutcome::Linked);

    let group = Links::group(&db, &1, TOKEN).await.unwrap().expect("group");
    assert_eq!(ids(&group), vec![1, 3, 2], "primary first, then link order (not id order)");
    assert_eq!(Links::active_user(&db, &2).await.unwrap().map(|user| user.name), Some("bob".to_owned()));
    assert_eq!(Links::active_user(&db, &4).await.unwrap(), None, "no such user");
    // Each statement was rendered once; the next loads reuse its SQL, same answers.
    assert!(multi_account::test_database::statements_are_cached::<user::Model>(db.get_database_backend()));
    assert_eq!(ids(&Links::group(&db, &1, TOKEN).await.unwrap().expect("group")), vec![1, 3, 2]);
    assert_eq!(Links::active_user(&db, &3).await.unwrap().map(|user| user.name), Some("carol".to_owned()));
    assert_eq!(group.primary().name, "alice");
    assert_eq!(group.len(), 3);
    let stored = linked_account::Entity::find().all(&db).await.unwrap();
    assert_eq!(stored.len(), 3, "two links and the group's own row");
    let stored: Vec<_> = stored.into_iter().filter(|link| link.linked_user_id != 1).collect();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|link| link.is_active() && link.session_token == TOKEN));
    assert!(stored.iter().all(|link| link.inserted_at == link.updated_at));
}

async fn self_link_is_refused_and_writes_nothing(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    assert!(matches!(Links::link(&db, &1, &1, TOKEN).await, Err(LinkError::SelfLink)));
    assert_eq!(link_count(&db).await, 0);
}

async fn duplicate_link_is_idempotent(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    insert_user(&db, 2, "bob", UserStatus::Active).await;
    assert_eq!(Links::link(&db, &1, &2, TOKEN).await.unwrap(), LinkOutcome::Linked);
    assert_eq!(Links::link(&db, &1, &2, TOKEN).await.unwrap(), LinkOutcome::AlreadyLinked);
    assert_eq!(link_count(&db).await, 1);
}

async fn unique_key_rejects_a_duplicate_row_in_the_database(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    insert_user(&db, 2, "bob", UserStatus::Active).await;
    let row = || linked_account::ActiveModel {
        primary_user_id: Set(1),
        linked_user_id: Set(2),
        session_token: Set(TOKEN.to_owned()),
        ..Default::default()
    };
    let first = row().insert(&db).await.unwrap();
    assert_eq!(first.status, LinkStatus::Active, "status defaults to Active");
    let error = row().insert(&db).await.expect_err("duplicate must be rejected");
    assert!(matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))), "{error:?}");
}

// A link row without its group's own row (written before groups had one, or by
// hand) is not reached: only an open group has links, and it takes new ones only
// through `open_group` or `link`.
async fn links_count_only_in_an_open_group(db: DatabaseConnection) {
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        insert_user(&db, id, name, UserStatus::Active).await;
    }
    linked_account::ActiveModel {
        primary_user_id: Set(1),
        linked_user_id: Set(2),
        session_token: Set(TOKEN.to_owned()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!((ids(&group), group.is_open()), (vec![1], false), "a link row alone opens nothing");
    assert!(matches!(Links::complete_link(&db, &1, &3, TOKEN, "token-b").await, Err(LinkError::NotInGroup)));
    assert_eq!(link_count(&db).await, 1, "refused: nothing written");
    assert_eq!(Links::open_group(&db, &1, TOKEN, "group-a").await.unwrap(), "group-a");
    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!((ids(&group), group.is_open()), (vec![1, 2], true));
    // Completing moves the whole group to the new token.
    assert_eq!(Links::complete_link(&db, &1, &3, TOKEN, "token-b").await.unwrap(), LinkOutcome::Linked);
    assert_eq!(ids(&Links::group(&db, &1, "token-b").await.unwrap().unwrap()), vec![1, 2, 3]);
    let old = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!((ids(&old), old.is_open()), (vec![1], false), "the old token reaches nothing");
    assert!(matches!(Links::complete_link(&db, &1, &3, TOKEN, "token-c").await, Err(LinkError::NotInGroup)));
}

async fn max_linked_accounts_is_enforced(db: DatabaseConnection) {
    for id in 1..=5 {
        insert_user(&db, id, &format!("user{id}"), UserStatus::Active).await;
    }
    for id in 2..=4 {
        Links::link(&db, &1, &id, TOKEN).await.unwrap();
    }
    assert_eq!(user::Model::MAX_LINKED_ACCOUNTS, 3);
    let error = Links::link(&db, &1, &5, TOKEN).await.unwrap_err();
    assert!(matches!(error, LinkError::TooManyLinkedAccounts { max: 3 }), "{error:?}");
    assert_eq!(link_count(&db).await, 3);
    // Another session of the same primary has its own allowance.
    assert_eq!(Links::link(&db, &1, &5, "token-b").await.unwrap(), LinkOutcome::Linked);
}

async fn deactivated_links_do_not_count_or_appear_and_can_be_reactivated(db: DatabaseConnection) {
    for id in 1..=5 {
        insert_user(&db, id, &format!("user{id}"), UserStatus::Active).await;
    }
    for id in 2..=4 {
        Links::link(&db, &1, &id, TOKEN).await.unwrap();
    }
    assert!(Links::deactivate(&db, &1, &3, TOKEN).await.unwrap());
    assert!(!Links::deactivate(&db, &1, &3, TOKEN).await.unwrap(), "already inactive: nothing to do");
    assert!(!Links::deactivate(&db, &1, &5, TOKEN).await.unwrap(), "no such link");
    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!(ids(&group), vec![1, 2, 4]);
    assert!(matches!(member::<user::Model>(&db, &1, &3, TOKEN).await, Err(LinkError::NotInGroup)));
    // The deactivated link no longer counts toward the maximum of 3.
    assert_eq!(Links::link(&db, &1, &5, TOKEN).await.unwrap(), LinkOutcome::Linked);
    // Reactivating would make 4 active links: refused.
    assert!(matches!(Links::activate(&db, &1, &3, TOKEN).await, Err(LinkError::TooManyLinkedAccounts { .. })));
    assert!(Links::unlink(&db, &1, &5, TOKEN).await.unwrap(), "an existing link was removed");
    assert!(!Links::unlink(&db, &1, &5, TOKEN).await.unwrap(), "nothing left to remove");
    assert_eq!(Links::activate(&db, &1, &3, TOKEN).await.unwrap(), LinkOutcome::Reactivated);
    assert!(matches!(Links::activate(&db, &1, &5, TOKEN).await, Err(LinkError::NotFound)));
}

async fn inactive_users_are_never_linked_listed_or_switchable(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    insert_user(&db, 2, "bob", UserStatus::Active).await;
    insert_user(&db, 3, "dave", UserStatus::Suspended).await;

    assert!(matches!(Links::link(&db, &1, &3, TOKEN).await, Err(LinkError::Inactive)));
    assert!(matches!(Links::link(&db, &3, &1, TOKEN).await, Err(LinkError::Inactive)));
    assert_eq!(link_count(&db).await, 0);

    Links::link(&db, &1, &2, TOKEN).await.unwrap();
    let bob = user::Entity::find_by_id(2).one(&db).await.unwrap().unwrap();
    let mut bob: user::ActiveModel = bob.into();
    bob.status = Set(UserStatus::Suspended);
    bob.update(&db).await.unwrap();

    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!(ids(&group), vec![1], "suspended bob is not listed");
    assert_eq!(Links::active_user(&db, &2).await.unwrap(), None, "nor loaded as the signed-in user");
    assert!(matches!(member::<user::Model>(&db, &1, &2, TOKEN).await, Err(LinkError::NotInGroup)));

    // An inactive primary has no group at all.
    let alice = user::Entity::find_by_id(1).one(&db).await.unwrap().unwrap();
    let mut alice: user::ActiveModel = alice.into();
    alice.status = Set(UserStatus::Suspended);
    alice.update(&db).await.unwrap();
    assert!(Links::group(&db, &1, TOKEN).await.unwrap().is_none());
}

async fn deleted_user_drops_out_of_the_group(db: DatabaseConnection) {
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        insert_user(&db, id, name, UserStatus::Active).await;
    }
    Links::link(&db, &1, &2, TOKEN).await.unwrap();
    Links::link(&db, &1, &3, TOKEN).await.unwrap();
    let bob = user::Entity::find_by_id(2).one(&db).await.unwrap().unwrap();
    bob.delete(&db).await.unwrap();
    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!(ids(&group), vec![1, 3]);
    // The foreign key cascades: bob's link row is gone too.
    let remaining = linked_account::Entity::find().filter(linked_account::Column::LinkedUserId.eq(2)).count(&db);
    assert_eq!(remaining.await.unwrap(), 0);
    // A deleted primary: no group.
    user::Entity::delete_by_id(1).exec(&db).await.unwrap();
    assert!(Links::group(&db, &1, TOKEN).await.unwrap().is_none());
}

async fn links_of_one_session_are_invisible_from_another(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    insert_user(&db, 2, "bob", UserStatus::Active).await;
    Links::link(&db, &1, &2, TOKEN).await.unwrap();
    let other = Links::group(&db, &1, "token-b").await.unwrap().unwrap();
    assert_eq!(ids(&other), vec![1]);
    assert!(!other.is_open(), "another session has no open group");
    assert!(matches!(member::<user::Model>(&db, &1, &2, "token-b").await, Err(LinkError::NotInGroup)));
    assert_eq!(member::<user::Model>(&db, &1, &2, TOKEN).await.unwrap().name, "bob");
    // Unlinking in another session does nothing here.
    assert!(!Links::unlink(&db, &1, &2, "token-b").await.unwrap());
    let group_id = linked_account::Entity::find().one(&db).await.unwrap().unwrap().group_id;
    assert_eq!(Links::revoke_group(&db, "token-b").await.unwrap(), 0);
    assert!(!Links::is_group_revoked(&db, &group_id).await.unwrap());
    assert_eq!(Links::revoke_group(&db, &group_id).await.unwrap(), 1);
    assert!(Links::is_group_revoked(&db, &group_id).await.unwrap());
    let group = Links::group(&db, &1, TOKEN).await.unwrap().unwrap();
    assert_eq!((ids(&group), group.is_open()), (vec![1], false));
    assert_eq!(linked_account::Entity::find().count(&db).await.unwrap(), 1, "the group's own row stays, signed out");
    assert!(matches!(Links::link(&db, &1, &2, TOKEN).await, Err(LinkError::NotInGroup)), "and is not opened again");
    let cutoff = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(Links::purge_signed_out(&db, cutoff).await.unwrap(), 1);
    assert_eq!(linked_account::Entity::find().count(&db).await.unwrap(), 0);
}

async fn unknown_accounts_and_bad_tokens_are_refused(db: DatabaseConnection) {
    insert_user(&db, 1, "alice", UserStatus::Active).await;
    assert!(matches!(Links::link(&db, &1, &99, TOKEN).await, Err(LinkError::NotFound)));
    assert!(matches!(Links::link(&db, &99, &1, TOKEN).await, Err(LinkError::NotFound)));
    assert!(matches!(Links::link(&db, &1, &2, "").await, Err(LinkError::InvalidSessionToken)));
    let long = "x".repeat(multi_account::MAX_SESSION_TOKEN_LEN + 1);
    assert!(matches!(Links::group(&db, &1, &long).await, Err(LinkError::InvalidSessionToken)));
    let longest = "x".repeat(multi_account::MAX_SESSION_TOKEN_LEN);
    assert!(Links::group(&db, &1, &longest).await.is_ok(), "a token of exactly the longest length is one");
    assert_eq!(link_count(&db).await, 0);
}

async fn group_is_exactly_one_query_whatever_its_size(mut db: DatabaseConnection) {
    let counter = QueryCounter::install(&mut db);
    for id in 1..=4 {
        insert_user(&db, id, &format!("user{id}"), UserStatus::Active).await;
    }
    for size in [1_usize, 2, 4] {
        if size > 1 {
            Links::link(&db, &1, &(size as i64), TOKEN).await.unwrap();
            if size == 4 {
                Links::link(&db, &1, &3, TOKEN).await.unwrap();
            }
        }
        let (group, queries) = counter.count(Links::group(&db, &1, TOKEN)).await;
        assert_eq!(group.unwrap().unwrap().len(), size);
        assert_eq!(queries, 1, "group of {size} must take one query");
    }
    let (group, queries) = counter.count(user::Model::load_account_group(&db, &1, TOKEN)).await;
    assert_eq!(group.unwrap().unwrap().len(), 4);
    assert_eq!(queries, 1);
}

async fn display_projection_serializes_the_display_fields(db: DatabaseConnection) {
    let alice = insert_user(&db, 1, "alice", UserStatus::Active).await;
    let json = serde_json::to_value(alice.display()).unwrap();
    assert_eq!(json, serde_json::json!({"name": "alice", "email": "alice@example.com"}));
    assert_eq!(user::Model::SHORT_NAME, "user");
}
}
