//! A binary crate (this file is one) that only declares its entities, as an app
//! does before it uses them, compiles without a warning: the generated code
//! raises none ("never constructed", "never used") even with warnings denied.
// trybuild allows `dead_code` on the command line; the attribute wins.
#![deny(warnings, dead_code, unused)]

mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub email: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod linked_account {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = crate::user::Entity)]
    pub struct LinkedAccount;
}

fn main() {}
