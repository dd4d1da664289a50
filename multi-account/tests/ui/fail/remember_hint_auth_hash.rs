mod user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum UserStatus {
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "inactive")]
        Inactive,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(linked_account = crate::linked_account::Entity, auth_hash = password_hash, remember_hint = password_hash)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub email: String,
        pub name: String,
        pub password_hash: String,
        pub status: UserStatus,
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
