//! A different account in each tab: `/u/{slot}/…` (and, for JSON clients, the
//! `X-Account-Slot` header) names the account of the group that acts for a
//! request. Slots are stable while the account stays, never given twice, and a
//! slot that holds no account of the group as this request re-checked it acts
//! as nobody: a page goes to itself without the tab, with a message; a JSON
//! client gets `unknown_slot`.

use multi_account::session::{TabSwitch, Tabs};

use crate::app::{SuiteUser, counted_database, database, set_password_hash, set_status};
use crate::client::{Client, Harness, Options, Reply};
use crate::json::{self, API, assert_refused, current, ids};

/// The message a page shows after its tab was refused.
const GONE: &str = "That account is not signed in here any more.";

/// 1 signed in, 2 and 3 linked (3 acts by default): slots 0, 1, 2.
async fn group_of_three(client: &mut impl Client) {
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.complete_link(1, 3).await.status, 303);
}

/// The acting account of `path`'s `/state` line.
async fn acting(client: &mut impl Client, tab: &str) -> String {
    let reply = client.get(&format!("{tab}/current")).await;
    assert_eq!(reply.status, 200, "{tab}/current: {reply:?}");
    reply.body
}

/// `POST path` of the app's own, with this session's token: the acting id.
async fn act(client: &mut impl Client, tab: &str) -> Reply {
    client.post_fields_with_csrf(&format!("{tab}/act"), &[]).await
}

#[track_caller]
fn assert_left_tab(reply: &Reply, to: &str) {
    assert_eq!((reply.status, reply.location.as_deref()), (303, Some(to)), "{reply:?}");
}

/// Each switcher entry's slot and tab link.
fn slots(switcher: &serde_json::Value) -> Vec<(String, serde_json::Value, serde_json::Value)> {
    switcher["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| {
            (account["id"].as_str().unwrap().to_owned(), account["slot"].clone(), account["tab_url"].clone())
        })
        .collect()
}

/// Two tabs on one cookie jar act as two accounts, through switches, links
/// and removals; a slot stays with its account and is never given again.
pub async fn two_tabs_act_as_their_own_accounts<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let mut client = harness.client::<U>(&db, &Options::tabs(Tabs::default())).await;
    group_of_three(&mut client).await;

    let switcher = client.switcher().await;
    assert_eq!(
        slots(&switcher),
        vec![
            ("1".to_owned(), 0.into(), "/u/0/".into()),
            ("2".to_owned(), 1.into(), "/u/1/".into()),
            ("3".to_owned(), 2.into(), "/u/2/".into()),
        ]
    );
    // Without a tab, the session's account; in a tab, the tab's.
    assert_eq!(acting(&mut client, "").await, "3");
    assert_eq!(acting(&mut client, "/u/0").await, "1");
    assert_eq!(acting(&mut client, "/u/1").await, "2");
    assert_eq!(client.get("/u/1/state").await.body, "current=2;primary=1;group=1,2,3");
    assert_eq!(client.get("/u/0/me").await.body, "1");
    assert_eq!(client.get("/u/0/both").await.body, "1:3");
    // Each tab's form posts act as its own account.
    assert_eq!((act(&mut client, "/u/0").await.body, act(&mut client, "/u/1").await.body), ("1".into(), "2".into()));
    assert_eq!(act(&mut client, "").await.body, "3");
    assert_eq!(client.post_form("/u/0/act", &[]).await.status, 403, "a tab's post still needs the token");
    // Links from a tab keep it.
    assert_eq!(client.get("/u/1/links").await.body, "/u/1/inbox?x=1 tab=1 slots=0,1,2");
    assert_eq!(client.get("/links").await.body, "/inbox?x=1 tab=- slots=0,1,2");
    let in_tab = client.get("/u/1/switcher.json").await;
    let in_tab: serde_json::Value = serde_json::from_str(&in_tab.body).unwrap();
    assert_eq!(in_tab["accounts"][0]["switch_form"]["action"], "/u/1/link/switch_to/1");
    assert_eq!(in_tab["accounts"][1]["current"], true);

    // The default switches: the tabs do not follow.
    assert_eq!(client.switch(1).await.status, 303);
    assert_eq!(acting(&mut client, "").await, "1");
    assert_eq!((acting(&mut client, "/u/1").await, acting(&mut client, "/u/2").await), ("2".into(), "3".into()));

    // Another account joins, added from tab 1: it gets the next slot, the
    // others keep theirs, and the flow returns to the page without the tab
    // (the new account acts by default; tab 1 stays account 2's).
    let origin = client.origin();
    client.set_headers(vec![("Referer".to_owned(), format!("{origin}/u/1/inbox"))]);
    assert_left_tab(&client.complete_link(1, 4).await, "/inbox");
    client.set_headers(Vec::new());
    assert_eq!(acting(&mut client, "").await, "4");
    assert_eq!(acting(&mut client, "/u/3").await, "4");
    assert_eq!((acting(&mut client, "/u/0").await, acting(&mut client, "/u/1").await), ("1".into(), "2".into()));

    // 2 leaves: its tab acts as nobody, the others are untouched.
    assert_eq!(client.post_with_csrf("/link/remove/2").await.status, 303);
    assert_left_tab(&client.get("/u/1/state?x=1").await, "/state?x=1");
    assert_eq!(client.get("/flash").await.body, GONE);
    assert_eq!((acting(&mut client, "/u/2").await, acting(&mut client, "/u/3").await), ("3".into(), "4".into()));
    // Back again, 2 gets a new slot; its old one stays empty.
    client.switch(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.switcher().await["accounts"][3]["slot"], 4);
    assert_eq!(acting(&mut client, "/u/4").await, "2");
    assert_left_tab(&client.get("/u/1/current").await, "/current");
}

/// A slot out of range, malformed, overlong, of a removed, deactivated or
/// re-passworded account: never another account, never a 500, nothing acts.
pub async fn a_tab_that_holds_no_account_acts_as_nobody<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::tabs(Tabs::default())).await;
    let anonymous = client.get("/u/0/current").await;
    assert_left_tab(&anonymous, "/current");
    assert!(!anonymous.set_cookie, "an anonymous visitor gets no session from a tab: {anonymous:?}");
    group_of_three(&mut client).await;

    for tab in ["/u/9", "/u/x", "/u/01", "/u/-1", "/u/+1", "/u/1.0", "/u/%31", "/u/99999999999999999999", "/u/"] {
        let path = format!("{tab}/current");
        let reply = client.get(&path).await;
        if tab == "/u/" {
            // An empty slot is no slot: `/u//current` is a path of the app.
            assert!(reply.is_client_error() || reply.status == 303, "{path}: {reply:?}");
            continue;
        }
        assert_left_tab(&reply, "/current");
        assert_eq!(client.get("/flash").await.body, GONE, "{path}");
        let posted = client.post_fields_with_csrf(&format!("{tab}/link/switch_to/1"), &[]).await;
        assert_eq!(posted.status, 404, "{tab}: a flow from a tab no account holds: {posted:?}");
        let acted = act(&mut client, tab).await;
        assert_left_tab(&acted, "/act");
    }
    let long = format!("/u/{}/current", "1".repeat(4096));
    assert_left_tab(&client.get(&long).await, "/current");
    assert_eq!(acting(&mut client, "").await, "3", "the session is untouched");

    // Deactivated: its slot acts as nobody.
    set_status(&db, 2, "inactive").await;
    // An optional `CurrentUser`: none (actix reads a refused extractor as
    // `None`) or the page without the tab (axum); never account 2.
    let optional = client.get("/u/1/me").await;
    assert!(optional.status == 303 || optional.body.is_empty(), "{optional:?}");
    assert_left_tab(&client.get("/u/1/current").await, "/current");
    set_status(&db, 2, "active").await;
    if U::AUTH_HASH {
        // A new password: signed out of it here, its slot gone with it.
        set_password_hash(&db, 3, "changed").await;
        assert_left_tab(&client.get("/u/2/current").await, "/current");
    }
    // Reactivated, 2 does not come back by itself (its sign-in went).
    assert_left_tab(&client.get("/u/1/current").await, "/current");
    assert_eq!(acting(&mut client, "/u/0").await, "1");

    // Signed out: every tab acts as nobody.
    client.post_with_csrf("/link/sign-out-all").await;
    assert_left_tab(&client.get("/u/0/current").await, "/current");
    assert_eq!(client.get("/current").await.status, 401);
}

/// "Switch" in a tab moves the tab (the default stays), or changes the
/// default and leaves the tab, as the app chose; either needs the token.
pub async fn switch_in_a_tab_moves_it_or_changes_the_default<U: SuiteUser>(harness: &impl Harness) {
    for switch in [TabSwitch::MoveTab, TabSwitch::ChangeDefault] {
        let (db, _guard) = database(3).await;
        let mut client = harness.client::<U>(&db, &Options::tabs(Tabs::default().with_switch(switch))).await;
        group_of_three(&mut client).await;
        let origin = client.origin();
        client.set_headers(vec![("Referer".to_owned(), format!("{origin}/u/1/inbox?x=1"))]);
        assert_eq!(client.post_form("/u/1/link/switch_to/3", &[]).await.status, 403, "{switch:?}: no token");
        let before = client.cookies();
        let switched = client.post_with_csrf("/u/1/link/switch_to/1").await;
        match switch {
            TabSwitch::MoveTab => {
                assert_left_tab(&switched, "/u/0/inbox?x=1");
                assert_eq!(acting(&mut client, "").await, "3", "the default stays");
                assert_eq!(acting(&mut client, "/u/1").await, "2", "the tab's old slot still names its account");
            }
            _ => {
                assert_left_tab(&switched, "/inbox?x=1");
                assert_eq!(acting(&mut client, "").await, "1", "the default changed");
                assert_ne!(client.cookies(), before, "a privilege change renews the session");
                assert_eq!(acting(&mut client, "/u/1").await, "2");
            }
        }
        let refused = client.post_with_csrf("/u/1/link/switch_to/9").await;
        assert!(refused.is_client_error(), "{switch:?}: {refused:?}");
    }
}

/// JSON clients name their tab in the header; the accounts carry each slot.
pub async fn json_clients_name_their_tab_in_a_header<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::tabs(Tabs::default())).await;
    group_of_three(&mut client).await;
    let get = |slot: &'static [u8]| (format!("{API}/accounts"), [("x-account-slot", slot)]);

    let all = json::accounts(&mut client).await;
    let slots: Vec<_> = all["accounts"].as_array().unwrap().iter().map(|account| account["slot"].clone()).collect();
    assert_eq!(slots, vec![serde_json::json!(0), 1.into(), 2.into()]);
    assert_eq!(current(&all), Some(3));

    let (path, headers) = get(b"1");
    let tab = json::body(&client.request("GET", &path, &headers, b"").await);
    assert_eq!((ids(&tab), current(&tab)), (vec![1, 2, 3], Some(2)));
    for bad in [&b"7"[..], b"x", b"01", b"", b"\xff", b"99999999999"] {
        let reply = client.request("GET", &path, &[("x-account-slot", bad)], b"").await;
        assert_refused(&reply, 404, "unknown_slot");
    }
    // A page asked with the header (not the prefix) is refused, not redirected:
    // the header is a JSON client's, which has no page to go back to.
    let page = client.request("GET", "/current", &[("x-account-slot", b"7")], b"").await;
    assert_eq!((page.status, page.location.as_deref()), (404, None), "{page:?}");
    // A switch from the tab moves it: the answer acts as the target, the
    // session's default stays.
    let token = json::token(&mut client).await;
    let switched = client
        .request(
            "POST",
            &format!("{API}/switch/1"),
            &[("x-account-slot", b"1"), ("x-csrf-token", token.as_bytes())],
            b"",
        )
        .await;
    assert_eq!(switched.status, 200, "{switched:?}");
    assert_eq!(current(&json::body(&switched)), Some(1));
    assert_eq!(current(&json::accounts(&mut client).await), Some(3));
    let without_token = client.request("POST", &format!("{API}/switch/1"), &[("x-account-slot", b"1")], b"").await;
    assert_refused(&without_token, 403, "csrf");
    let stale = client
        .request(
            "POST",
            &format!("{API}/remove/2"),
            &[("x-account-slot", b"7"), ("x-csrf-token", token.as_bytes())],
            b"",
        )
        .await;
    assert_refused(&stale, 404, "unknown_slot");
    assert_eq!(ids(&json::accounts(&mut client).await), vec![1, 2, 3], "a refused tab removed nothing");
    // A tab removing its own account: the answer is the default's view.
    let token = json::token(&mut client).await;
    let own = client
        .request(
            "POST",
            &format!("{API}/remove/2"),
            &[("x-account-slot", b"1"), ("x-csrf-token", token.as_bytes())],
            b"",
        )
        .await;
    assert_eq!(own.status, 200, "{own:?}");
    let after = json::body(&own);
    assert_eq!((ids(&after), current(&after)), (vec![1, 3], Some(3)));
    let (path, headers) = get(b"1");
    assert_refused(&client.request("GET", &path, &headers, b"").await, 404, "unknown_slot");
}

/// Off (the default): no prefix is taken, no header read, no slot kept.
pub async fn without_tabs_no_prefix_or_header_selects_an_account<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    group_of_three(&mut client).await;
    assert_eq!(client.get("/u/0/current").await.status, 404);
    let reply = client.request("GET", "/current", &[("x-account-slot", b"0")], b"").await;
    assert_eq!(reply.body, "3");
    assert!(client.session_entries().await.get("_multi_account_slots").is_none());
    assert_eq!(client.switcher().await["accounts"][0]["slot"], serde_json::Value::Null);
}

/// A tab costs nothing: one statement per request, refused or not.
pub async fn a_tab_costs_no_extra_statement<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, statements) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &Options::tabs(Tabs::default())).await;
    client.sign_in(1).await;
    for linked in 2..=6 {
        assert_eq!(client.complete_link(1, linked).await.status, 303);
    }
    client.get("/state").await;
    for path in ["/u/0/state", "/u/5/both", "/u/3/current", "/u/9/current", "/state"] {
        let before = statements.load(std::sync::atomic::Ordering::SeqCst);
        let reply = client.get(path).await;
        assert!(reply.status == 200 || reply.status == 303, "{path}: {reply:?}");
        let count = statements.load(std::sync::atomic::Ordering::SeqCst) - before;
        assert_eq!(count, 1, "{path}: one statement");
    }
    assert_eq!(client.get("/u/5/current").await.body, "6");
}
