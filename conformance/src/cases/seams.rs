//! The seams between flows (security review II): anonymous visitors, sign-in
//! while a link is pending, copies of the cookie taken at one step and used at
//! another, group rows without a sign-in, and the sign-in records a session
//! keeps.

use std::collections::BTreeSet;
use std::time::Duration;

use multi_account::LinkService;

use crate::app::{SuiteUser, add_users, database, link_rows_with_tokens};
use crate::client::{Client, Harness, Options, auto_submit_token};

/// The parsed state line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    current: Option<i64>,
    primary: Option<i64>,
    group: Vec<i64>,
}

impl State {
    fn parse(line: &str) -> Self {
        let mut parts = line.split(';').map(|part| part.split_once('=').map_or("", |(_, value)| value));
        let id = |text: &str| text.parse::<i64>().ok();
        let current = parts.next().and_then(id);
        let primary = parts.next().and_then(id);
        let group = parts.next().unwrap_or("").split(',').filter_map(id).collect();
        Self { current, primary, group }
    }

    /// Every account this session can act as or switch to.
    fn accounts(&self) -> BTreeSet<i64> {
        self.current.iter().chain(self.group.iter()).copied().collect()
    }
}

async fn get_state(client: &mut impl Client) -> State {
    State::parse(&client.state().await)
}

#[track_caller]
fn assert_refused(response: &crate::Reply, what: &str) {
    assert!(response.is_client_error(), "{what}: refused with a 4xx: {response:?}");
}

/// This session's token (the `session_token` entry).
async fn session_token(client: &mut impl Client) -> String {
    let entries = client.session_entries().await;
    entries["session_token"].as_str().expect("a session token").to_owned()
}

/// Anonymous visitors get no session: no page they can see (the state, the
/// switcher, the link page) writes one; a signed-in switcher mints its token.
pub async fn anonymous_requests_write_no_session<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(1).await;
    for path in ["/state", "/me", "/plain", "/switcher.json", "/link/p/1"] {
        let mut client = harness.client::<U>(&db, &Options::default()).await;
        let reply = client.get(path).await;
        assert!(!reply.set_cookie, "{path}: no session for an anonymous visitor: {reply:?}");
        if path != "/link/p/1" {
            assert_eq!(reply.status, 200, "{path}: {reply:?}");
        }
    }
    // Control: a signed-in switcher mints its token.
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let switcher = client.switcher().await;
    assert_eq!(switcher["sign_out_all_form"]["csrf_token"].as_str().map(str::len), Some(64), "{switcher}");
}

/// A link intent pre-seeded by an attacker in a shared browser links nobody
/// into the attacker's copy: the attacker signs in, starts "Add another
/// account", copies the cookie and walks away; the victim signs in next and the
/// auto-submit page runs; the copy does not reach the victim.
pub async fn a_pre_seeded_intent_links_nobody_into_the_copy<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut browser = harness.client::<U>(&db, &Options::default()).await;
    browser.sign_in(1).await;
    assert_eq!(browser.start_link(1).await.status, 303);
    let copy = browser.cookies();
    browser.sign_in(2).await;
    let page = browser.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    browser.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    browser.set_cookies(copy);
    let state = get_state(&mut browser).await;
    assert!(!state.accounts().contains(&2), "the copy does not reach the victim: {state:?}");
    assert_refused(&browser.switch(2).await, "switch into the victim");
    assert!(!get_state(&mut browser).await.accounts().contains(&2));
}

/// Group membership needs a sign-in record in this session even without
/// `auth_hash`: a group row written for an account that never signed in here
/// brings it nobody.
pub async fn a_group_row_without_a_sign_in_here_is_not_membership<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.start_link(1).await;
    let token = session_token(&mut client).await;
    LinkService::<U>::link(&db, &1, &3, &token).await.unwrap();
    let state = get_state(&mut client).await;
    assert_eq!(state.group, vec![1], "3 has a row but never signed in here: {state:?}");
    assert_refused(&client.switch(3).await, "switch to 3");
}

/// A copy taken at the auto-submit page and replayed after sign-out-all is
/// nobody (the group was revoked server-side), cannot switch, cannot re-link
/// with its page's token, and re-creates no row.
pub async fn a_copy_from_the_auto_submit_page_regains_nothing_after_sign_out_all<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    let token = client.up_to_auto_submit(1, 2).await;
    let copy = client.cookies();
    client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(get_state(&mut client).await.group, vec![1, 2]);
    client.post_with_csrf("/link/sign-out-all").await;
    assert!(link_rows_with_tokens(&db).await.is_empty(), "sign-out-all deleted the group");

    client.set_cookies(copy);
    let state = get_state(&mut client).await;
    // The copy carries the group, which was signed out of server-side: on every
    // store (the cookie store too) it reaches nobody.
    assert!(state.accounts().is_empty(), "nobody after sign-out-all: {state:?}");
    for id in [1, 2] {
        assert_refused(&client.switch(id).await, "switch with the copy");
    }
    assert_refused(&client.post_form("/link/p/1", &[("csrf_token", &token)]).await, "re-link with the copy");
    assert!(get_state(&mut client).await.accounts().is_empty());
    assert!(link_rows_with_tokens(&db).await.is_empty(), "the copy re-created no row");
}

/// A copy taken before "Remove" does not bring the removed account back, and
/// the removal drops the account's sign-in record.
pub async fn a_copy_from_before_remove_does_not_bring_the_account_back<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.switch(1).await;
    let copy = client.cookies();
    client.post_with_csrf("/link/remove/2").await;
    assert_eq!(recorded(&mut client).await, ids(&["1"]), "pruned");
    let before = link_rows_with_tokens(&db).await;
    client.set_cookies(copy);
    let state = get_state(&mut client).await;
    assert!(!state.group.contains(&2), "{state:?}");
    if !harness.server_side() {
        assert_eq!(state.group, vec![1]);
    }
    assert_refused(&client.switch(2).await, "switch to the removed account");
    assert_eq!(link_rows_with_tokens(&db).await, before);
}

/// An intent that expired before the next sign-in does not carry it into the
/// group: the sign-in starts over (the real clock, a one-second intent).
pub async fn a_sign_in_after_the_intent_expired_starts_a_new_group<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let options = Options { link_intent_ttl: Some(Duration::from_secs(1)), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    client.start_link(1).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    client.sign_in(3).await;
    let state = get_state(&mut client).await;
    assert_eq!(state, State { current: Some(3), primary: None, group: vec![] }, "a new sign-in, not under 1");
    let entries = client.session_entries().await;
    assert!(entries.get("primary_user_id").is_none(), "{entries}");
    assert!(entries.get("_multi_account_link_intent").is_none(), "{entries}");
}

/// Control: within the intent's time, the sign-in continues the link flow.
pub async fn a_sign_in_within_the_intent_continues_the_link<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let options = Options { link_intent_ttl: Some(Duration::from_secs(60)), ..Options::default() };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    client.start_link(1).await;
    client.sign_in(3).await;
    assert_eq!(get_state(&mut client).await, State { current: Some(3), primary: Some(1), group: vec![1] });
}

/// The ids with a sign-in record in this session.
async fn recorded(client: &mut impl Client) -> BTreeSet<String> {
    let entries = client.session_entries().await;
    let records = entries["_multi_account_auth"].as_object().cloned().unwrap_or_default();
    records.keys().cloned().collect()
}

fn ids(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// Sign-in records are pruned: the session holds no more of them than its
/// group has accounts (a deactivated link's and a removed account's go), and a
/// sign-in outside the link flow starts over with its own record only.
pub async fn sign_in_records_are_pruned<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    add_users(&db, 4, 4).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    client.complete_link(1, 3).await;
    assert_eq!(recorded(&mut client).await, ids(&["1", "2", "3"]));
    // 3's link is deactivated elsewhere: the next completed link keeps only the
    // group's records.
    let token = session_token(&mut client).await;
    assert!(LinkService::<U>::deactivate(&db, &1, &3, &token).await.unwrap());
    client.complete_link(1, 4).await;
    assert_eq!(get_state(&mut client).await.group, vec![1, 2, 4]);
    assert_eq!(recorded(&mut client).await, ids(&["1", "2", "4"]), "3's record went with its link");
    // Remove drops the removed account's record.
    client.post_with_csrf("/link/remove/2").await;
    assert_eq!(recorded(&mut client).await, ids(&["1", "4"]));
    // A sign-in outside the link flow starts over with its own record only.
    client.sign_in(3).await;
    assert_eq!(recorded(&mut client).await, ids(&["3"]));
    assert_eq!(get_state(&mut client).await, State { current: Some(3), primary: None, group: vec![] });
}

/// An account seen inactive is signed out of this session for good:
/// re-activated, it needs a new sign-in (its subject was forgotten, not just
/// hidden).
pub async fn an_account_seen_inactive_stays_signed_out_after_it_is_reactivated<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(2).await;
    assert_eq!(get_state(&mut client).await.current, Some(2));
    crate::app::set_status(&db, 2, "inactive").await;
    assert_eq!(get_state(&mut client).await.current, None, "inactive: signed out");
    crate::app::set_status(&db, 2, "active").await;
    assert_eq!(get_state(&mut client).await.current, None, "active again, but this session signed out");
    assert!(client.session_entries().await.get("user").is_none());
}
