//! The seams between flows (security review II) that only actix has:
//! actix-identity's logout and its id key, and the cookie budget of
//! actix-session's cookie store (per key type, and at link completion). The
//! other seams (the replay matrix, pre-seeded intents, cross-site requests,
//! anonymous visitors, ...) are conformance cases, run on every adapter.

use crate::support;

use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use multi_account::MultiAccountUser;
use multi_account::test_database::{TestBackend, TestDatabase};
use multi_account_actix::test_support::{self, TestClient, auto_submit_token};
use multi_account_actix::{MultiAccountConfig, SessionToken, SignedInAccounts};
use sea_orm::{ConnectionTrait, DatabaseConnection, Schema};

/// `current=<id>;primary=<id>;group=<ids>` as the extractors see it.
async fn state_page<U: MultiAccountUser>(accounts: SignedInAccounts<U>) -> String {
    let ids = |users: Vec<&U>| users.iter().map(|u| u.id().to_string()).collect::<Vec<_>>().join(",");
    format!(
        "current={};primary={};group={}",
        accounts.current().map(|u| u.id().to_string()).unwrap_or_default(),
        accounts.primary().map(|u| u.id().to_string()).unwrap_or_default(),
        accounts.group().map(|g| ids(g.iter().collect())).unwrap_or_default(),
    )
}

/// The app for `U` (POST switches, the default), without `/me`.
fn configure<U: MultiAccountUser>(config: &MultiAccountConfig) -> impl FnOnce(&mut web::ServiceConfig) + use<U> {
    let routes = config.routes::<U>();
    move |cfg: &mut web::ServiceConfig| {
        routes(cfg);
        test_support::routes::<U>()(cfg);
        cfg.route("/state", web::get().to(state_page::<U>));
    }
}

// ---------------------------------------------------------------------------
// Finding 4: actix-identity's logout without purging, and its id key.

mod identity {
    use actix_identity::config::LogoutBehavior;
    use actix_identity::{Identity, IdentityMiddleware};
    use actix_web::{HttpMessage, HttpRequest, HttpResponse};

    use super::*;

    async fn login(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
        match Identity::login(&req.extensions(), id.into_inner()) {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }

    async fn logout(identity: Identity) -> HttpResponse {
        identity.logout();
        HttpResponse::NoContent().finish()
    }

    async fn me(user: Option<multi_account_actix::CurrentUser<support::User>>) -> String {
        user.map(|multi_account_actix::CurrentUser(user)| user.id.to_string()).unwrap_or_default()
    }

    async fn run(key: Option<&'static str>, visit_deadline: Option<std::time::Duration>) {
        let test = support::database(3).await;
        let db = test.db.clone();
        let mut config = MultiAccountConfig::new(db.clone());
        let mut identity = IdentityMiddleware::builder()
            .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
            .visit_deadline(visit_deadline);
        if let Some(key) = key {
            config = config.with_identity_key(key);
            identity = identity.id_key(key);
        }
        let app = App::new()
            .configure(configure::<support::User>(&config))
            .route("/login/{id}", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/me", web::get().to(me))
            .wrap(identity.build())
            .wrap(SessionToken)
            .wrap(test_support::cookie_session());
        let mut client = TestClient::new(test::init_service(app).await);

        client.post_form("/login/1", &[]).await;
        let before = client.csrf().await;
        client.post_form("/login/2", &[]).await;
        assert_eq!(client.get("/me").await.body, "2", "the identity is the current user");
        assert_eq!(client.get("/me").await.body, "2", "and on the next request: its sign-in was recorded");
        assert_ne!(client.csrf().await, before, "adopting a sign-in rotates the CSRF token");
        if let Some(deadline) = visit_deadline {
            // actix-identity stores visit times in whole seconds: one more to be sure.
            tokio::time::sleep(deadline + std::time::Duration::from_millis(1500)).await;
        } else {
            client.post_form("/logout", &[]).await;
        }
        assert_eq!(client.get("/me").await.body, "", "signed out with the identity");
        assert_eq!(client.get("/state").await.body, "current=;primary=;group=");
        // Signing in again as the same account is a new sign-in: a new token.
        let before = client.csrf().await;
        client.post_form("/login/2", &[]).await;
        assert_eq!(client.get("/me").await.body, "2");
        assert_ne!(client.csrf().await, before, "the same account signing in again rotates the token");
    }

    #[tokio::test]
    async fn delete_identity_keys_logout_signs_out() {
        run(None, None).await;
    }

    #[tokio::test]
    async fn a_custom_id_key_is_respected() {
        run(Some("app.user"), None).await;
    }

    #[tokio::test]
    async fn a_visit_deadline_signs_out() {
        // Whole seconds, so requests within a second of each other never expire.
        run(None, Some(std::time::Duration::from_secs(3))).await;
    }
}

// ---------------------------------------------------------------------------
// Finding 7: the cookie budget. For each key type, with ids as long as the type
// allows, accounts are added until "Add another account" is refused: the
// session cookie never passes 4096 bytes and the app never answers 500. The
// sizes found are the ones `docs/security-model.md` documents.

macro_rules! budget_user {
    ($user:ident, $links:ident, $users_table:literal, $links_table:literal, $id:ty) => {
        mod $user {
            use multi_account::MultiAccountUser;
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
            #[sea_orm(table_name = $users_table)]
            #[multi_account(linked_account = super::$links::Entity, max_linked_accounts = 250)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: $id,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }

        mod $links {
            #[derive(multi_account::LinkedAccount)]
            #[linked_account(user = super::$user::Entity, table_name = $links_table)]
            #[allow(dead_code)] // a marker: only its derive is used
            pub struct LinkedAccount;
        }
    };
}

budget_user!(i32_user, i32_link, "i32_users", "i32_links", i32);
budget_user!(i64_user, i64_link, "i64_users", "i64_links", i64);
budget_user!(uuid_user, uuid_link, "uuid_users", "uuid_links", uuid::Uuid);
budget_user!(string_user, string_link, "string_users", "string_links", String);

/// The `n`th id of a key type, as long as the type allows.
trait LongestId: MultiAccountUser {
    fn nth(n: u32) -> Self::Id;
}

impl LongestId for i32_user::Model {
    fn nth(n: u32) -> i32 {
        i32::MIN + n as i32
    }
}

impl LongestId for i64_user::Model {
    fn nth(n: u32) -> i64 {
        i64::MIN + i64::from(n)
    }
}

impl LongestId for uuid_user::Model {
    fn nth(n: u32) -> uuid::Uuid {
        uuid::Uuid::from_u128(u128::from(n) | (0xffff_ffff_u128 << 96))
    }
}

impl LongestId for string_user::Model {
    fn nth(n: u32) -> String {
        format!("{n:0>255}")
    }
}

/// Adds accounts to a group until the start is refused; returns the group size
/// reached.
async fn largest_group<U, L>() -> usize
where
    U: LongestId,
    L: multi_account::LinkedAccountOf<U::UserEntity>,
{
    let guard = TestDatabase::create(TestBackend::Sqlite).await.unwrap().unwrap();
    let db = guard.db.clone();
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(U::UserEntity::default())).await.unwrap();
    multi_account::create_linked_accounts_table::<L>(&db).await.unwrap();
    let config = MultiAccountConfig::new(db.clone());
    let app = App::new().configure(configure::<U>(&config)).wrap(SessionToken).wrap(test_support::cookie_session());
    let mut client = TestClient::new(test::init_service(app).await);
    let primary = U::nth(1);
    let cookie_fits =
        |client: &TestClient<_>| client.session_cookie().is_none_or(|value| "id=".len() + value.len() <= 4096);
    for n in 1..=250 {
        let id = U::nth(n);
        insert_user::<U>(&db, id.clone()).await;
        if n == 1 {
            assert_eq!(client.sign_in(&id).await.status, StatusCode::NO_CONTENT);
            continue;
        }
        let started = client.start_link(&primary).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
        assert!(cookie_fits(&client), "the cookie fits after {n} accounts");
        if !started.location.as_deref().is_some_and(|to| to.starts_with("/sign-in")) {
            // Refused with a message: the group is as large as the cookie allows.
            let state = client.get("/state").await.body;
            let group = state.rsplit("group=").next().unwrap_or("").split(',').filter(|id| !id.is_empty()).count();
            assert_eq!(group as u32, n - 1, "{state}");
            return group;
        }
        let signed_in = client.sign_in(&id).await;
        assert_eq!(signed_in.status, StatusCode::NO_CONTENT, "sign-in {n}: {signed_in:?}");
        let page = client.get(&format!("/link/p/{primary}")).await;
        let token = auto_submit_token(&page.body).expect("auto-submit page");
        let done = client.post_form(&format!("/link/p/{primary}"), &[("csrf_token", &token)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "link {n}: {done:?}");
        assert!(cookie_fits(&client), "the cookie fits after {n} accounts");
    }
    panic!("no limit reached");
}

async fn insert_user<U: MultiAccountUser>(db: &DatabaseConnection, id: U::Id) {
    let table = <U::UserEntity as sea_orm::EntityName>::table_name(&U::UserEntity::default()).to_owned();
    let statement = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("INSERT INTO {table} (id) VALUES (?)"),
        [id.into()],
    );
    db.execute_raw(statement).await.unwrap();
}

#[tokio::test]
async fn the_largest_group_that_fits_a_cookie_per_key_type() {
    let sizes = [
        ("i32", largest_group::<i32_user::Model, i32_link::Entity>().await),
        ("i64", largest_group::<i64_user::Model, i64_link::Entity>().await),
        ("Uuid", largest_group::<uuid_user::Model, uuid_link::Entity>().await),
        ("String (255)", largest_group::<string_user::Model, string_link::Entity>().await),
    ];
    eprintln!("largest groups in a cookie session: {sizes:?}");
    // Primary included; without `auth_hash` (its fingerprint adds 16 bytes per account).
    assert_eq!(sizes, [("i32", 98), ("i64", 67), ("Uuid", 42), ("String (255)", 4)], "update docs/security-model.md");
}

// ---------------------------------------------------------------------------
// The cookie budget at completion.

// The budget is checked again when the link completes: the app's own session
// writes in between may have used the room.
#[tokio::test]
async fn a_session_filled_meanwhile_refuses_the_completion() {
    let test = support::database(3).await;
    let db = &test.db;
    let config = MultiAccountConfig::new(db.clone());
    let app = App::new()
        .configure(configure::<support::User>(&config))
        .wrap(SessionToken)
        .wrap(test_support::cookie_session());
    let mut client = TestClient::new(test::init_service(app).await);
    client.sign_in(&1).await;
    let token = support::up_to_auto_submit(&mut client, 1, 2).await;
    // The app stores 2.3 KB of its own in the session.
    client.put_session(serde_json::json!({ "app_draft": "x".repeat(2350) })).await;
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{done:?}");
    assert!(client.session_cookie().is_some_and(|value| value.len() < 4096 - 3), "the cookie still fits");
    let entries = client.session_entries().await;
    assert!(entries["_multi_account_flash"].as_str().unwrap_or("").contains("cannot hold another account"));
    assert_eq!(client.get("/state").await.body, "current=1;primary=1;group=1");
    assert_eq!(support::link_count(db).await, 0, "no link");
}
