//! The cases, one file per concept. Each takes the adapter's harness and
//! proves one rule through the adapter's real HTTP surface; the list the
//! adapters run is [`crate::each_case!`].

mod app_helpers;
mod audit_events;
mod csrf;
mod fixation;
mod flows;
mod forged_link;
mod group_seams;
mod json_api;
mod loader;
mod malformed_input;
mod open_redirect;
mod privilege;
mod query_counts;
mod remembered;
mod replay;
mod seams;
mod tabs;
mod tampering;

pub use app_helpers::*;
pub use audit_events::*;
pub use csrf::*;
pub use fixation::*;
pub use flows::*;
pub use forged_link::*;
pub use group_seams::*;
pub use json_api::*;
pub use loader::*;
pub use malformed_input::*;
pub use open_redirect::*;
pub use privilege::*;
pub use query_counts::*;
pub use remembered::*;
pub use replay::*;
pub use seams::*;
pub use tabs::*;
pub use tampering::*;

/// The state line of a signed-out session.
pub const SIGNED_OUT: &str = "current=;primary=;group=";
