//! The replay matrix as cases (see [`crate::replay`]).

use crate::app::SuiteUser;
use crate::client::Harness;

/// Every copy of the cookie, through sign-in, two links, a switch, a removal,
/// a password change and sign-out-all, replayed after every later step.
pub async fn replay_through_sign_out_all<U: SuiteUser>(harness: &impl Harness) {
    crate::replay::replay_matrix::<U>(harness, crate::replay::THROUGH_SIGN_OUT_ALL, crate::replay::Via::Html).await;
}

/// The same through a sign-in, a link, a switch and the app's own sign-out.
pub async fn replay_through_sign_out<U: SuiteUser>(harness: &impl Harness) {
    crate::replay::replay_matrix::<U>(harness, crate::replay::THROUGH_SIGN_OUT, crate::replay::Via::Html).await;
}

/// The matrix through sign-out-all with every flow driven over the JSON API.
pub async fn replay_over_json_through_sign_out_all<U: SuiteUser>(harness: &impl Harness) {
    crate::replay::replay_matrix::<U>(harness, crate::replay::THROUGH_SIGN_OUT_ALL, crate::replay::Via::Json).await;
}
