//! Every option (and the values `remember_hint` and `remember_fields` give), a
//! `Uuid` key, a raw-identifier field, and a linked-account module that imports
//! nothing (and shadows names the generated code must not rely on).

mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum UserStatus {
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "banned")]
        Banned,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    #[sea_orm(table_name = "people")]
    #[multi_account(
        linked_account = super::links::Entity,
        active_check(field = status, value = UserStatus::Active),
        display_fields(name, email, r#type, avatar_url),
        max_linked_accounts = 11,
        short_name = "person",
        auth_hash = password_hash,
        link_ttl = 2592000,
        remember_hint = email,
        remember_fields(name, r#type, avatar_url),
    )]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub email: String,
        pub r#type: String,
        pub avatar_url: Option<String>,
        pub status: UserStatus,
        pub password_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod links {
    // Names that would break generated code relying on the caller's scope.
    #[allow(dead_code)]
    struct DeriveEntityModel;
    #[allow(dead_code)]
    type Result = ();

    #[derive(multi_account::LinkedAccount)]
    #[linked_account(user = super::user::Entity, table_name = "person_links")]
    pub struct LinkedAccount;
}

fn main() {
    use multi_account::MultiAccountUser;
    use sea_orm::EntityName;
    assert_eq!(user::Model::MAX_LINKED_ACCOUNTS, 11);
    assert_eq!(user::Model::SHORT_NAME, "person");
    assert_eq!(user::Model::LINK_TTL, Some(std::time::Duration::from_secs(2_592_000)));
    assert_eq!(links::Entity.table_name(), "person_links");
    let display = user::AccountDisplay {
        name: "Alice".into(),
        email: "alice@example.com".into(),
        r#type: "staff".into(),
        avatar_url: None,
    };
    let _: &dyn Fn() -> _ = &|| display.clone();
    let _id: links::UserId = uuid::Uuid::nil();

    let alice = user::Model {
        id: uuid::Uuid::nil(),
        name: "Alice".into(),
        email: "alice@example.com".into(),
        r#type: "staff".into(),
        avatar_url: None,
        status: user::UserStatus::Active,
        password_hash: "hash".into(),
    };
    assert_eq!(alice.remember_hint().as_deref(), Some("alice@example.com"));
    assert_eq!(
        alice.remember_fields(),
        vec![
            ("name", serde_json::json!("Alice")),
            ("type", serde_json::json!("staff")),
            ("avatar_url", serde_json::Value::Null),
        ],
    );
}
