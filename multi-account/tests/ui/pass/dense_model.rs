//! SeaORM 2.0's dense entity format: `#[sea_orm::model]` takes the relation
//! fields out of `Model` and copies its derives onto a generated `ModelEx`,
//! where `MultiAccountUser` does nothing (the one on `Model` covers both).

mod user {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub email: String,
        #[sea_orm(has_many)]
        pub posts: HasMany<super::post::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod post {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        #[sea_orm(belongs_to, from = "user_id", to = "id")]
        pub author: BelongsTo<super::user::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod linked_account {
    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = crate::user::Entity)]
    pub struct LinkedAccount;
}

fn main() {
    use multi_account::MultiAccountUser;
    let user = user::Model { id: 7, email: "ann@example.com".to_owned() };
    assert_eq!(user.id(), 7);
    assert_eq!(user.display().email, "ann@example.com");
}
