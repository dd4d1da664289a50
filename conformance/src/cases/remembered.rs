//! Remembered accounts: an account that leaves this browser's group (removed,
//! its link gone, a new password, signed out of all accounts) stays in the
//! switcher as signed out, with "Sign in again" and "Forget", from a cookie of
//! its own that lets nobody in. Deleted and inactive accounts drop out; a
//! cookie that does not open under the app's key reads as nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use multi_account::session::{REMEMBERED_COOKIE, RememberedAccounts, Tabs};
use sea_orm::ConnectionTrait;

use crate::app::{SuiteUser, counted_database, database, set_password_hash, set_status};
use crate::client::{Client, Harness, Options};
use crate::json::{self, API, assert_refused};

const KEY: [u8; 64] = [42; 64];

fn remembered() -> RememberedAccounts {
    RememberedAccounts::new(&KEY).expect("a long enough key")
}

fn options(remembered: RememberedAccounts) -> Options {
    Options { remembered: Some(remembered), ..Options::default() }
}

/// The ids the switcher shows as remembered, in order.
async fn remembered_ids(client: &mut impl Client) -> Vec<String> {
    let switcher = client.switcher().await;
    switcher["remembered"].as_array().expect("a remembered list").iter().map(|entry| entry["id"].to_string()).collect()
}

fn quoted(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|id| format!("\"{id}\"")).collect()
}

/// The hint a remembered account of `id` carries: the suite's `User` remembers
/// its name, `PlainUser` nothing.
fn hint<U: SuiteUser>(id: i64) -> Option<String> {
    U::AUTH_HASH.then(|| format!("user{id}"))
}

fn hint_query<U: SuiteUser>(id: i64) -> String {
    hint::<U>(id).map(|hint| format!("&login_hint={hint}")).unwrap_or_default()
}

/// The whole round: remove → remembered (never signed in) → "Sign in again"
/// back into the same group → forget → sign out of all → signed-out chooser →
/// sign out and forget.
pub async fn a_removed_account_is_remembered_until_forgotten<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let options = Options { tabs: Some(Tabs::default()), ..options(remembered()) };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.complete_link(1, 3).await.status, 303);
    assert!(client.cookies().contains_key(REMEMBERED_COOKIE), "signed-in accounts are remembered as they sign in");
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new(), "signed in: none shown");

    assert_eq!(client.post_with_csrf("/link/remove/3").await.status, 303);
    let switcher = client.switcher().await;
    let entry = &switcher["remembered"][0];
    assert_eq!(switcher["remembered"].as_array().unwrap().len(), 1, "{switcher}");
    assert_eq!((entry["id"].as_str(), entry["hint"].as_str()), (Some("3"), hint::<U>(3).as_deref()), "{entry}");
    assert_eq!(entry["sign_in_again_form"]["action"], "/link/again/3");
    assert_eq!(entry["sign_in_again_url"], "/link/again/3");
    assert_eq!(entry["forget_form"]["action"], "/link/forget/3");
    assert_eq!(switcher["sign_out_all_and_forget_form"]["action"], "/link/sign-out-all?forget");
    assert!(switcher["accounts"].as_array().unwrap().iter().all(|account| account["id"] != "3"), "{switcher}");

    // Remembered is not signed in: no switch, no tab, no extractor reaches it.
    assert_eq!(client.switch(3).await.status, 403);
    assert_refused(&json::post_with_token(&mut client, "switch/3").await, 403, "not_in_group");
    let reply = client.get("/u/2/current").await;
    assert_eq!((reply.status, reply.location.as_deref()), (303, Some("/current")), "3's old slot: {reply:?}");
    client.get("/flash").await;
    assert_eq!(client.state().await, "current=1;primary=1;group=1,2");
    let accounts = json::accounts(&mut client).await;
    assert_eq!(json::ids(&accounts), vec![1, 2]);
    assert_eq!(accounts["remembered"][0]["id"], "3");
    assert_eq!(accounts["remembered"][0]["actions"], serde_json::json!(["sign_in_again", "forget"]));
    assert!(accounts["remembered"][0].get("slot").is_none(), "{accounts}");

    // "Sign in again" needs the token, then is the add-account flow with the hint.
    assert_eq!(client.post_form("/link/again/3", &[]).await.status, 403);
    let again = client.post_with_csrf("/link/again/3").await;
    let expected = format!("/sign-in?return_to=/link/p/1{}", hint_query::<U>(3));
    assert_eq!((again.status, again.location.as_deref()), (303, Some(expected.as_str())), "{again:?}");
    client.sign_in(3).await;
    let page = client.get("/link/p/1").await;
    let token = crate::client::auto_submit_token(&page.body).expect("the auto-submit form");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, 303);
    assert_eq!(client.state().await, "current=3;primary=1;group=1,2,3", "back in the same group");
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new());
    // Signed in, its "Sign in again" is refused: it is in the group.
    assert_eq!(client.post_with_csrf("/link/again/3").await.status, 409);

    // Forget needs the token; then it is gone, and the group is untouched.
    client.switch(1).await;
    assert_eq!(client.post_with_csrf("/link/remove/2").await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[2]));
    assert_eq!(client.post_form("/link/forget/2", &[]).await.status, 403);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[2]));
    assert_eq!(client.post_with_csrf("/link/forget/2").await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new());
    assert_eq!(client.post_with_csrf("/link/forget/2").await.status, 303, "forgetting twice changes nothing");
    assert_eq!(client.state().await, "current=1;primary=1;group=1,3");

    // Signed out of all accounts: the chooser lists both, signed out.
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_eq!(client.state().await, "current=;primary=;group=");
    let ids: BTreeSet<String> = remembered_ids(&mut client).await.into_iter().collect();
    assert_eq!(ids, quoted(&[1, 3]).into_iter().collect(), "signed out: both remembered");
    let switcher = client.switcher().await;
    assert!(switcher["remembered"][0]["sign_in_again_form"].is_null(), "signed out: a link, no form");
    assert!(switcher["sign_out_all_and_forget_form"].is_null());
    // Signed out, "Sign in again" is the sign-in page with the hint; over
    // JSON, the client signs in itself.
    let again = client.get("/link/again/3").await;
    let expected = format!("/sign-in?return_to=/{}", hint_query::<U>(3));
    assert_eq!((again.status, again.location.as_deref()), (303, Some(expected.as_str())), "{again:?}");
    assert_refused(&json::post_with_token(&mut client, "again/3").await, 401, "unauthorized");
    assert_eq!(client.get("/link/again/2").await.status, 404, "a forgotten account is not remembered");
    assert_eq!(client.get("/link/again/x").await.status, 400);
    assert_eq!(client.state().await, "current=;primary=;group=", "nothing signed anyone in");

    // Signed out, "Forget" works with the token the switcher's form carries.
    let switcher = client.switcher().await;
    let forget = switcher["remembered"].as_array().unwrap().iter().find(|entry| entry["id"] == "1").unwrap();
    let token = forget["forget_form"]["csrf_token"].as_str().unwrap().to_owned();
    assert!(!token.is_empty(), "{switcher}");
    assert_eq!(client.post_form("/link/forget/1", &[("csrf_token", &token)]).await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[3]));

    // A new sign-in; then sign out and forget: nothing is remembered, the
    // cookie is gone.
    client.sign_in(3).await;
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new());
    assert_eq!(client.post_with_csrf("/link/sign-out-all?forget=false").await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[3]), "`forget=false` forgets nothing");
    client.sign_in(3).await;
    assert_eq!(client.post_with_csrf("/link/sign-out-all?forget").await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new());
    assert!(!client.cookies().contains_key(REMEMBERED_COOKIE), "{:?}", client.cookies());
}

/// A link gone from the database (as an expired one is), a new password, a
/// sign-out: each leaves the account remembered. A deactivated or deleted
/// account is not shown, at one statement for the whole list.
pub async fn every_way_out_of_the_group_remembers_the_account<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard, statements) = counted_database(6).await;
    let mut client = harness.client::<U>(&db, &options(remembered().with_max_accounts(10))).await;
    client.sign_in(1).await;
    for linked in 2..=6 {
        assert_eq!(client.complete_link(1, linked).await.status, 303);
    }
    client.switch(1).await;
    db.execute_unprepared("DELETE FROM linked_accounts WHERE linked_user_id = 2").await.expect("unlink 2");
    let mut expected = vec![2];
    if U::AUTH_HASH {
        set_password_hash(&db, 3, "a-new-hash").await;
        expected.push(3);
    }
    let ids: BTreeSet<String> = remembered_ids(&mut client).await.into_iter().collect();
    assert_eq!(ids, quoted(&expected).into_iter().collect());
    // Signed in, the group statement checks the remembered accounts too.
    statements.store(0, Ordering::SeqCst);
    assert_eq!(remembered_ids(&mut client).await.len(), expected.len());
    assert_eq!(statements.load(Ordering::SeqCst), 1, "the group statement checks them");
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    let ids: BTreeSet<String> = remembered_ids(&mut client).await.into_iter().collect();
    assert_eq!(ids, quoted(&[1, 2, 3, 4, 5, 6]).into_iter().collect(), "every account signed in here");

    set_status(&db, 4, "inactive").await;
    db.execute_unprepared("DELETE FROM users WHERE id = 5").await.expect("delete 5");
    statements.store(0, Ordering::SeqCst);
    let ids: BTreeSet<String> = remembered_ids(&mut client).await.into_iter().collect();
    assert_eq!(statements.load(Ordering::SeqCst), 1, "one statement for the whole list");
    assert_eq!(ids, quoted(&[1, 2, 3, 6]).into_iter().collect(), "inactive and deleted accounts drop out");
    set_status(&db, 4, "active").await;
    assert!(!remembered_ids(&mut client).await.contains(&"\"4\"".to_owned()), "and are forgotten");

    // Showing only what the cookie holds: no statement at all.
    let cookies = client.cookies();
    let remembered = remembered().with_max_accounts(10).with_database_check(false);
    let mut client = harness.client::<U>(&db, &options(remembered)).await;
    client.set_cookies(cookies);
    statements.store(0, Ordering::SeqCst);
    assert_eq!(remembered_ids(&mut client).await.len(), 4);
    assert_eq!(statements.load(Ordering::SeqCst), 0, "no statement without the check");
}

/// A cookie tampered with, sealed under another key or name, oversized or
/// malformed reads as no remembered account: never an error, nobody signed in.
pub async fn a_remembered_cookie_that_does_not_open_reads_as_none<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &options(remembered())).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    client.post_with_csrf("/link/remove/2").await;
    assert_eq!(remembered_ids(&mut client).await, quoted(&[2]));
    let good = client.cookies()[REMEMBERED_COOKIE].clone();

    let mut other = harness.client::<U>(&db, &options(RememberedAccounts::new(&[7; 64]).unwrap())).await;
    other.sign_in(3).await;
    other.get("/state").await;
    other.post_with_csrf("/link/sign-out-all").await;
    let foreign = other.cookies()[REMEMBERED_COOKIE].clone();
    let mut renamed = harness.client::<U>(&db, &options(remembered().with_cookie_name("other_name"))).await;
    renamed.sign_in(3).await;
    renamed.get("/state").await;
    let renamed = renamed.cookies()["other_name"].clone();

    let mut flipped = good.clone().into_bytes();
    flipped[good.len() / 2] = if flipped[good.len() / 2] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let oversized = "A".repeat(5000);
    for (what, value) in [
        ("tampered", flipped.as_str()),
        ("another key", foreign.as_str()),
        ("another cookie name", renamed.as_str()),
        ("oversized", oversized.as_str()),
        ("malformed", "not%20a%20cookie"),
        ("truncated", &good[..good.len() - 4]),
    ] {
        let mut jar: BTreeMap<String, String> = client.cookies();
        jar.insert(REMEMBERED_COOKIE.to_owned(), value.to_owned());
        client.set_cookies(jar);
        assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new(), "{what}");
        let accounts = json::accounts(&mut client).await;
        assert_eq!(accounts["remembered"], serde_json::json!([]), "{what}");
        assert_eq!(client.post_with_csrf("/link/again/2").await.status, 404, "{what}");
        assert_eq!(client.state().await, "current=1;primary=1;group=1", "{what}");
    }
    let mut jar = client.cookies();
    jar.insert(REMEMBERED_COOKIE.to_owned(), good);
    client.set_cookies(jar);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[2]), "the real cookie still opens");
}

/// At most `max_accounts` besides the signed-in ones, the oldest dropped;
/// each expires its lifetime after it was last signed in here.
pub async fn remembered_accounts_are_capped_and_expire<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    // The app's clock near the real one: a sign-in during a link checks its
    // intent by the system clock.
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let clock = Arc::new(AtomicU64::new(start));
    let remembered = remembered().with_max_accounts(2).with_lifetime(Duration::from_secs(3600));
    let options = Options { clock: Some(clock.clone()), ..options(remembered) };
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    client.get("/state").await;
    for linked in 2..=4 {
        clock.fetch_add(10, Ordering::SeqCst);
        assert_eq!(client.complete_link(1, linked).await.status, 303);
    }
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[4, 3]), "the two signed in last");
    // 3 was last signed in at start + 20, 4 at start + 30.
    clock.store(start + 20 + 3600, Ordering::SeqCst);
    assert_eq!(remembered_ids(&mut client).await, quoted(&[4]));
    clock.store(start + 30 + 3600, Ordering::SeqCst);
    assert_eq!(remembered_ids(&mut client).await, Vec::<String>::new());
}

/// Off (the default): no cookie, no entries, no routes.
pub async fn without_remembered_accounts_nothing_is_remembered<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    client.post_with_csrf("/link/remove/2").await;
    assert_eq!(client.switcher().await["remembered"], serde_json::json!([]));
    assert!(client.switcher().await["sign_out_all_and_forget_form"].is_null());
    assert!(json::accounts(&mut client).await.get("remembered").is_none());
    assert_eq!(client.get("/link/again/2").await.status, 404);
    assert_eq!(client.post_with_csrf("/link/forget/2").await.status, 404);
    assert_refused(&json::post_with_token(&mut client, "forget/2").await, 404, "disabled");
    client.post_with_csrf("/link/sign-out-all?forget").await;
    assert!(!client.cookies().contains_key(REMEMBERED_COOKIE), "{:?}", client.cookies());
}

/// The JSON API: the list, "Sign in again" (the link start with the hint),
/// forget, and sign out of all accounts with `?forget`, each with the
/// header token.
pub async fn json_remembered_accounts_sign_in_again_and_forget<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &options(remembered())).await;
    client.sign_in(1).await;
    assert_eq!(client.complete_link(1, 2).await.status, 303);
    assert_eq!(client.complete_link(1, 3).await.status, 303);
    client.switch(1).await;
    assert_eq!(json::post_with_token(&mut client, "remove/2").await.status, 200);
    let accounts = json::accounts(&mut client).await;
    assert_eq!(accounts["remembered"][0]["id"], "2");
    assert_eq!(accounts["remembered"][0]["hint"].as_str(), hint::<U>(2).as_deref());

    assert_refused(&json::post(&mut client, "again/2", None).await, 403, "csrf");
    assert_refused(&json::post_with_token(&mut client, "again/9").await, 404, "not_found");
    assert_refused(&json::post_with_token(&mut client, "again/3").await, 409, "already_in_group");
    assert_refused(&json::post_with_token(&mut client, "again/x").await, 400, "malformed_id");
    let started = json::post_with_token(&mut client, "again/2").await;
    let started = json::body(&started);
    let sign_in = format!("/sign-in?return_to=/link/p/1{}", hint_query::<U>(2));
    assert_eq!(started["sign_in"].as_str(), Some(sign_in.as_str()), "{started}");
    assert_eq!(started["complete"], format!("{API}/link/complete"));

    assert_refused(&json::post(&mut client, "forget/2", None).await, 403, "csrf");
    let forgotten = json::post_with_token(&mut client, "forget/2").await;
    assert_eq!(forgotten.status, 200, "{forgotten:?}");
    assert_eq!(json::body(&forgotten)["remembered"], serde_json::json!([]));

    let out = json::post_with_token(&mut client, "sign-out-all").await;
    let out = json::body(&out);
    let ids: BTreeSet<String> =
        out["remembered"].as_array().unwrap().iter().map(|entry| entry["id"].to_string()).collect();
    assert_eq!(ids, quoted(&[1, 3]).into_iter().collect(), "{out}");
    client.sign_in(1).await;
    let out = json::post_with_token(&mut client, "sign-out-all?forget").await;
    assert_eq!(json::body(&out)["remembered"], serde_json::json!([]));
    assert_eq!(json::accounts(&mut client).await["remembered"], serde_json::json!([]));

    // Signed out of all accounts right after signing in (no request noted the
    // account in between): remembered all the same.
    client.sign_in(2).await;
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_eq!(json::accounts(&mut client).await["remembered"][0]["id"], "2");
}
