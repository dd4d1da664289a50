//! Finding the user entity among the app's SeaORM entities, and what it has:
//! its fields, its key, whether multi-account is on it already.

use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::ext::IdentExt;

use crate::error::InstallError;
use crate::project::Project;
use crate::source::SourceFile;

/// Tables that hold the users.
const USER_TABLES: [&str; 4] = ["users", "user", "accounts", "account"];

/// A SeaORM entity file: `#[derive(DeriveEntityModel)] pub struct Model` at
/// its top level.
pub(crate) struct EntityFile {
    pub(crate) source: SourceFile,
    pub(crate) table: Option<String>,
}

impl EntityFile {
    fn model(&self) -> Option<&syn::ItemStruct> {
        self.source.syntax.items.iter().find_map(|item| match item {
            syn::Item::Struct(item) if item.ident == "Model" && derives(&item.attrs, "DeriveEntityModel") => Some(item),
            _ => None,
        })
    }

    fn stem(&self) -> &str {
        self.source.path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default()
    }
}

/// Whether `attrs` hold a `#[derive(..)]` naming `name` (by its last segment).
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    derive_list(attrs, name).is_some()
}

/// The `#[derive(..)]` list that names `name`.
fn derive_list<'a>(attrs: &'a [syn::Attribute], name: &str) -> Option<&'a syn::MetaList> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::List(list) if list.path.is_ident("derive") && names(&list.tokens, name) => Some(list),
        _ => None,
    })
}

/// Whether a token list names `name` as a path's last segment.
fn names(tokens: &proc_macro2::TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|token| matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == name))
}

/// The `table_name` of `#[sea_orm(table_name = "..")]`.
fn table_name(attrs: &[syn::Attribute]) -> Option<String> {
    sea_orm_table_attr(attrs).and_then(|list| string_option(list, "table_name"))
}

/// The `column_name` of a field's `#[sea_orm(column_name = "..")]`.
fn column_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::List(list) if list.path.is_ident("sea_orm") => string_option(list, "column_name"),
        _ => None,
    })
}

/// The `table_name` of an existing linked-accounts entity file's
/// `#[linked_account(..)]`.
pub(crate) fn linked_account_table(text: &str) -> Option<String> {
    let file = syn::parse_file(text).ok()?;
    file.items.iter().find_map(|item| match item {
        syn::Item::Struct(item) => item.attrs.iter().find_map(|attr| match &attr.meta {
            syn::Meta::List(list) if list.path.is_ident("linked_account") => string_option(list, "table_name"),
            _ => None,
        }),
        _ => None,
    })
}

/// The string literal of `name = ".."` in an attribute's list.
fn string_option(list: &syn::MetaList, name: &str) -> Option<String> {
    let mut tokens = list.tokens.clone().into_iter();
    while let Some(token) = tokens.next() {
        if matches!(&token, proc_macro2::TokenTree::Ident(ident) if ident == name) {
            tokens.next(); // `=`
            if let Some(proc_macro2::TokenTree::Literal(literal)) = tokens.next() {
                let literal = proc_macro2::TokenStream::from(proc_macro2::TokenTree::Literal(literal));
                return syn::parse2::<syn::LitStr>(literal).ok().map(|literal| literal.value());
            }
        }
    }
    None
}

fn sea_orm_table_attr(attrs: &[syn::Attribute]) -> Option<&syn::MetaList> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::List(list) if list.path.is_ident("sea_orm") && names(&list.tokens, "table_name") => Some(list),
        _ => None,
    })
}

/// Every entity file of the app. A file that mentions `DeriveEntityModel` and
/// does not parse is an error (it may be the one to edit); others are skipped.
pub(crate) fn entity_files(project: &Project) -> Result<Vec<EntityFile>, InstallError> {
    let mut entities = Vec::new();
    for package in &project.packages {
        for path in package.rust_files() {
            let text = std::fs::read_to_string(&path).map_err(InstallError::io(&path))?;
            if !text.contains("DeriveEntityModel") {
                continue;
            }
            let source = SourceFile::parse(&path, text)?;
            let file = EntityFile { table: None, source };
            let Some(model) = file.model() else { continue };
            let table = table_name(&model.attrs);
            entities.push(EntityFile { table, ..file });
        }
    }
    Ok(entities)
}

/// The user entity: the one `--user` names, or the one entity whose table or
/// file is named like users.
pub(crate) fn choose(
    project: &Project,
    mut entities: Vec<EntityFile>,
    user: Option<&Path>,
) -> Result<UserEntity, InstallError> {
    let describe = |entity: &EntityFile| {
        format!("{} (table {})", project.display(&entity.source.path), entity.table.as_deref().unwrap_or("?"))
    };
    if let Some(user) = user {
        let wanted = std::fs::canonicalize(user).map_err(InstallError::io(user))?;
        let index = entities
            .iter()
            .position(|entity| std::fs::canonicalize(&entity.source.path).is_ok_and(|path| path == wanted))
            .ok_or_else(|| InstallError::NotAnEntity(user.to_owned()))?;
        return UserEntity::of(entities.swap_remove(index));
    }
    let is_user = |entity: &EntityFile| {
        entity.table.as_deref().is_some_and(|table| USER_TABLES.contains(&table))
            || USER_TABLES.contains(&entity.stem())
    };
    let candidates: Vec<usize> = (0..entities.len()).filter(|&index| is_user(&entities[index])).collect();
    match candidates.as_slice() {
        [index] => UserEntity::of(entities.swap_remove(*index)),
        [] => {
            let seen = entities.iter().map(describe).collect::<Vec<_>>();
            let seen = if seen.is_empty() { String::new() } else { format!(", saw: {}", seen.join(", ")) };
            Err(InstallError::NoUserEntity { seen })
        }
        several => Err(InstallError::SeveralUserEntities {
            candidates: several.iter().map(|&index| describe(&entities[index])).collect(),
        }),
    }
}

/// A field of the user's `Model`.
pub(crate) struct ModelField {
    pub(crate) name: String,
    /// The type as written, without spaces (`String`, `Option<String>`, `UserStatus`).
    pub(crate) ty: String,
}

/// The user entity, read.
pub(crate) struct UserEntity {
    pub(crate) source: SourceFile,
    pub(crate) table: Option<String>,
    pub(crate) fields: Vec<ModelField>,
    /// The primary key's type.
    pub(crate) key_type: Option<String>,
    /// The primary key's column (its `column_name`, or the field's name);
    /// `None` where SeaORM would name it otherwise (`rename_all`, a field
    /// name not in snake case) or the table is in a `schema_name`: what the
    /// installer cannot describe without the entity.
    pub(crate) key_column: Option<String>,
    /// `MultiAccountUser` is derived already (a second install).
    pub(crate) installed: bool,
    /// Where `, multi_account::MultiAccountUser` goes: before the derive
    /// list's `)`; and whether the list ends with a comma already.
    pub(crate) derive_close: usize,
    pub(crate) derive_trailing_comma: bool,
    /// Where the `#[multi_account(..)]` attribute goes: after the
    /// `#[sea_orm(table_name = ..)]` attribute, on a line of its own.
    pub(crate) attribute_after: usize,
}

impl UserEntity {
    fn of(entity: EntityFile) -> Result<Self, InstallError> {
        let unexpected = |expected: &str| InstallError::Unexpected {
            path: entity.source.path.clone(),
            expected: expected.to_owned(),
        };
        let model = entity.model().ok_or_else(|| unexpected("expected `pub struct Model` with DeriveEntityModel"))?;
        let derive = derive_list(&model.attrs, "DeriveEntityModel")
            .ok_or_else(|| unexpected("expected `#[derive(.., DeriveEntityModel, ..)]` on Model"))?;
        let installed = names(&derive.tokens, "MultiAccountUser")
            || model.attrs.iter().any(|attr| attr.path().is_ident("multi_account"));
        let derive_close = match &derive.delimiter {
            syn::MacroDelimiter::Paren(paren) => entity.source.start_of(paren.span.close()),
            _ => return Err(unexpected("expected `#[derive(..)]` with parentheses")),
        };
        let derive_trailing_comma = derive.tokens.to_string().trim_end().ends_with(',');
        let table_attr = model
            .attrs
            .iter()
            .find(|attr| {
                attr.path().is_ident("sea_orm")
                    && matches!(&attr.meta, syn::Meta::List(list) if names(&list.tokens, "table_name"))
            })
            .ok_or_else(|| unexpected("expected `#[sea_orm(table_name = \"..\")]` on Model"))?;
        let attribute_after = entity.source.end_of(table_attr.bracket_token.span.close());
        let syn::Fields::Named(named) = &model.fields else {
            return Err(unexpected("expected Model to have named fields"));
        };
        let mut fields = Vec::new();
        let mut key_type = None;
        let mut key_column = None;
        let model_option = |name: &str| {
            model.attrs.iter().any(|attr| {
                matches!(&attr.meta, syn::Meta::List(list) if list.path.is_ident("sea_orm") && names(&list.tokens, name))
            })
        };
        let (rename_all, in_schema) = (model_option("rename_all"), model_option("schema_name"));
        for field in &named.named {
            let Some(ident) = &field.ident else { continue };
            let ty = field.ty.to_token_stream().to_string().replace(' ', "");
            let is_key = field
                .attrs
                .iter()
                .any(|attr| matches!(&attr.meta, syn::Meta::List(list) if list.path.is_ident("sea_orm") && names(&list.tokens, "primary_key")));
            if is_key {
                key_type = Some(ty.clone());
                let field_name = ident.unraw().to_string();
                let snake_case =
                    field_name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
                key_column = match column_name(&field.attrs) {
                    Some(column) => Some(column),
                    None if snake_case && !rename_all => Some(field_name),
                    None => None,
                }
                .filter(|_| !in_schema);
            }
            fields.push(ModelField { name: ident.to_string(), ty });
        }
        Ok(Self {
            table: entity.table,
            source: entity.source,
            fields,
            key_type,
            key_column,
            installed,
            derive_close,
            derive_trailing_comma,
            attribute_after,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.source.path
    }

    /// The module's name (the file's stem).
    pub(crate) fn module(&self) -> String {
        self.source.path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default().to_owned()
    }

    pub(crate) fn field(&self, name: &str) -> Option<&ModelField> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The file that declares this module (`mod user;`): `dir/mod.rs`,
    /// `dir.rs`, or the crate root for a file directly in `src/`.
    pub(crate) fn parent_candidates(&self, src: &Path) -> Vec<PathBuf> {
        let Some(dir) = self.source.path.parent() else { return Vec::new() };
        let mut candidates = vec![dir.join("mod.rs")];
        if let (Some(up), Some(name)) = (dir.parent(), dir.file_name()) {
            candidates.push(up.join(format!("{}.rs", name.to_string_lossy())));
        }
        if dir == src {
            candidates.push(src.join("lib.rs"));
            candidates.push(src.join("main.rs"));
        }
        candidates
    }
}
