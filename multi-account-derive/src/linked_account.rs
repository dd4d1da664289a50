//! `#[derive(LinkedAccount)]`: generates the linked-accounts SeaORM entity.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Path};

use crate::attr::{LinkedAccountOptions, parse_options};

/// The default table name.
const DEFAULT_TABLE: &str = "linked_accounts";

/// Expands the derive. With an error, it still emits the entity (with `i64` user
/// ids and no relations) so code that names it compiles and the user sees only
/// the one error.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    match &input.data {
        Data::Struct(data) if matches!(data.fields, Fields::Unit) => {}
        _ => errors.push(
            syn::Error::new(
                input.ident.span(),
                "`LinkedAccount` is derived on a unit marker struct, e.g. `pub struct LinkedAccount;`; the entity is generated next to it",
            )
            .into(),
        ),
    }
    let parsed = errors.handle(parse_options::<LinkedAccountOptions>(&input.attrs, "linked_account"));
    let parse_failed = parsed.is_none();
    let (options, attr) = parsed.unwrap_or_default();
    // After a parse error (already reported) a missing `user` is not news.
    if options.user.is_none() && !parse_failed {
        let span = attr.map_or_else(|| input.ident.span(), |attr| attr.span());
        errors.push(
            syn::Error::new(
                span,
                "missing `user`: name the user entity whose `Model` derives `MultiAccountUser`, e.g. `#[linked_account(user = crate::user::Entity)]`",
            )
            .into(),
        );
    }
    let table_name = options.table_name.as_ref().map_or_else(|| DEFAULT_TABLE.to_owned(), |name| name.value());
    let entity = expand(options.user.as_ref(), &table_name);
    let errors = errors.finish().err().map(darling::Error::write_errors);
    // The marker is named by nothing but this derive: constructed here, it
    // raises no "never constructed" warning in a binary crate.
    let marker = input.ident.clone();
    let is_unit = matches!(&input.data, Data::Struct(data) if matches!(data.fields, Fields::Unit));
    let constructed = (is_unit && input.generics.params.is_empty()).then(|| {
        quote! {
            const _: () = {
                let _ = #marker;
            };
        }
    });
    quote! {
        #constructed
        #entity
        #errors
    }
}

fn expand(user: Option<&Path>, table_name: &str) -> TokenStream {
    let private = quote!(::multi_account::__private);
    // The user path is resolved where the user wrote it (this module), then used
    // from the inner module through `super::`.
    let (user_alias, relation_def, linked_account_impl) = match user {
        Some(user) => {
            // `user = ..` must derive `MultiAccountUser`. Naming a trait item
            // through the user's path states that once, on that path, with the
            // trait's own message (a helper function's bound would add a note
            // pointing into the library).
            let user_alias = quote_spanned! {user.span()=>
                #[doc(hidden)]
                type __MultiAccountUserEntity = #user;
                const _: () = {
                    let _ = <#user as #private::MultiAccountEntity>::id_column;
                };
            };
            let relation_def = quote! {
                match self {
                    Self::PrimaryUser => #private::belongs_to_user::<Entity, UserEntity>(Column::PrimaryUserId),
                    Self::LinkedUser => #private::belongs_to_user::<Entity, UserEntity>(Column::LinkedUserId),
                }
            };
            let linked_account_impl = quote! {
                #[automatically_derived]
                impl #private::LinkedAccountOf<UserEntity> for Entity {
                    fn column(column: #private::LinkedAccountColumn) -> Column {
                        column_of(column)
                    }
                    fn link_id(model: &Model) -> i64 {
                        model.id
                    }
                    fn link_status(model: &Model) -> #private::LinkStatus {
                        model.status
                    }
                    fn group_id(model: &Model) -> &str {
                        &model.group_id
                    }
                    fn linked_user_id(model: &Model) -> &UserId {
                        &model.linked_user_id
                    }
                }
            };
            (user_alias, relation_def, linked_account_impl)
        }
        None => {
            // Fallback after an error: a complete entity keyed by `i64` that names
            // no user, so code using it still compiles.
            let user_alias = quote! {
                #[doc(hidden)]
                type __MultiAccountUserEntity = #private::FallbackUserEntity;
            };
            let relation_def = quote!(::core::unreachable!("`#[derive(LinkedAccount)]` failed to expand"));
            let linked_account_impl = quote! {
                impl<U> #private::LinkedAccountOf<U> for Entity
                where
                    U: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType: #private::UserKey>>,
                {
                    fn column(column: #private::LinkedAccountColumn) -> Column {
                        column_of(column)
                    }
                    fn link_id(model: &Model) -> i64 {
                        model.id
                    }
                    fn link_status(model: &Model) -> #private::LinkStatus {
                        model.status
                    }
                    fn group_id(model: &Model) -> &str {
                        &model.group_id
                    }
                    fn linked_user_id(_: &Model) -> &#private::UserIdOf<U> {
                        ::core::unreachable!("`#[derive(LinkedAccount)]` failed to expand")
                    }
                }
            };
            (user_alias, relation_def, linked_account_impl)
        }
    };

    quote! {
        #user_alias

        #[doc(hidden)]
        mod __multi_account_linked_account {
            // The std prelude, imported explicitly: names in a derive's nested module
            // would otherwise fall back to the user's module (where `Result` may be
            // an alias) before reaching the prelude.
            #[allow(unused_imports)]
            use ::std::prelude::rust_2021::*;
            use ::multi_account::__private::sea_orm;
            use sea_orm::entity::prelude::*;

            #[allow(dead_code)]
            type UserEntity = super::__MultiAccountUserEntity;

            /// The user's primary-key type: the type of `primary_user_id` and
            /// `linked_user_id`.
            pub type UserId = #private::UserIdOf<UserEntity>;

            /// One account linked to a primary account in one browser session.
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = #table_name)]
            pub struct Model {
                /// Auto-increment id; its order is the link order.
                #[sea_orm(primary_key)]
                pub id: i64,
                /// The primary account (the one that signed in first).
                #[sea_orm(unique_key = "group")]
                pub primary_user_id: UserId,
                /// The browser session the link belongs to.
                #[sea_orm(unique_key = "group", column_type = "String(StringLen::N(64))")]
                pub session_token: String,
                /// The group's identity: set when the group opens, kept when its
                /// links move to a new session token, so signing out of all
                /// accounts reaches every row of the group.
                #[sea_orm(column_type = "String(StringLen::N(64))", indexed)]
                pub group_id: String,
                /// The linked account.
                #[sea_orm(unique_key = "group", indexed)]
                pub linked_user_id: UserId,
                /// Whether the link is in effect.
                pub status: #private::LinkStatus,
                /// When the link was created.
                pub inserted_at: ChronoDateTimeUtc,
                /// When the link last changed.
                pub updated_at: ChronoDateTimeUtc,
            }

            /// The two belongs-to relations to the user entity.
            #[derive(Copy, Clone, Debug, EnumIter)]
            pub enum Relation {
                /// `primary_user_id` → user.
                PrimaryUser,
                /// `linked_user_id` → user.
                LinkedUser,
            }

            impl RelationTrait for Relation {
                fn def(&self) -> RelationDef {
                    #relation_def
                }
            }

            #[sea_orm::prelude::async_trait::async_trait]
            impl ActiveModelBehavior for ActiveModel {
                async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
                where
                    C: ConnectionTrait,
                {
                    let now = #private::chrono::Utc::now();
                    if insert {
                        if self.inserted_at.is_not_set() {
                            self.inserted_at = sea_orm::ActiveValue::Set(now);
                        }
                        if self.status.is_not_set() {
                            self.status = sea_orm::ActiveValue::Set(#private::LinkStatus::Active);
                        }
                        // A row written by hand joins the group of its token,
                        // as it would have before groups had an identity.
                        if self.group_id.is_not_set() {
                            if let Some(token) = self.session_token.try_as_ref() {
                                self.group_id = sea_orm::ActiveValue::Set(token.clone());
                            }
                        }
                    }
                    self.updated_at = sea_orm::ActiveValue::Set(now);
                    Ok(self)
                }
            }

            impl Model {
                /// Whether the link is in effect.
                pub fn is_active(&self) -> bool {
                    self.status == #private::LinkStatus::Active
                }
            }

            fn column_of(column: #private::LinkedAccountColumn) -> Column {
                match column {
                    #private::LinkedAccountColumn::Id => Column::Id,
                    #private::LinkedAccountColumn::PrimaryUserId => Column::PrimaryUserId,
                    #private::LinkedAccountColumn::SessionToken => Column::SessionToken,
                    #private::LinkedAccountColumn::GroupId => Column::GroupId,
                    #private::LinkedAccountColumn::LinkedUserId => Column::LinkedUserId,
                    #private::LinkedAccountColumn::Status => Column::Status,
                    #private::LinkedAccountColumn::InsertedAt => Column::InsertedAt,
                    #private::LinkedAccountColumn::UpdatedAt => Column::UpdatedAt,
                }
            }

            #linked_account_impl

            // Lets `#[derive(MultiAccountUser)]` check that `user = ..` names it.
            // Never offered as a suggestion: its path is this hidden module.
            #[automatically_derived]
            #[diagnostic::do_not_recommend]
            impl #private::LinkedAccountEntity for Entity {
                type User = UserEntity;
            }
        }

        pub use __multi_account_linked_account::{
            ActiveModel, Column, Entity, Model, PrimaryKey, Relation, UserId,
        };
    }
}
