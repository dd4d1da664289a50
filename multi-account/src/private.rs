//! Re-exports and compile-time checks used by the derive macros' generated code.
//! Not public API: paths here may change in any release.

pub use chrono;
pub use sea_orm;
pub use serde;

pub use crate::account_id::AccountId;
pub use crate::linked_account::{LinkStatus, LinkedAccountColumn, LinkedAccountOf};
pub use crate::user::{MultiAccountEntity, MultiAccountUser};

/// A value usable as `active_check(value = ..)` for a field of type `F`.
#[diagnostic::on_unimplemented(
    message = "`active_check` value of type `{Self}` cannot be compared with the field's type `{F}`",
    label = "expected a value of type `{F}`",
    note = "`value` must be an expression of the field's type, e.g. an enum variant like `UserStatus::Active`, or a string for a `String` field"
)]
pub trait ActiveCheckValue<F> {
    /// Whether `field` holds this value.
    fn matches(&self, field: &F) -> bool;
    /// This value as a SeaORM value, for the active filter.
    fn into_value(self) -> sea_orm::Value;
}

impl<F: PartialEq<V>, V: Into<sea_orm::Value>> ActiveCheckValue<F> for V {
    fn matches(&self, field: &F) -> bool {
        field == self
    }
    fn into_value(self) -> sea_orm::Value {
        self.into()
    }
}

/// Type-checks the `linked_account = ..` option of `#[derive(MultiAccountUser)]`.
pub const fn assert_linked_account<U: MultiAccountEntity, L: LinkedAccountOf<U>>() {}
