//! The user `Model` as the derive sees it: its named fields, which one is the
//! primary key, and the name SeaORM gives each field's `Column` variant.

use heck::ToUpperCamelCase;
use proc_macro2::{Span, TokenTree};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Type};

/// One field of the model.
pub(crate) struct ModelField<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The `Column` enum variant `DeriveEntityModel` generates for this field.
    pub(crate) column: Ident,
    pub(crate) primary_key: bool,
}

/// A struct named `Model` with named fields.
pub(crate) struct Model<'a> {
    pub(crate) fields: Vec<ModelField<'a>>,
}

impl<'a> Model<'a> {
    /// Checks the shape: a struct named `Model` with named fields. SeaORM's
    /// `DeriveEntityModel` generates `Entity` and `Column` only for such a struct.
    pub(crate) fn from_input(input: &'a DeriveInput) -> syn::Result<Self> {
        const HINT: &str = "derive `MultiAccountUser` on the SeaORM entity struct `pub struct Model { .. }` that also derives `DeriveEntityModel`";
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                Fields::Unnamed(fields) => {
                    return Err(syn::Error::new(
                        fields.span(),
                        format!("`MultiAccountUser` cannot be derived on a tuple struct; {HINT}"),
                    ));
                }
                Fields::Unit => {
                    return Err(syn::Error::new(
                        input.ident.span(),
                        format!("`MultiAccountUser` cannot be derived on a unit struct; {HINT}"),
                    ));
                }
            },
            Data::Enum(data) => {
                return Err(syn::Error::new(
                    data.enum_token.span,
                    format!("`MultiAccountUser` cannot be derived on an enum; {HINT}"),
                ));
            }
            Data::Union(data) => {
                return Err(syn::Error::new(
                    data.union_token.span,
                    format!("`MultiAccountUser` cannot be derived on a union; {HINT}"),
                ));
            }
        };
        if input.ident != "Model" {
            return Err(syn::Error::new(
                input.ident.span(),
                format!(
                    "`MultiAccountUser` must be derived on the struct named `Model`, not `{}`; rename it to `Model` (SeaORM's entity convention)",
                    input.ident
                ),
            ));
        }
        let fields = fields
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let attrs = SeaOrmAttrs::read(&field.attrs);
                Some(ModelField {
                    ident,
                    ty: &field.ty,
                    column: attrs.enum_name.unwrap_or_else(|| column_variant(ident)),
                    primary_key: attrs.primary_key,
                })
            })
            .collect();
        Ok(Self { fields })
    }

    /// The field with this name.
    pub(crate) fn field(&self, name: &Ident) -> Option<&ModelField<'a>> {
        self.fields.iter().find(|field| *field.ident == *name)
    }

    /// Field names, for "did you mean" suggestions.
    pub(crate) fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|field| unraw(field.ident)).collect()
    }
}

/// What the derive needs from a field's `#[sea_orm(..)]` attributes.
#[derive(Default)]
struct SeaOrmAttrs {
    primary_key: bool,
    enum_name: Option<Ident>,
}

impl SeaOrmAttrs {
    /// Scans the top level of `#[sea_orm(..)]` for `primary_key` and
    /// `enum_name = ".."`. Everything else belongs to SeaORM and is left to it.
    fn read(attrs: &[Attribute]) -> Self {
        let mut found = Self::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("sea_orm")) {
            let Ok(list) = attr.meta.require_list() else { continue };
            let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
            for (index, token) in tokens.iter().enumerate() {
                let TokenTree::Ident(ident) = token else { continue };
                let at_item_start =
                    index == 0 || matches!(&tokens[index - 1], TokenTree::Punct(p) if p.as_char() == ',');
                if !at_item_start {
                    continue;
                }
                if ident == "primary_key" {
                    found.primary_key = true;
                } else if ident == "enum_name"
                    && let Some(TokenTree::Literal(literal)) = tokens.get(index + 2)
                {
                    let text = literal.to_string();
                    let name = text.trim_matches('"');
                    if let Ok(ident) = syn::parse_str::<Ident>(name) {
                        found.enum_name = Some(Ident::new(&ident.to_string(), Span::call_site()));
                    }
                }
            }
        }
        found
    }
}

/// The field name without a raw-identifier prefix.
pub(crate) fn unraw(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

/// The `Column` variant SeaORM derives from a field name: UpperCamelCase (heck,
/// as SeaORM uses), with `Self` escaped to `Self_`.
pub(crate) fn column_variant(ident: &Ident) -> Ident {
    let mut name = unraw(ident).to_upper_camel_case();
    if name == "Self" {
        name.push('_');
    }
    Ident::new(&name, ident.span())
}
