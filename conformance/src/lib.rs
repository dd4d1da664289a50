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
pub mod json;
pub mod replay;

pub use app::{PlainUser, SuiteUser, User, database};
pub use client::{Client, Harness, Options, Reply, redis_configured};
pub use multi_account::test_database::TestBackend;

/// Every case of the suite, as `#[tokio::test]`s in a module `$module`, run
/// with `$harness` (an expression of a type implementing [`Harness`]): once per
/// backend (`sqlite`, `postgres`, `mysql`) for [`User`] (module `auth_hash`),
/// and on `sqlite` for [`PlainUser`] (module `plain`, no `auth_hash`). Invoke it
/// once per session store the adapter supports.
#[macro_export]
macro_rules! conformance_tests {
    ($module:ident, $harness:expr) => {
        $crate::each_case!($crate::__conformance_module, $module, $harness);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_module {
    ($module:ident, $harness:expr; [$($case:ident)*] [$($auth_hash_case:ident)*]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            // Every backend for the suite's user; the user type without
            // `auth_hash` changes the policy, not the SQL: SQLite is enough.
            $crate::__conformance_user!(auth_hash, $crate::User, $harness, [sqlite Sqlite postgres Postgres mysql MySql];
                [$($case)* $($auth_hash_case)*]);
            $crate::__conformance_user!(plain, $crate::PlainUser, $harness, [sqlite Sqlite]; [$($case)*]);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_user {
    ($module:ident, $user:ty, $harness:expr, [$($backend_module:ident $backend:ident)*]; $cases:tt) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $($crate::__conformance_backend!($backend_module, $backend, $user, $harness; $cases);)*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_backend {
    ($module:ident, $backend:ident, $user:ty, $harness:expr; [$($case:ident)*]) => {
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
                    $crate::cases::$case::<$user>(&$harness).await;
                    eprintln!("conformance {}: ran on {backend}", stringify!($case));
                }
            )*
        }
    };
}

/// The list of cases: those of every user type, then those that need
/// `auth_hash` (a password change signs the account out), run on [`User`] only.
#[doc(hidden)]
#[macro_export]
macro_rules! each_case {
    ($then:path, $module:ident, $harness:expr) => {
        $then! { $module, $harness;
            [
                a_full_round_of_every_flow
                the_gate_off_answers_404_and_puts_the_session_back_on_its_primary
                removing_the_primary_is_refused_with_a_message
                get_link_auto_submits_only_for_the_account_that_just_signed_in
                link_flow_follows_the_seed
                switch_remove_and_sign_out_all
                routes_mount_at_custom_paths
                a_full_group_refuses_with_a_message_and_returns_to_the_primary
                the_session_is_steady_right_after_sign_in
                signing_out_of_the_session_cookie_drops_the_group
                standard_mode_loads_the_signed_in_user_in_one_query
                multi_account_mode_is_one_query_for_a_group_of_six
                stale_primary_clears_the_group_and_falls_back_to_standard_mode
                inactive_primary_clears_the_group
                an_inactive_or_removed_current_account_falls_back_to_the_primary
                a_pending_link_keeps_the_new_account_current_until_it_expires
                a_database_error_reads_as_signed_out_not_a_panic
                the_feature_gate_off_means_no_extra_queries_404_routes_and_back_to_the_primary
                multi_account_mode_two_accounts_is_one_query_per_request
                multi_account_mode_six_accounts_is_one_query_per_request
                multi_account_mode_eleven_accounts_is_one_query_per_request
                standard_mode_is_at_most_one_query_per_request
                a_handler_that_extracts_nothing_runs_no_query_in_any_mode
                the_feature_gate_off_adds_no_query_to_the_apps_own_user_load
                one_query_per_request_at_any_group_size
                every_state_change_logs_one_audit_event
                events_of_other_threads_are_not_recorded_here
                every_state_change_needs_the_token_and_a_same_origin_request
                link_post_needs_this_sessions_csrf_token
                link_start_needs_this_sessions_csrf_token
                switch_remove_and_sign_out_all_need_the_csrf_token
                a_csrf_token_from_before_a_switch_is_rejected_after_it
                the_extractors_debug_output_names_the_accounts_and_not_the_csrf_token
                the_apps_own_forms_share_the_sessions_token
                the_apps_session_helpers_read_and_write_what_the_routes_do
                each_flow_lands_on_its_default_page
                a_form_of_up_to_16_kib_is_read_and_a_larger_one_is_no_token
                every_state_change_refuses_every_bad_token
                tokens_from_before_unlink_and_sign_out_all_are_dead
                link_start_needs_the_token_and_a_get_writes_nothing
                cross_site_requests_change_nothing
                switching_is_post_only_unless_opted_in
                a_refused_switch_rotates_the_token
                the_session_changes_on_every_privilege_change
                a_copy_of_the_cookie_regains_nothing_after_sign_out_all
                old_session_ids_regain_nothing
                replaying_a_dead_id_does_not_disturb_the_live_session
                the_session_is_renewed_on_link_switch_and_unlink
                every_privilege_change_gives_a_new_cookie_value
                a_signed_in_user_cannot_link_to_another_users_id
                an_own_pending_intent_does_not_open_another_primary
                a_link_intent_from_another_session_does_not_help
                any_path_id_with_or_without_an_intent
                another_sessions_intent_and_token_do_not_complete_a_link
                a_link_intent_expires_after_ten_minutes
                a_link_intent_is_stale_at_exactly_its_ttl
                a_link_intent_from_the_future_is_not_fresh
                a_subject_without_a_sign_in_is_nobody
                a_link_from_another_session_cannot_be_switched_to
                a_new_sign_in_does_not_inherit_the_previous_group
                a_switch_reaches_only_this_sessions_group
                a_deactivated_link_cannot_be_switched_to
                an_inactive_account_cannot_be_switched_to
                a_deleted_account_cannot_be_switched_to
                after_sign_out_all_a_replayed_cookie_cannot_switch_to_the_linked_account
                a_session_without_a_user_cannot_switch_into_the_group
                malformed_ids_are_refused_without_side_effects
                unicode_nul_and_invalid_utf8_in_the_path
                nul_unicode_and_huge_csrf_fields
                broken_form_bodies
                odd_headers_and_cookies
                malformed_input_while_signed_out
                an_oversized_referer_at_link_start_is_not_a_server_error
                other_methods_are_refused_with_405_and_change_nothing
                bad_input_is_a_4xx_never_a_500
                switch_and_link_redirect_only_to_local_paths
                every_hostile_referer_falls_back_to_the_default_path
                a_refused_link_returns_to_a_local_path
                return_to_like_query_parameters_are_ignored
                sign_out_all_ignores_the_referer
                a_referer_of_exactly_this_origin_returns_to_the_root
                a_tampered_session_cookie_reads_as_signed_out
                swapped_wrong_typed_and_huge_session_values
                a_fabricated_session_signs_in_nobody
                anonymous_requests_write_no_session
                a_pre_seeded_intent_links_nobody_into_the_copy
                a_group_row_without_a_sign_in_here_is_not_membership
                a_copy_from_the_auto_submit_page_regains_nothing_after_sign_out_all
                a_copy_from_before_remove_does_not_bring_the_account_back
                a_sign_in_after_the_intent_expired_starts_a_new_group
                a_sign_in_within_the_intent_continues_the_link
                sign_in_records_are_pruned
                an_account_seen_inactive_stays_signed_out_after_it_is_reactivated
                replay_through_sign_out_all
                replay_through_sign_out
                a_copy_cannot_fork_the_group_by_completing_for_a_member
                a_sign_in_over_a_group_replaces_it_and_revokes_its_links
                an_account_that_leaves_the_group_loses_its_sign_in_here
                a_pending_link_does_not_revive_a_dead_one
                a_sign_in_without_return_to_is_pending_until_finished
                a_budgeted_session_refuses_the_link_that_would_overflow_it
                the_sign_in_plan_says_what_a_sign_in_will_do
                json_a_full_round_of_every_flow
                json_state_changes_need_the_header_token_and_a_same_origin_request
                json_refusals_are_json_with_stable_codes
                json_a_full_group_refuses_the_next_link
                json_privilege_changes_renew_the_session_and_rotate_the_token
                json_accounts_is_one_statement_at_six_accounts
                json_api_mounts_at_a_custom_prefix
                replay_over_json_through_sign_out_all
                two_tabs_act_as_their_own_accounts
                a_tab_that_holds_no_account_acts_as_nobody
                switch_in_a_tab_moves_it_or_changes_the_default
                json_clients_name_their_tab_in_a_header
                without_tabs_no_prefix_or_header_selects_an_account
                a_tab_costs_no_extra_statement
                a_removed_account_is_remembered_until_forgotten
                every_way_out_of_the_group_remembers_the_account
                a_remembered_cookie_that_does_not_open_reads_as_none
                remembered_accounts_are_capped_and_expire
                without_remembered_accounts_nothing_is_remembered
                json_remembered_accounts_sign_in_again_and_forget
            ]
            [
                a_new_password_signs_the_account_out
                after_a_password_change_the_account_cannot_be_switched_to
                after_the_primarys_password_change_nothing_can_be_switched_to
                a_password_change_drops_the_account_from_every_browsers_group
                a_password_change_signs_out_a_standard_session
                every_refusal_logs_its_reason
            ]
        }
    };
}
