//! Forged links (SPEC §4 Security model, rule 1): the reference designs let a
//! signed-in attacker POST to `/link/p/<victim id>` and then switch into the
//! victim's account. Here a link completes only for the path id that is this
//! session's signed-in primary, with a fresh intent that primary created in this
//! session, another account signed in, and the CSRF token. Every id in the path
//! (someone else's, nonexistent, one's own) is tried with and without an intent,
//! and with an intent of another session.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

use crate::app::{SuiteUser, database, link_count, link_rows_with_tokens};
use crate::client::{Client, Harness, Options, assert_forbidden, auto_submit_token};

/// A forged link attempt at `/link/p/{id}`: the completing POST and the starting
/// POST (`?start`), both with this session's valid CSRF token so only the link
/// rules can stop them, and then the GET. All must be refused and leave the
/// session and the database as they were.
async fn assert_forged_link_refused(client: &mut impl Client, db: &DatabaseConnection, id: i64) {
    let before = client.state().await;
    let links = link_count(db).await;
    let rows = link_rows_with_tokens(db).await;
    let path = format!("/link/p/{id}");
    let posted = client.post_with_csrf(&path).await;
    assert_forbidden(&posted, &format!("POST {path} in state {before}"));
    let started = client.post_with_csrf(&format!("{path}?start")).await;
    assert!(
        started.status == 403 || (started.status == 401 && before.starts_with("current=;")),
        "POST {path}?start in state {before}: {started:?}"
    );
    assert!(started.location.is_none(), "POST {path}?start: no redirect to sign-in: {started:?}");
    let got = client.get(&path).await;
    assert!(
        got.status == 403 || (got.status == 401 && before.starts_with("current=;")),
        "GET {path} in state {before}: {got:?}"
    );
    assert!(got.location.is_none(), "GET {path}: no redirect to sign-in: {got:?}");
    assert_eq!(client.state().await, before, "{path}: the session is unchanged");
    assert_eq!(link_count(db).await, links, "{path}: nothing linked");
    assert_eq!(link_rows_with_tokens(db).await, rows, "{path}: no row written");
}

/// A signed-in user cannot link (or switch) to someone else's account by id.
pub async fn a_signed_in_user_cannot_link_to_another_users_id<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut attacker = harness.client::<U>(&db, &Options::get_switch()).await;
    attacker.sign_in(2).await;
    assert_eq!(attacker.state().await, "current=2;primary=;group=");

    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 as user 2");
    assert_eq!(attacker.state().await, "current=2;primary=;group=", "no primary written by the GET");

    let token = attacker.csrf().await;
    let posted = attacker.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_forbidden(&posted, "POST /link/p/1 with a valid token");
    let started = attacker.post_form("/link/p/1?start", &[("csrf_token", &token)]).await;
    assert_forbidden(&started, "POST /link/p/1?start with a valid token");
    assert_eq!(attacker.state().await, "current=2;primary=;group=", "no primary written by the start");
    assert!(link_rows_with_tokens(&db).await.is_empty(), "no group opened for 1");

    let token = attacker.csrf().await;
    let switched = attacker.get(&format!("/link/switch_to/1?csrf_token={token}")).await;
    assert_forbidden(&switched, "switch to 1");
    let switched = attacker.post_with_csrf("/link/switch_to/1").await;
    assert_forbidden(&switched, "POST switch to 1");

    assert_eq!(link_count(&db).await, 0);
    assert_eq!(attacker.get("/me").await.body, "2");
    assert_eq!(attacker.state().await, "current=2;primary=;group=");
}

/// The same attack while the attacker has a pending intent of their own.
pub async fn an_own_pending_intent_does_not_open_another_primary<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut attacker = harness.client::<U>(&db, &Options::get_switch()).await;
    attacker.sign_in(2).await;
    let started = attacker.start_link(2).await;
    assert_eq!(started.status, 303, "{started:?}");
    attacker.sign_in(3).await;
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2", "pending intent for 2");

    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 with an intent for 2");
    let posted = attacker.post_with_csrf("/link/p/1").await;
    assert_forbidden(&posted, "POST /link/p/1 with an intent for 2");
    assert_forbidden(&attacker.start_link(1).await, "POST /link/p/1?start with an intent for 2");
    let url = attacker.switch_url(1).await;
    assert_forbidden(&attacker.get(&url).await, "switch to 1");

    assert_eq!(link_count(&db).await, 0);
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2");
    assert_eq!(attacker.get("/me").await.body, "3");
}

/// A link intent of another browser session does not help.
pub async fn a_link_intent_from_another_session_does_not_help<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut victim = harness.client::<U>(&db, &Options::get_switch()).await;
    let mut attacker = harness.client::<U>(&db, &Options::get_switch()).await;

    victim.sign_in(1).await;
    let started = victim.start_link(1).await;
    assert_eq!(started.status, 303, "{started:?}");

    attacker.sign_in(2).await;
    assert_forbidden(&attacker.get("/link/p/1").await, "GET /link/p/1 from the other browser");
    let posted = attacker.post_with_csrf("/link/p/1").await;
    assert_forbidden(&posted, "POST /link/p/1 from the other browser");
    assert_forbidden(&attacker.start_link(1).await, "POST /link/p/1?start from the other browser");
    let url = attacker.switch_url(1).await;
    assert_forbidden(&attacker.get(&url).await, "switch to 1 from the other browser");

    assert_eq!(link_count(&db).await, 0);
    assert_eq!(attacker.state().await, "current=2;primary=;group=");
    assert_eq!(victim.state().await, "current=1;primary=1;group=1", "the victim's session is untouched");

    // Control: the victim's own intent still completes in the victim's browser.
    victim.sign_in(3).await;
    let page = victim.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    let done = victim.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(attacker.state().await, "current=2;primary=;group=");
}

/// Every id in the path, in every state the attacker's own browser can be in:
/// no intent, an own intent (before and after signing in the second account), an
/// own completed group, and signed out. The attacker owns 2 and 3; 1 is the
/// victim; 999 does not exist. Own ids work only in the one legitimate place.
pub async fn any_path_id_with_or_without_an_intent<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(4).await;
    let db = &db;
    let foreign = [1, 4, 999];

    // Signed out.
    let mut attacker = harness.client::<U>(db, &Options::get_switch()).await;
    for id in foreign.into_iter().chain([2, 3]) {
        assert_forged_link_refused(&mut attacker, db, id).await;
    }
    assert_eq!(attacker.state().await, "current=;primary=;group=");

    // Signed in as 2, no intent: 2 may start a link for itself, nothing else.
    attacker.sign_in(2).await;
    for id in foreign.into_iter().chain([3]) {
        assert_forged_link_refused(&mut attacker, db, id).await;
    }
    let own = attacker.post_with_csrf("/link/p/2").await;
    assert_forbidden(&own, "POST own id without an intent");
    assert_eq!(attacker.state().await, "current=2;primary=;group=");
    let page = attacker.get("/link/p/2").await;
    assert_eq!(page.status, 200, "GET own id: the start page: {page:?}");
    assert!(page.body.contains(r#"action="/link/p/2?start""#), "{}", page.body);
    assert_eq!(attacker.state().await, "current=2;primary=;group=", "the start page writes nothing");
    assert!(link_rows_with_tokens(db).await.is_empty(), "the start page opens no group");

    // An own intent, still signed in as the primary 2.
    let started = attacker.start_link(2).await;
    assert_eq!(started.status, 303, "{started:?}");
    assert_eq!(attacker.state().await, "current=2;primary=2;group=2");
    for id in foreign.into_iter().chain([3]) {
        assert_forged_link_refused(&mut attacker, db, id).await;
    }
    let own = attacker.post_with_csrf("/link/p/2").await;
    assert_forbidden(&own, "POST own id as the primary itself (self-link)");
    assert_eq!(link_count(db).await, 0);

    // The intent pending, 3 signed in: only /link/p/2 completes, and only as a POST.
    attacker.sign_in(3).await;
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2");
    for id in foreign.into_iter().chain([3]) {
        assert_forged_link_refused(&mut attacker, db, id).await;
    }
    assert_eq!(link_count(db).await, 0);
    let done = attacker.post_with_csrf("/link/p/2").await;
    assert_eq!(done.status, 303, "the legitimate link: {done:?}");
    assert_eq!(link_count(db).await, 1);
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2,3");

    // A completed group, no intent: the intent was used up.
    for id in foreign.into_iter().chain([3]) {
        assert_forged_link_refused(&mut attacker, db, id).await;
    }
    let again = attacker.post_with_csrf("/link/p/2").await;
    assert_forbidden(&again, "POST own id after the intent was used");
    assert_eq!(link_count(db).await, 1);
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2,3");

    // None of it reached the victim or the account that does not exist.
    for target in [1, 4, 999] {
        let url = attacker.switch_url(target).await;
        assert_forbidden(&attacker.get(&url).await, &format!("switch to {target}"));
    }
    assert_eq!(attacker.get("/me").await.body, "3");
}

/// The victim's pending intent and even the victim's CSRF token do not let
/// another browser complete a link to the victim, and neither does that
/// browser's own fresh intent (for its own primary) with its own valid token.
pub async fn another_sessions_intent_and_token_do_not_complete_a_link<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let mut victim = harness.client::<U>(&db, &Options::default()).await;
    victim.sign_in(1).await;
    assert_eq!(victim.start_link(1).await.status, 303);
    let victim_token = victim.csrf().await;

    // The attacker's browser presents the victim's CSRF token and path.
    let mut attacker = harness.client::<U>(&db, &Options::default()).await;
    attacker.sign_in(2).await;
    let posted = attacker.post_form("/link/p/1", &[("csrf_token", &victim_token)]).await;
    assert_forbidden(&posted, "POST with the victim's token from another browser");
    let started = attacker.post_form("/link/p/1?start", &[("csrf_token", &victim_token)]).await;
    assert_forbidden(&started, "POST ?start with the victim's token from another browser");
    let token = attacker.up_to_auto_submit(2, 3).await;
    let posted = attacker.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_forbidden(&posted, "POST /link/p/1 with an own fresh intent for 2");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(attacker.state().await, "current=3;primary=2;group=2");
    assert_eq!(victim.state().await, "current=1;primary=1;group=1");
}

/// The app's clock, set by the case.
fn clock(start: u64) -> (Arc<AtomicU64>, Options) {
    let now = Arc::new(AtomicU64::new(start));
    (Arc::clone(&now), Options { clock: Some(now), ..Options::default() })
}

/// A link intent older than 10 minutes cannot be completed: a 403, and the
/// session is back on its primary; 599 s after a fresh start it still can.
pub async fn a_link_intent_expires_after_ten_minutes<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let (now, options) = clock(1_700_000_000);
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;

    let token = client.up_to_auto_submit(1, 2).await;
    assert_eq!(client.get("/me").await.body, "2", "current while the intent is fresh");
    now.fetch_add(601, Ordering::SeqCst);

    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_forbidden(&done, "link POST after 601 s");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client.get("/me").await.body, "1", "back on the primary");
    assert_eq!(client.state().await, "current=1;primary=1;group=1");

    // Control: 599 s after a fresh start the link still completes.
    let token = client.up_to_auto_submit(1, 3).await;
    now.fetch_add(599, Ordering::SeqCst);
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client.state().await, "current=3;primary=1;group=1,3");
}

/// The intent's time limit is exclusive: at exactly its TTL (600 s) it is stale.
pub async fn a_link_intent_is_stale_at_exactly_its_ttl<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(3).await;
    let (now, options) = clock(1_800_000_000);
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    let token = client.up_to_auto_submit(1, 2).await;
    now.fetch_add(600, Ordering::SeqCst);
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 403, "600 s: stale: {done:?}");
    assert_eq!(link_count(&db).await, 0, "no link");
}

/// An intent dated in the future (a clock step back) is not fresh either.
pub async fn a_link_intent_from_the_future_is_not_fresh<U: SuiteUser>(harness: &impl Harness) {
    let (db, _guard) = database(2).await;
    let (now, options) = clock(1_700_000_000);
    let mut client = harness.client::<U>(&db, &options).await;
    client.sign_in(1).await;
    let token = client.up_to_auto_submit(1, 2).await;
    now.fetch_sub(5, Ordering::SeqCst);
    assert_forbidden(&client.post_form("/link/p/1", &[("csrf_token", &token)]).await, "intent from the future");
    assert_eq!(link_count(&db).await, 0);
    assert_eq!(client.state().await, "current=1;primary=1;group=1");
}
