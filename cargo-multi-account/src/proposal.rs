//! The `#[multi_account(..)]` attribute for the user entity: from the flags,
//! or proposed from the fields the entity has.

use crate::options::Options;
use crate::user_entity::UserEntity;

/// Fields an account switcher shows, in this order, when the entity has them.
const DISPLAY_FIELDS: [&str; 5] = ["name", "display_name", "username", "email", "avatar_url"];
/// Fields that hold a password hash (a change signs the account out everywhere).
const AUTH_HASH_FIELDS: [&str; 4] = ["password_hash", "hashed_password", "password_digest", "encrypted_password"];

/// Where a setting came from, for the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Flag,
    Proposed,
}

/// The attribute's settings.
pub(crate) struct Proposal {
    pub(crate) display_fields: Option<(Vec<String>, Source)>,
    pub(crate) active_check: Option<((String, String), Source)>,
    pub(crate) auth_hash: Option<(String, Source)>,
}

impl Proposal {
    /// The flags win; otherwise proposals from the fields. `enum_variants`
    /// answers the variants of an enum type by name, wherever the app defines it.
    pub(crate) fn new(user: &UserEntity, options: &Options, enum_variants: impl Fn(&str) -> Vec<String>) -> Self {
        let display_fields = match &options.display_fields {
            Some(fields) => Some((fields.clone(), Source::Flag)),
            None => {
                let fields: Vec<String> = DISPLAY_FIELDS
                    .iter()
                    .filter(|name| user.field(name).is_some())
                    .map(|name| (*name).to_owned())
                    .collect();
                (!fields.is_empty()).then_some((fields, Source::Proposed))
            }
        };
        let auth_hash = match &options.auth_hash {
            Some(field) => field.clone().map(|field| (field, Source::Flag)),
            None => AUTH_HASH_FIELDS
                .iter()
                .find(|name| user.field(name).is_some_and(|field| field.ty == "String"))
                .map(|name| ((*name).to_owned(), Source::Proposed)),
        };
        let active_check = match &options.active_check {
            Some(check) => Some((check.clone(), Source::Flag)),
            None => proposed_active_check(user, enum_variants).map(|check| (check, Source::Proposed)),
        };
        Self { display_fields, active_check, auth_hash }
    }

    /// The attribute, laid out one setting per line at `indent`.
    pub(crate) fn attribute(&self, linked_account: &str, indent: &str) -> String {
        let mut settings = vec![format!("linked_account = {linked_account}")];
        if let Some((fields, _)) = &self.display_fields {
            settings.push(format!("display_fields({})", fields.join(", ")));
        }
        if let Some(((field, value), _)) = &self.active_check {
            settings.push(format!("active_check(field = {field}, value = {value})"));
        }
        if let Some((field, _)) = &self.auth_hash {
            settings.push(format!("auth_hash = {field}"));
        }
        let body: String = settings.iter().map(|setting| format!("{indent}    {setting},\n")).collect();
        format!("{indent}#[multi_account(\n{body}{indent})]")
    }
}

/// A `status` (or `state`) field of an enum type with an `Active` variant, or
/// a `bool` `is_active` / `active` field.
fn proposed_active_check(user: &UserEntity, enum_variants: impl Fn(&str) -> Vec<String>) -> Option<(String, String)> {
    for name in ["status", "state"] {
        if let Some(field) = user.field(name)
            && enum_variants(&field.ty).iter().any(|variant| variant == "Active")
        {
            return Some((name.to_owned(), format!("{}::Active", field.ty)));
        }
    }
    ["is_active", "active"]
        .iter()
        .find(|name| user.field(name).is_some_and(|field| field.ty == "bool"))
        .map(|name| ((*name).to_owned(), "true".to_owned()))
}
