//! Audit events: one `tracing` event per state change and per refusal, under the
//! target `multi_account::audit`, so apps can route them to their audit log:
//!
//! | event | level | fields |
//! |---|---|---|
//! | `link_started` | info | `primary`, `user` |
//! | `link` | info | `primary`, `user`, `outcome` |
//! | `switch` | info | `primary`, `user` |
//! | `remove` | info | `primary`, `user` |
//! | `sign_out_all` | info | `primary`, `links_removed` |
//! | `refused` | warn | `action`, `reason`, `primary`, `user` |
//!
//! `primary` and `user` are account ids (empty when unknown).

/// The `tracing` target of every audit event.
pub const AUDIT_TARGET: &str = "multi_account::audit";

/// Logs a completed state change.
pub(crate) fn event(event: &'static str, primary: &dyn std::fmt::Display, user: &dyn std::fmt::Display) {
    tracing::info!(target: AUDIT_TARGET, event, primary = %primary, user = %user);
}

/// Logs a refusal with its reason.
pub(crate) fn refused(
    action: &'static str,
    reason: &'static str,
    primary: &dyn std::fmt::Display,
    user: &dyn std::fmt::Display,
) {
    tracing::warn!(target: AUDIT_TARGET, event = "refused", action, reason, primary = %primary, user = %user);
}

/// Displays an optional id as itself or as nothing.
pub(crate) struct OptionalId<'a, T>(pub(crate) Option<&'a T>);

impl<T: std::fmt::Display> std::fmt::Display for OptionalId<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(id) => id.fmt(f),
            None => Ok(()),
        }
    }
}
