//! Code generation for `#[derive(MultiAccountUser)]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, ExprLit, Lit, Path, Type};

use crate::ast::Model;
use crate::attr::{UserOptions, parse_options};
use crate::valid::{UserConfig, validate};

/// Expands the derive. Errors are reported all at once, next to whatever could
/// still be generated, so one mistake gives one error rather than a cascade.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    // SeaORM 2.0's `#[sea_orm::model]` copies `Model`'s derives onto the
    // `ModelEx` it generates: the derive on `Model` covers both.
    if input.ident == MODEL_EX {
        return TokenStream::new();
    }
    let model = match Model::from_input(input) {
        Ok(model) => model,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = darling::Error::accumulator();
    let parsed = errors.handle(parse_options::<UserOptions>(&input.attrs, "multi_account"));
    let options_parsed = parsed.is_some();
    let (options, attr) = parsed.unwrap_or_default();
    let config = validate(&model, &options, attr, &input.ident, options_parsed, &mut errors);
    let generated = config.as_ref().map(expand).unwrap_or_default();
    let errors = errors.finish().err().map(darling::Error::write_errors);
    quote! {
        #generated
        #errors
    }
}

/// The struct `#[sea_orm::model]` generates next to `Model`.
const MODEL_EX: &str = "ModelEx";

fn expand(config: &UserConfig<'_>) -> TokenStream {
    let private = quote!(::multi_account::__private);
    let id_ty = config.id.ty;
    let id_ident = config.id.ident;
    let id_column = &config.id.column;
    let max = config.max_linked_accounts;
    let short_name = &config.short_name;

    // The `active_check` value, once, as a function returning the field's type:
    // a value of another type is one `mismatched types` error on the value
    // ("expected `UserStatus`, found `&str`").
    let (active_value, is_active) = match config.active_check {
        Some((field, value)) => {
            let field_ident = field.ident;
            let field_ty = field.ty;
            let value = active_value(value, field_ty);
            (
                Some(quote_spanned! {value.span()=>
                    impl Model {
                        /// The `active_check` value, as the field's type.
                        #[doc(hidden)]
                        #[allow(dead_code)]
                        fn __multi_account_active_value() -> #field_ty {
                            #value
                        }
                    }
                }),
                quote!(self.#field_ident == Model::__multi_account_active_value()),
            )
        }
        None => (None, quote!(true)),
    };

    let display_idents: Vec<_> = config.display_fields.iter().map(|field| field.ident).collect();
    let display_types: Vec<_> = config.display_fields.iter().map(|field| field.ty).collect();
    let display_docs: Vec<_> =
        display_idents.iter().map(|ident| format!(" `Model::{}`.", crate::ast::unraw(ident))).collect();

    let auth_hash = config.auth_hash.map(|field| {
        let ident = field.ident;
        let ty = field.ty;
        quote_spanned! {ty.span()=>
            fn auth_hash(&self) -> ::core::option::Option<&[u8]> {
                ::core::option::Option::Some(<#ty as ::core::convert::AsRef<[u8]>>::as_ref(&self.#ident))
            }
        }
    });
    // Spanned on the option's token, so a field type without `Display` is one
    // error there (naming the type).
    let remember_hint = config.remember_hint.map(|(_, ident)| {
        quote_spanned! {ident.span()=>
            fn remember_hint(&self) -> ::core::option::Option<::std::string::String> {
                ::core::option::Option::Some(::std::string::ToString::to_string(&self.#ident))
            }
        }
    });
    let remember_fields = (!config.remember_fields.is_empty()).then(|| {
        let names = config.remember_fields.iter().map(|(field, _)| crate::ast::unraw(field.ident));
        let values = config.remember_fields.iter().map(|(_, ident)| {
            quote_spanned! {ident.span()=>
                ::core::result::Result::unwrap_or(
                    #private::serde_json::to_value(&self.#ident),
                    #private::serde_json::Value::Null,
                )
            }
        });
        quote! {
            fn remember_fields(
                &self,
            ) -> ::std::vec::Vec<(&'static str, #private::serde_json::Value)> {
                ::std::vec![ #( (#names, #values), )* ]
            }
        }
    });
    let link_ttl = config.link_ttl.map(|seconds| {
        quote! {
            const LINK_TTL: ::core::option::Option<::core::time::Duration> =
                ::core::option::Option::Some(::core::time::Duration::from_secs(#seconds));
        }
    });

    let linked_account = config.linked_account.filter(|_| !config.composite_key);
    let user_impl = linked_account.map(|linked_account| {
        // `linked_account`, once its `user = ..` is checked to name `Entity`:
        // a mismatch is one error on the path, naming the two user entities.
        // Both projections start on the path's first token and end on its last,
        // so an error underlines the whole path, and the same error from the
        // inner and the outer projection is reported once.
        let (first, last) = path_ends(linked_account);
        let open = quote_spanned!(first=> < <);
        let check = quote_spanned! {last=>
            as #private::LinkedAccountEntity>::User as #private::SameUser<Entity>>::Checked<#linked_account>
        };
        let linked_account = quote!(#open #linked_account #check);
        quote! {
            #[automatically_derived]
            impl #private::MultiAccountUser for Model {
                type UserEntity = Entity;
                type Id = #id_ty;
                type LinkedAccount = #linked_account;
                type Display = AccountDisplay;

                const SHORT_NAME: &'static str = #short_name;
                const MAX_LINKED_ACCOUNTS: usize = #max;
                #link_ttl

                fn id(&self) -> Self::Id {
                    ::core::clone::Clone::clone(&self.#id_ident)
                }
                fn is_active(&self) -> bool {
                    #is_active
                }
                #auth_hash
                #remember_hint
                #remember_fields

                fn display(&self) -> AccountDisplay {
                    AccountDisplay {
                        #( #display_idents: ::core::clone::Clone::clone(&self.#display_idents), )*
                    }
                }
            }

            #[automatically_derived]
            impl Model {
                /// Loads this session's account group (primary, then active linked
                /// accounts in link order) in one query. See
                /// [`LinkService::group`](::multi_account::LinkService::group).
                pub async fn load_account_group<C: #private::sea_orm::ConnectionTrait>(
                    db: &C,
                    primary_id: &#id_ty,
                    session_token: &str,
                ) -> ::core::result::Result<
                    ::core::option::Option<::multi_account::AccountGroup<Model>>,
                    ::multi_account::LinkError,
                > {
                    ::multi_account::LinkService::<Model>::group(db, primary_id, session_token).await
                }
            }
        }
    });

    quote! {
        /// The fields of [`Model`] shown in the account switcher (its
        /// `display_fields`), generated by `#[derive(MultiAccountUser)]`.
        #[derive(Clone, Debug, #private::serde::Serialize)]
        #[serde(crate = "::multi_account::__private::serde")]
        pub struct AccountDisplay {
            #( #[doc = #display_docs] pub #display_idents: #display_types, )*
        }

        #[automatically_derived]
        impl #private::MultiAccountEntity for Entity {
            type Id = #id_ty;
            fn id_column() -> Column {
                Column::#id_column
            }
        }

        #active_value

        #user_impl
    }
}

/// The spans of the first and last tokens of `path`.
fn path_ends(path: &Path) -> (Span, Span) {
    let mut tokens = path.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
}

/// The `active_check` value as written, except that a string literal for a
/// field declared `String` becomes a `String` (`value = "active"`). Anything
/// else must already be of the field's type.
fn active_value(value: &Expr, field_ty: &Type) -> TokenStream {
    let is_string = matches!(field_ty, Type::Path(path)
        if path.qself.is_none()
            && path.path.segments.last().is_some_and(|last| last.ident == "String" && last.arguments.is_none()));
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) if is_string => {
            quote_spanned!(lit.span()=> ::std::string::String::from(#lit))
        }
        _ => quote!(#value),
    }
}
