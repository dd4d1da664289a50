//! What the guides' code blocks take for granted: a user entity, its
//! linked-accounts entity, a database, and handlers of the app's own.

pub use std::sync::Arc;
pub use std::sync::atomic::{AtomicUsize, Ordering};
pub use std::time::Duration;

/// The app's user entity, as the guides write it.
pub mod user {
    use sea_orm::entity::prelude::*;

    /// A user.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(linked_account = crate::doc_support::linked_account::Entity, display_fields(email))]
    pub struct Model {
        /// The id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The email address.
        pub email: String,
    }

    /// No relations of its own.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The linked-accounts entity.
pub mod linked_account {
    /// The marker the entity is derived on.
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = crate::doc_support::user::Entity)]
    pub struct LinkedAccount;
}

/// An app's own redirect hooks (actix-web).
pub struct MyHandlers;

impl multi_account_actix::MultiAccountHandlers for MyHandlers {}

/// A database to pass around (SQLite in memory).
pub async fn database() -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect("sqlite::memory:").await.unwrap_or_else(|error| panic!("{error}"))
}
