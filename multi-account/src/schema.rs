//! DDL for the linked-accounts table, shared by the migration and by
//! [`create_linked_accounts_table`] (tests and quick starts).

use std::marker::PhantomData;

use sea_orm::sea_query::{
    Alias, ColumnDef, ColumnType, ForeignKey, ForeignKeyAction, Index, IndexCreateStatement, StringLen, Table,
    TableCreateStatement, ValueType,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Schema};

use crate::AccountId;

/// The `CREATE TABLE` (with foreign keys to the user table, cascading deletes) and
/// the unique index on `(primary_user_id, session_token, linked_user_id)` for the
/// linked-accounts entity `L`.
pub fn linked_accounts_schema<L: EntityTrait + Default>(
    backend: DbBackend,
) -> (TableCreateStatement, Vec<IndexCreateStatement>) {
    let schema = Schema::new(backend);
    let table = schema.create_table_from_entity(L::default());
    let indexes = schema.create_index_from_entity(L::default());
    (table, indexes)
}

/// Creates the linked-accounts table and its unique index, for tests and quick
/// starts. Applications with migrations use
/// [`LinkedAccountsMigration`](crate::migration::LinkedAccountsMigration) instead.
///
/// ```
/// # mod user {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
/// #     #[sea_orm(table_name = "users")]
/// #     #[multi_account(linked_account = crate::linked_account::Entity)]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod linked_account {
/// #     #[derive(multi_account::LinkedAccount)]
/// #     #[linked_account(user = crate::user::Entity)]
/// #     pub struct LinkedAccount;
/// # }
/// async fn setup(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
///     multi_account::create_linked_accounts_table::<linked_account::Entity>(db).await
/// }
/// # fn main() {}
/// ```
pub async fn create_linked_accounts_table<L: EntityTrait + Default>(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    create(db, linked_accounts_schema::<L>(db.get_database_backend())).await
}

/// Runs a `CREATE TABLE` and its `CREATE INDEX`es.
async fn create(
    db: &impl ConnectionTrait,
    (table, indexes): (TableCreateStatement, Vec<IndexCreateStatement>),
) -> Result<(), DbErr> {
    db.execute(&table).await?;
    for index in indexes {
        db.execute(&index).await?;
    }
    Ok(())
}

/// The linked-accounts table described without its entity: by the users
/// table's name (in the default schema), its key column and the key type `K`.
/// It is the table [`linked_accounts_schema`] makes for the entity
/// `#[derive(LinkedAccount)]` generates, for a migration crate that cannot
/// name the app's entities — the layout `sea-orm-cli` generates, where the app
/// depends on its `migration` crate and not the other way around.
///
/// ```
/// use sea_orm_migration::prelude::*;
///
/// /// Users are in `users`, keyed by an `i32` `id`.
/// const LINKED_ACCOUNTS: multi_account::LinkedAccountsTable<i32> =
///     multi_account::LinkedAccountsTable::new("users", "id");
///
/// #[derive(DeriveMigrationName)]
/// pub struct Migration;
///
/// #[async_trait::async_trait]
/// impl MigrationTrait for Migration {
///     async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
///         LINKED_ACCOUNTS.create_table(manager.get_connection()).await
///     }
///
///     async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
///         LINKED_ACCOUNTS.drop_table(manager.get_connection()).await
///     }
/// }
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct LinkedAccountsTable<K> {
    table: &'static str,
    users_table: &'static str,
    user_id_column: &'static str,
    key: PhantomData<fn() -> K>,
}

// By hand: derived, they would ask `K: Copy`, which `String` is not.
impl<K> Clone for LinkedAccountsTable<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for LinkedAccountsTable<K> {}

impl<K: AccountId> LinkedAccountsTable<K> {
    /// The table for users in `users_table`, keyed by `user_id_column` of type `K`.
    pub const fn new(users_table: &'static str, user_id_column: &'static str) -> Self {
        Self { table: DEFAULT_TABLE, users_table, user_id_column, key: PhantomData }
    }

    /// Names the table `table`, as `#[linked_account(table_name = "..")]` does.
    pub const fn with_table_name(self, table: &'static str) -> Self {
        Self { table, ..self }
    }

    /// The `CREATE TABLE` and its indexes, as [`linked_accounts_schema`] makes them.
    /// They are the same on every backend.
    pub fn schema(&self) -> (TableCreateStatement, Vec<IndexCreateStatement>) {
        let key = <K as ValueType>::column_type();
        let column = |name: &'static str, column_type: ColumnType| {
            let mut column = ColumnDef::new_with_type(Alias::new(name), column_type);
            column.not_null();
            column
        };
        let belongs_to_user = |from: &'static str| {
            ForeignKey::create()
                .name(format!("fk-{}-{from}", self.table))
                .from_tbl(Alias::new(self.table))
                .from_col(Alias::new(from))
                .to_tbl(Alias::new(self.users_table))
                .to_col(Alias::new(self.user_id_column))
                .on_delete(ForeignKeyAction::Cascade)
                .take()
        };
        let mut id = column("id", ColumnType::BigInteger);
        id.auto_increment().primary_key();
        let table = Table::create()
            .table(Alias::new(self.table))
            .col(id)
            .col(column("primary_user_id", key.clone()))
            .col(column("session_token", ColumnType::String(StringLen::N(64))))
            .col(column("group_id", ColumnType::String(StringLen::N(64))))
            .col(column("linked_user_id", key))
            .col(column("status", ColumnType::String(StringLen::N(16))))
            .col(column("inserted_at", ColumnType::TimestampWithTimeZone))
            .col(column("updated_at", ColumnType::TimestampWithTimeZone))
            .foreign_key(&mut belongs_to_user("primary_user_id"))
            .foreign_key(&mut belongs_to_user("linked_user_id"))
            .take();
        let indexes = vec![
            group_id_index(self.table),
            Index::create()
                .name(format!("idx-{}-linked_user_id", self.table))
                .table(Alias::new(self.table))
                .col(Alias::new("linked_user_id"))
                .take(),
            Index::create()
                .name(format!("idx-{}-group", self.table))
                .table(Alias::new(self.table))
                .unique()
                .col(Alias::new("primary_user_id"))
                .col(Alias::new("session_token"))
                .col(Alias::new("linked_user_id"))
                .take(),
        ];
        (table, indexes)
    }

    /// Creates the table and its indexes.
    pub async fn create_table(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        create(db, self.schema()).await
    }

    /// Upgrades the table from multi-account 0.1 (adds and fills `group_id`);
    /// a no-op on a table created by 0.2. Run it from a migration of its own.
    pub async fn upgrade_to_0_2(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        add_group_id(db, self.table).await
    }

    /// Drops the table.
    pub async fn drop_table(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        db.execute(&Table::drop().table(Alias::new(self.table)).take()).await.map(drop)
    }
}

/// The index on `group_id`, as the entity's `indexed` attribute names it.
pub(crate) fn group_id_index(table: &str) -> IndexCreateStatement {
    Index::create().name(format!("idx-{table}-group_id")).table(Alias::new(table)).col(Alias::new("group_id")).take()
}

/// Upgrades a linked-accounts table `table` written by multi-account 0.1: adds
/// `group_id`, sets it to each row's session token (in 0.1 a group lived under
/// one token, so that is its identity), and indexes it. Does nothing when the
/// column is there (a table created by 0.2).
pub(crate) async fn add_group_id(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    use sea_orm::sea_query::{Expr, Query};
    if has_column(db, table, "group_id").await? {
        return Ok(());
    }
    let mut column = ColumnDef::new_with_type(Alias::new("group_id"), ColumnType::String(StringLen::N(64)));
    column.not_null().default("");
    db.execute(&Table::alter().table(Alias::new(table)).add_column(&mut column).take()).await?;
    let backfill = Query::update()
        .table(Alias::new(table))
        .value(Alias::new("group_id"), Expr::col(Alias::new("session_token")))
        .take();
    db.execute(&backfill).await?;
    db.execute(&group_id_index(table)).await?;
    Ok(())
}

/// Whether `table` (in the connection's default schema) has `column`. Read from
/// the catalog, not by a failing query: on PostgreSQL that would abort the
/// migration's transaction.
async fn has_column(db: &impl ConnectionTrait, table: &str, column: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?",
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
        }
    };
    let statement = sea_orm::Statement::from_sql_and_values(backend, sql, [table.into(), column.into()]);
    let row = db.query_one_raw(statement).await?;
    let count: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(count > 0)
}

/// The table `#[derive(LinkedAccount)]` maps unless told otherwise.
const DEFAULT_TABLE: &str = "linked_accounts";
