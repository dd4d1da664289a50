//! `link_ttl`: expired links leave the group at once and are removed.

use crate::support::{ttl_link, ttl_user};
use multi_account::{LinkOutcome, LinkService, MultiAccountUser};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

type Links = LinkService<ttl_user::Model>;

/// Moves a link's last change `seconds` into the past.
async fn age_link(db: &DatabaseConnection, linked: i64, seconds: i64) {
    let at = chrono::Utc::now() - chrono::Duration::seconds(seconds);
    ttl_link::Entity::update_many()
        .col_expr(ttl_link::Column::UpdatedAt, Expr::value(at))
        .filter(ttl_link::Column::LinkedUserId.eq(linked))
        .exec(db)
        .await
        .unwrap();
}

/// The number of links (the group's own row, `linked_user_id = primary_user_id`,
/// is not one).
async fn links(db: &DatabaseConnection) -> u64 {
    ttl_link::Entity::find().filter(ttl_link::Column::LinkedUserId.ne(1)).count(db).await.unwrap()
}

on_every_backend! {
async fn expired_links_leave_the_group_and_are_removed(db: DatabaseConnection) {
    assert_eq!(ttl_user::Model::LINK_TTL, Some(std::time::Duration::from_secs(3600)));
    for id in 1..=4 {
        ttl_user::ActiveModel { id: Set(id) }.insert(&db).await.unwrap();
    }
    for id in 2..=4 {
        Links::link(&db, &1, &id, "t").await.unwrap();
    }
    age_link(&db, 2, 3601).await;
    age_link(&db, 3, 3500).await;

    let group = Links::group(&db, &1, "t").await.unwrap().unwrap();
    let ids: Vec<i64> = group.iter().map(|user| user.id).collect();
    assert_eq!(ids, vec![1, 3, 4], "the expired link is gone from the group");
    assert_eq!(Links::active_user(&db, &2).await.unwrap().map(|user| user.id), Some(2));
    assert!(multi_account::test_database::statements_are_cached::<ttl_user::Model>(db.get_database_backend()));
    assert!(crate::support::member::<ttl_user::Model>(&db, &1, &2, "t").await.is_err());

    // Linking again in the session deletes the expired row and makes a fresh one.
    assert_eq!(Links::link(&db, &1, &2, "t").await.unwrap(), LinkOutcome::Linked);
    assert_eq!(links(&db).await, 3);

    age_link(&db, 3, 7200).await;
    age_link(&db, 4, 7200).await;
    assert_eq!(Links::purge_expired(&db).await.unwrap(), 2);
    assert_eq!(links(&db).await, 1);
}
}

/// The value of a decision's remembered-accounts cookie.
fn remembered_cookie(writes: &[multi_account::session::SessionWrite]) -> Option<String> {
    writes.iter().find_map(|write| match write {
        multi_account::session::SessionWrite::SetCookie { header } => {
            header.split(';').next()?.split_once('=').map(|(_, value)| value.to_owned())
        }
        _ => None,
    })
}

on_every_backend! {
async fn an_expired_link_leaves_its_account_remembered(db: DatabaseConnection) {
    use multi_account::session::{RememberedAccounts, SessionConfig, SessionState, keys};
    for id in 1..=2 {
        ttl_user::ActiveModel { id: Set(id) }.insert(&db).await.unwrap();
    }
    Links::link(&db, &1, &2, "t").await.unwrap();
    let remembered = RememberedAccounts::new(&[5; 64]).unwrap();
    let config = SessionConfig::new(db.clone()).with_remembered(Some(remembered));
    // A session signed in as 1, with 2 linked (both signed in here).
    let entries = serde_json::json!({
        keys::USER: "user?id=2",
        keys::PRIMARY_USER_ID: "1",
        keys::SESSION_TOKEN: "t",
        keys::AUTH_FINGERPRINTS: {"1": "", "2": ""},
    });
    let state = SessionState::read(None, |key| entries.get(key).cloned());
    let resolution = config.resolve::<ttl_user::Model>(&state).await;
    let ids: Vec<i64> = resolution.accounts.group.iter().flat_map(|group| group.iter()).map(|user| user.id).collect();
    assert_eq!(ids, vec![1, 2]);
    assert!(resolution.accounts.remembered().is_empty());
    let cookie = remembered_cookie(&resolution.writes).expect("the signed-in accounts noted");

    age_link(&db, 2, 3601).await;
    let state = state.with_remembered_cookie(Some(&cookie));
    let resolution = config.resolve::<ttl_user::Model>(&state).await;
    assert_eq!(resolution.accounts.current.as_ref().map(|user| user.id), Some(1), "back on the primary");
    let remembered: Vec<&str> = resolution.accounts.remembered().iter().map(|account| account.id.as_str()).collect();
    assert_eq!(remembered, vec!["2"], "the account whose link expired is remembered, signed out");
}
}
