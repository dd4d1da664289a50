//! The `#[multi_account(..)]` and `#[linked_account(..)]` options as written,
//! parsed with darling (which reports unknown and duplicate options with a
//! "did you mean" suggestion).

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::PathList;
use syn::{Attribute, Expr, Ident, LitStr, Path};

/// `#[multi_account(..)]` on a user `Model`.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct UserOptions {
    pub(crate) linked_account: Option<Path>,
    pub(crate) active_check: Option<ActiveCheck>,
    pub(crate) display_fields: Option<PathList>,
    pub(crate) max_linked_accounts: Option<VerbatimExpr>,
    pub(crate) short_name: Option<LitStr>,
    pub(crate) auth_hash: Option<Ident>,
    pub(crate) link_ttl: Option<VerbatimExpr>,
    pub(crate) remember_hint: Option<Ident>,
    pub(crate) remember_fields: Option<PathList>,
}

/// `active_check(field = status, value = UserStatus::Active)`.
#[derive(Debug, FromMeta)]
pub(crate) struct ActiveCheck {
    pub(crate) field: Ident,
    pub(crate) value: VerbatimExpr,
}

/// `#[linked_account(..)]` on the marker struct of a linked-accounts module.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct LinkedAccountOptions {
    pub(crate) user: Option<Path>,
    pub(crate) table_name: Option<LitStr>,
}

/// An expression kept exactly as written. darling's own `syn::Expr` parses the
/// contents of a string literal as an expression, which would turn
/// `value = "active"` into the path `active`.
#[derive(Debug, Clone)]
pub(crate) struct VerbatimExpr(pub(crate) Expr);

impl FromMeta for VerbatimExpr {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Group(group) => Self::from_expr(&group.expr),
            _ => Ok(Self(expr.clone())),
        }
    }
}

/// Parses every attribute named `name` into `T`, merging repeated attributes into
/// one option list. Returns the options and the first such attribute (for spans).
pub(crate) fn parse_options<'a, T: FromMeta + Default>(
    attrs: &'a [Attribute],
    name: &str,
) -> darling::Result<(T, Option<&'a Attribute>)> {
    let mut items = Vec::new();
    let mut first = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        first.get_or_insert(attr);
        let list = attr.meta.require_list().map_err(darling::Error::from)?;
        items.extend(NestedMeta::parse_meta_list(list.tokens.clone())?);
    }
    if first.is_none() {
        return Ok((T::default(), None));
    }
    Ok((T::from_list(&items)?, first))
}
