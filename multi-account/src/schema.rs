//! DDL for the linked-accounts table, shared by the migration and by
//! [`create_linked_accounts_table`] (tests and quick starts).

use sea_orm::sea_query::{IndexCreateStatement, TableCreateStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Schema};

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
    let (table, indexes) = linked_accounts_schema::<L>(db.get_database_backend());
    db.execute(&table).await?;
    for index in indexes {
        db.execute(&index).await?;
    }
    Ok(())
}
