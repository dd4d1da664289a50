//! The config an app keeps: its switch, and what it shows in logs.

use multi_account_axum::MultiAccountConfig;

#[tokio::test]
async fn the_feature_switch_reads_back_in_every_clone_and_debug_names_the_config() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let config = MultiAccountConfig::new(db);
    let clone = config.clone();
    assert!(config.is_enabled(), "on by default");
    clone.set_enabled(false);
    assert!(!config.is_enabled(), "switched off through a clone");
    clone.set_enabled(true);
    assert!(config.is_enabled());
    let debug = format!("{config:?}");
    assert!(debug.starts_with("MultiAccountConfig"), "{debug}");
}
