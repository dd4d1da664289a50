//! Entities and database helpers shared by the core integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use multi_account::test_database::{TestBackend, TestDatabase};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Schema};

/// A user with an `i64` key, an enum `active_check`, display fields and a max of 3.
pub mod user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum UserStatus {
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "suspended")]
        Suspended,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(
        linked_account = super::linked_account::Entity,
        active_check(field = status, value = UserStatus::Active),
        display_fields(name, email),
        max_linked_accounts = 3,
    )]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[sea_orm(unique)]
        pub email: String,
        pub status: UserStatus,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod linked_account {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::user::Entity)]
    pub struct LinkedAccount;
}

/// A user with an `auth_hash`: a new password signs it out of every session.
pub mod hashed_user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "hashed_users")]
    #[multi_account(linked_account = super::hashed_link::Entity, auth_hash = password_hash)]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub password_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hashed_link {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::hashed_user::Entity, table_name = "hashed_links")]
    pub struct LinkedAccount;
}

/// A user whose links expire after an hour.
pub mod ttl_user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "ttl_users")]
    #[multi_account(linked_account = super::ttl_link::Entity, link_ttl = 3600)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ttl_link {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::ttl_user::Entity, table_name = "ttl_links")]
    pub struct LinkedAccount;
}

/// A user entity keyed by `$id` with a string `active_check`, and its links table.
macro_rules! keyed_user {
    ($user:ident, $links:ident, $users_table:literal, $links_table:literal, $id:ty) => {
        pub mod $user {
            use multi_account::MultiAccountUser;
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
            #[sea_orm(table_name = $users_table)]
            #[multi_account(
                                                                        linked_account = super::$links::Entity,
                                                                        active_check(field = state, value = "on"),
                                                                        display_fields(label),
                                                                        short_name = "member",
                                                                    )]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: $id,
                pub label: String,
                pub state: String,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }

        pub mod $links {
            #[derive(multi_account::LinkedAccount)]
            #[linked_account(user = super::$user::Entity, table_name = $links_table)]
            pub struct LinkedAccount;
        }
    };
}

keyed_user!(uuid_user, uuid_link, "uuid_users", "uuid_links", uuid::Uuid);
keyed_user!(i32_user, i32_link, "i32_users", "i32_links", i32);
keyed_user!(i64_user, i64_link, "i64_users", "i64_links", i64);
keyed_user!(string_user, string_link, "string_users", "string_links", String);

/// Creates the table of `E` and its indexes.
pub async fn create_table<E: EntityTrait + Default>(db: &DatabaseConnection) {
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(E::default())).await.expect("create table");
    for index in schema.create_index_from_entity(E::default()) {
        db.execute(&index).await.expect("create index");
    }
}

/// Creates every test table.
pub async fn create_all(db: &DatabaseConnection) {
    create_table::<user::Entity>(db).await;
    multi_account::create_linked_accounts_table::<linked_account::Entity>(db).await.expect("links table");
    create_table::<uuid_user::Entity>(db).await;
    create_table::<uuid_link::Entity>(db).await;
    create_table::<i32_user::Entity>(db).await;
    create_table::<i32_link::Entity>(db).await;
    create_table::<i64_user::Entity>(db).await;
    create_table::<i64_link::Entity>(db).await;
    create_table::<string_user::Entity>(db).await;
    create_table::<string_link::Entity>(db).await;
    create_table::<ttl_user::Entity>(db).await;
    create_table::<ttl_link::Entity>(db).await;
    create_table::<hashed_user::Entity>(db).await;
    create_table::<hashed_link::Entity>(db).await;
}

/// Runs `test` on a fresh database of `backend` with every table, or prints that
/// the backend was skipped (its variable unset). Prints the backend it ran on, so
/// a green run shows what it covered.
pub async fn run_on<F, Fut>(backend: TestBackend, name: &str, test: F)
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(database) = TestDatabase::create(backend).await.expect("test database server unreachable") else {
        eprintln!("{name}: skipped on {backend} (set its MULTI_ACCOUNT_TEST_*_URL)");
        return;
    };
    create_all(&database.db).await;
    test(database.db.clone()).await;
    eprintln!("{name}: ran on {backend}");
}

/// One test per backend: `name::sqlite`, `name::postgres`, `name::mysql`.
#[macro_export]
macro_rules! on_every_backend {
    ($(async fn $name:ident($($arg:tt)*) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($($arg)*) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::support::run_on(multi_account::test_database::TestBackend::Sqlite, stringify!($name), run).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::support::run_on(multi_account::test_database::TestBackend::Postgres, stringify!($name), run).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    $crate::support::run_on(multi_account::test_database::TestBackend::MySql, stringify!($name), run).await;
                }
            }
        )*
    };
}

/// Counts the statements a connection runs, through SeaORM's metric callback.
#[derive(Clone, Default)]
pub struct QueryCounter(Arc<AtomicUsize>);

impl QueryCounter {
    /// Installs the counter on `db`.
    pub fn install(db: &mut DatabaseConnection) -> Self {
        let counter = Self::default();
        let inner = counter.0.clone();
        db.set_metric_callback(move |_| {
            inner.fetch_add(1, Ordering::SeqCst);
        });
        counter
    }

    /// Statements run so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Runs `f` and returns how many statements it ran.
    pub async fn count<T>(&self, f: impl std::future::Future<Output = T>) -> (T, usize) {
        let before = self.get();
        let value = f.await;
        (value, self.get() - before)
    }
}

/// Inserts an `i64` user.
pub async fn insert_user(db: &DatabaseConnection, id: i64, name: &str, status: user::UserStatus) -> user::Model {
    use sea_orm::{ActiveModelTrait, Set};
    user::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        email: Set(format!("{name}@example.com")),
        status: Set(status),
    }
    .insert(db)
    .await
    .expect("insert user")
}

/// The account `target` of the group of (`primary`, `token`), as a switch finds
/// it (membership in the database; the session's sign-in records are the
/// session policy's to check).
pub async fn member<U: multi_account::MultiAccountUser>(
    db: &sea_orm::DatabaseConnection,
    primary: &U::Id,
    target: &U::Id,
    token: &str,
) -> Result<U, multi_account::LinkError> {
    let group = multi_account::LinkService::<U>::group(db, primary, token).await?;
    group.and_then(|group| group.get(target).cloned()).ok_or(multi_account::LinkError::NotInGroup)
}
