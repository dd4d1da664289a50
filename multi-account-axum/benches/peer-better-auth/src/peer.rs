//! The peer app: better-auth with email-and-password sign-in and its
//! multi-session plugin, its tables as SeaORM entities, mounted at `/auth`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use better_auth::integrations::axum::AxumIntegration;
use better_auth::plugins::{EmailPasswordPlugin, MultiSessionPlugin, SessionManagementPlugin};
use better_auth::seaorm::SeaOrmStore;
use better_auth::seaorm::sea_orm::{ConnectionTrait, DatabaseConnection, Schema};
use better_auth::{AuthConfig, AuthSchema, BetterAuth};
use serde_json::json;

use crate::{ACCOUNTS, Browser};

/// The app's own origin (better-auth checks it on every POST).
pub const ORIGIN: &str = "http://localhost:3000";
const PASSWORD: &str = "correct horse battery staple";

/// The tables better-auth needs, with the columns its schema check asks for.
mod entities {
    pub mod user {
        use better_auth::seaorm::AuthEntity;
        use better_auth::seaorm::sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, serde::Serialize, DeriveEntityModel, AuthEntity)]
        #[auth(role = "user")]
        #[sea_orm(table_name = "users")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub name: Option<String>,
            pub email: Option<String>,
            pub email_verified: bool,
            pub image: Option<String>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod session {
        use better_auth::seaorm::AuthEntity;
        use better_auth::seaorm::sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, serde::Serialize, DeriveEntityModel, AuthEntity)]
        #[auth(role = "session")]
        #[sea_orm(table_name = "sessions")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub expires_at: DateTimeUtc,
            #[sea_orm(unique)]
            pub token: String,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub ip_address: Option<String>,
            pub user_agent: Option<String>,
            pub user_id: String,
            pub active: bool,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod account {
        use better_auth::seaorm::AuthEntity;
        use better_auth::seaorm::sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, serde::Serialize, DeriveEntityModel, AuthEntity)]
        #[auth(role = "account")]
        #[sea_orm(table_name = "accounts")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub account_id: String,
            pub provider_id: String,
            pub user_id: String,
            pub access_token: Option<String>,
            pub refresh_token: Option<String>,
            pub id_token: Option<String>,
            pub access_token_expires_at: Option<DateTimeUtc>,
            pub refresh_token_expires_at: Option<DateTimeUtc>,
            pub scope: Option<String>,
            pub password: Option<String>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod verification {
        use better_auth::seaorm::AuthEntity;
        use better_auth::seaorm::sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, serde::Serialize, DeriveEntityModel, AuthEntity)]
        #[auth(role = "verification")]
        #[sea_orm(table_name = "verifications")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub identifier: String,
            pub value: String,
            pub expires_at: DateTimeUtc,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// better-auth's four models.
pub struct PeerSchema;

impl AuthSchema for PeerSchema {
    type User = entities::user::Model;
    type Session = entities::session::Model;
    type Account = entities::account::Model;
    type Verification = entities::verification::Model;
}

/// The peer app on `db`, with users `peer1@example.com` .. `peer6@…` signed up
/// through its own `/sign-up/email`.
pub async fn app(db: DatabaseConnection) -> Router {
    let schema = Schema::new(db.get_database_backend());
    for statement in [
        schema.create_table_from_entity(entities::user::Entity),
        schema.create_table_from_entity(entities::session::Entity),
        schema.create_table_from_entity(entities::account::Entity),
        schema.create_table_from_entity(entities::verification::Entity),
    ] {
        db.execute(&statement).await.expect("a better-auth table");
    }
    let config = AuthConfig::new("peer-bench-secret-peer-bench-secret-0123456789").base_url(ORIGIN);
    let store = SeaOrmStore::<PeerSchema>::new(config.clone(), db);
    let auth = Arc::new(
        BetterAuth::<PeerSchema>::new(config)
            .store(store)
            .plugin(EmailPasswordPlugin::new().enable_signup(true))
            .plugin(SessionManagementPlugin::new())
            // Its default is 5 accounts per browser.
            .plugin(MultiSessionPlugin::new().maximum_sessions(ACCOUNTS + 1))
            .build()
            .await
            .expect("better-auth"),
    );
    let router = Router::new().nest("/auth", auth.clone().axum_router()).with_state(auth);
    let mut setup = Browser::new(router.clone());
    for n in 1..=ACCOUNTS {
        let body = json!({ "name": format!("Peer {n}"), "email": email(n), "password": PASSWORD });
        let reply = setup.send("POST", "/auth/sign-up/email", Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "sign-up {n}: {}", reply.body);
    }
    router
}

fn email(n: usize) -> String {
    format!("peer{n}@example.com")
}

/// A browser signed in to accounts 1..=`accounts` through `/sign-in/email`,
/// the last one active.
pub async fn signed_in(router: Router, accounts: usize) -> Browser {
    let mut browser = Browser::new(router);
    for n in 1..=accounts {
        let reply =
            browser.send("POST", "/auth/sign-in/email", Some(json!({ "email": email(n), "password": PASSWORD }))).await;
        assert_eq!(reply.status, StatusCode::OK, "sign-in {n}: {}", reply.body);
    }
    let devices = browser.cookie_names().iter().filter(|name| name.contains("_multi-")).count();
    assert_eq!(devices, accounts, "one device cookie per account: {:?}", browser.cookie_names());
    browser
}
