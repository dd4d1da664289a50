//! The least configuration: only `linked_account` and `user`.

mod user {
    use multi_account::MultiAccountUser;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, MultiAccountUser)]
    #[sea_orm(table_name = "users")]
    #[multi_account(linked_account = crate::linked_account::Entity)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
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

fn main() {
    use multi_account::MultiAccountUser;
    assert_eq!(user::Model::MAX_LINKED_ACCOUNTS, 5);
    assert_eq!(user::Model::SHORT_NAME, "user");
    let _: Option<linked_account::Model> = None;
    // Without `remember_hint` and `remember_fields` a browser remembers only the id.
    let user = user::Model { id: 1 };
    assert_eq!(user.remember_hint(), None);
    assert!(user.remember_fields().is_empty());
}
