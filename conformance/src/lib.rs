//! The conformance suite: every flow and security case written once, run by
//! each adapter through a small [`Harness`] (an app over the test database, and
//! a cookie-keeping [`Client`] for it). An adapter runs the whole suite with one
//! line, [`conformance_tests!`]; the list of cases lives here only, so no
//! adapter can skip one.

#![allow(missing_docs)] // a test crate: the cases say what they check
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod cases;
mod client;
pub mod replay;

pub use app::{User, database};
pub use client::{Client, Harness, Options, Reply, redis_configured};
pub use multi_account::test_database::TestBackend;

/// Every case of the suite, as `#[tokio::test]`s in a module `$module`, run
/// with `$harness` (an expression of a type implementing [`Harness`]). Invoke
/// it once per session store the adapter supports.
#[macro_export]
macro_rules! conformance_tests {
    ($module:ident, $harness:expr) => {
        $crate::each_case!($crate::__conformance_module, $module, $harness);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_module {
    ($module:ident, $harness:expr; $($case:ident)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::__conformance_backend!(sqlite, Sqlite, $harness; $($case)*);
            $crate::__conformance_backend!(postgres, Postgres, $harness; $($case)*);
            $crate::__conformance_backend!(mysql, MySql, $harness; $($case)*);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_backend {
    ($module:ident, $backend:ident, $harness:expr; $($case:ident)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let backend = $crate::TestBackend::$backend;
                    if !$crate::app::use_backend(backend) || !$crate::Harness::available(&$harness) {
                        eprintln!("conformance {}: skipped on {backend}", stringify!($case));
                        return;
                    }
                    $crate::cases::$case(&$harness).await;
                    eprintln!("conformance {}: ran on {backend}", stringify!($case));
                }
            )*
        }
    };
}

/// The list of cases.
#[doc(hidden)]
#[macro_export]
macro_rules! each_case {
    ($then:path, $module:ident, $harness:expr) => {
        $then! { $module, $harness;
            a_full_round_of_every_flow
            the_gate_off_answers_404_and_puts_the_session_back_on_its_primary
            bad_input_is_a_4xx_never_a_500
            every_state_change_needs_the_token_and_a_same_origin_request
            anonymous_requests_write_no_session
            a_copy_of_the_cookie_regains_nothing_after_sign_out_all
            the_session_changes_on_every_privilege_change
            a_new_password_signs_the_account_out
            a_subject_without_a_sign_in_is_nobody
            get_link_auto_submits_only_for_the_account_that_just_signed_in
            replay_through_sign_out_all
            replay_through_sign_out
            one_query_per_request_at_any_group_size
            removing_the_primary_is_refused_with_a_message
        }
    };
}
