//! The session policy without HTTP: a session is a map of JSON values, each
//! decision's writes are applied to it as an adapter would, and every rule is
//! checked on what the next request sees.

use std::collections::BTreeMap;

use crate::support::user::{self, UserStatus};
use crate::support::{create_all, insert_user};
use multi_account::session::{
    Destinations, FlowRequest, Refusal, Response, SessionConfig, SessionState, SessionWrite, keys,
};
use multi_account::test_database::{TestBackend, TestDatabase};
use serde_json::Value;

const ORIGIN: &str = "http://app.example";

/// A session store of one browser: what an adapter would keep.
#[derive(Clone, Debug, Default, PartialEq)]
struct Session {
    values: BTreeMap<String, Value>,
    renewed: usize,
}

impl Session {
    fn state(&self) -> SessionState {
        SessionState::read(None, |key| self.values.get(key).cloned())
    }

    fn apply(&mut self, writes: &[SessionWrite]) {
        for write in writes {
            match write {
                SessionWrite::Insert { key, value } => {
                    self.values.insert((*key).to_owned(), value.clone());
                }
                SessionWrite::Remove { key } => {
                    self.values.remove(*key);
                }
                SessionWrite::Renew => self.renewed += 1,
                SessionWrite::Purge => self.values.clear(),
                SessionWrite::SetCookie { .. } => {}
            }
        }
    }

    fn csrf(&mut self) -> String {
        let (token, writes) = multi_account::session::csrf_token(&self.state());
        self.apply(&writes);
        token
    }

    fn request(&mut self) -> FlowRequest {
        FlowRequest { csrf_token: Some(self.csrf()), origin: ORIGIN.to_owned(), ..FlowRequest::default() }
    }
}

struct Pages;

impl Destinations for Pages {
    fn after_link(&self) -> String {
        "/".to_owned()
    }
    fn after_switch(&self) -> String {
        "/".to_owned()
    }
    fn sign_in(&self, link: &str) -> String {
        format!("/sign-in?return_to={link}")
    }
    fn signed_out(&self) -> String {
        "/signed-out".to_owned()
    }
}

struct World {
    config: SessionConfig,
    _database: TestDatabase,
}

async fn world() -> World {
    let database = TestDatabase::create(TestBackend::Sqlite).await.unwrap().expect("sqlite");
    let db = database.db.clone();
    create_all(&db).await;
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        insert_user(&db, id, name, UserStatus::Active).await;
    }
    World { config: SessionConfig::new(db), _database: database }
}

impl World {
    async fn user(&self, id: i64) -> user::Model {
        multi_account::LinkService::<user::Model>::active_user(self.config.db(), &id).await.unwrap().unwrap()
    }

    async fn sign_in(&self, session: &mut Session, id: i64) {
        let user = self.user(id).await;
        session.apply(&self.config.sign_in(&session.state(), &user).await.unwrap());
    }

    /// Who the next request sees: (current, group ids), applying the resolution's writes.
    async fn sees(&self, session: &mut Session) -> (Option<i64>, Vec<i64>) {
        let resolution = self.config.resolve::<user::Model>(&session.state()).await;
        session.apply(&resolution.writes);
        let accounts = resolution.accounts;
        (accounts.current.map(|user| user.id), accounts.group.iter().flat_map(|g| g.iter()).map(|u| u.id).collect())
    }

    async fn link(&self, session: &mut Session, primary: i64, linked: i64) {
        let request = session.request();
        let started =
            self.config.link_start::<user::Model>(&session.state(), &request, &primary.to_string(), &Pages).await;
        assert_eq!(started.response, Response::Redirect(format!("/sign-in?return_to=/link/p/{primary}")));
        session.apply(&started.writes);
        self.sign_in(session, linked).await;
        let page = self.config.link_page::<user::Model>(&session.state(), &primary.to_string()).await;
        session.apply(&page.writes);
        let Response::AutoSubmit(form) = page.response else { panic!("auto-submit expected: {page:?}") };
        assert_eq!(form.action, format!("/link/p/{primary}"));
        let request =
            FlowRequest { csrf_token: Some(form.csrf_token), origin: ORIGIN.to_owned(), ..Default::default() };
        let done = self.config.link_complete::<user::Model>(&session.state(), &request, &primary.to_string()).await;
        assert_eq!(done.response, Response::Redirect("/".to_owned()), "{done:?}");
        session.apply(&done.writes);
    }
}

#[tokio::test]
async fn sign_in_writes_the_subject_a_token_a_record_and_renews() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    assert_eq!(session.values[keys::USER], Value::from("user?id=1"));
    assert_eq!(session.values[keys::SESSION_TOKEN].as_str().map(str::len), Some(32));
    assert_eq!(session.values[keys::CSRF_TOKEN].as_str().map(str::len), Some(64));
    assert!(session.values[keys::AUTH_FINGERPRINTS].get("1").is_some(), "{session:?}");
    assert_eq!(session.renewed, 1);
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![]));
}

#[tokio::test]
async fn a_subject_without_a_sign_in_record_is_nobody_and_is_forgotten() {
    let world = world().await;
    let mut session = Session::default();
    session.values.insert(keys::USER.to_owned(), Value::from("user?id=2"));
    assert_eq!(world.sees(&mut session).await, (None, vec![]));
    assert!(!session.values.contains_key(keys::USER), "forgotten: {session:?}");
}

#[tokio::test]
async fn a_link_flow_makes_a_group_and_a_switch_moves_within_it_only() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    assert_eq!(world.sees(&mut session).await, (Some(2), vec![1, 2]));

    let request = session.request();
    let switched = world.config.switch::<user::Model>(&session.state(), &request, "1", &Pages).await;
    assert_eq!(switched.response, Response::Redirect("/".to_owned()));
    session.apply(&switched.writes);
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![1, 2]));

    let before = session.csrf();
    let request = session.request();
    let refused = world.config.switch::<user::Model>(&session.state(), &request, "3", &Pages).await;
    assert!(matches!(refused.response, Response::Refused(Refusal::NotInGroup)), "{refused:?}");
    assert!(
        matches!(refused.writes.as_slice(), [SessionWrite::Insert { key, .. }] if *key == keys::CSRF_TOKEN),
        "a refused switch spends the token and writes nothing else: {:?}",
        refused.writes
    );
    session.apply(&refused.writes);
    assert_ne!(session.csrf(), before);
}

#[tokio::test]
async fn cross_site_or_tokenless_requests_are_refused_before_anything_is_read() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let token = session.csrf();
    let cases = [
        (Some(token.clone()), Some("cross-site"), None, Refusal::Forbidden("cross-site request")),
        (Some(token.clone()), None, Some("http://evil.example"), Refusal::Forbidden("cross-site request")),
        (None, Some("same-origin"), None, Refusal::Csrf),
        (Some("0".repeat(64)), None, None, Refusal::Csrf),
    ];
    for (csrf_token, site, origin, refusal) in cases {
        let request = FlowRequest {
            csrf_token,
            origin: ORIGIN.to_owned(),
            sec_fetch_site: site.map(Into::into),
            origin_header: origin.map(Into::into),
            referer: None,
        };
        let state = session.state();
        let decisions = [
            world.config.link_start::<user::Model>(&state, &request, "1", &Pages).await,
            world.config.link_complete::<user::Model>(&state, &request, "1").await,
            world.config.switch::<user::Model>(&state, &request, "1", &Pages).await,
            world.config.remove::<user::Model>(&state, &request, "1", &Pages).await,
            world.config.sign_out_all_flow::<user::Model>(&state, &request, false, &Pages).await,
        ];
        for decision in decisions {
            assert_eq!(decision.response, Response::Refused(refusal), "{request:?}");
            assert!(decision.writes.is_empty(), "nothing written: {decision:?}");
        }
    }
}

#[tokio::test]
async fn a_copy_taken_before_the_link_completes_regains_nothing_after_sign_out_all() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    world.sign_in(&mut session, 2).await;
    let copy = session.clone();
    let page = world.config.link_page::<user::Model>(&session.state(), "1").await;
    session.apply(&page.writes);
    let Response::AutoSubmit(form) = page.response else { panic!("{page:?}") };
    let request = FlowRequest { csrf_token: Some(form.csrf_token), origin: ORIGIN.to_owned(), ..Default::default() };
    let done = world.config.link_complete::<user::Model>(&session.state(), &request, "1").await;
    session.apply(&done.writes);
    let (writes, removed) = world.config.sign_out_all::<user::Model>(&session.state()).await.unwrap();
    assert_eq!(writes, vec![SessionWrite::Purge]);
    assert_eq!(removed, 1);

    let mut copy = copy;
    assert_eq!(world.sees(&mut copy).await, (None, vec![]), "the group was signed out of: the copy is nobody");
    let page = world.config.link_page::<user::Model>(&copy.state(), "1").await;
    assert!(matches!(page.response, Response::Refused(Refusal::Unauthorized)), "no page for the copy: {page:?}");
}

#[tokio::test]
async fn the_gate_off_refuses_every_flow_and_puts_a_linked_session_back_on_its_primary() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    world.config.set_enabled(false);
    let request = session.request();
    let decision = world.config.switch::<user::Model>(&session.state(), &request, "1", &Pages).await;
    assert_eq!(decision.response, Response::Refused(Refusal::Disabled));
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![]), "the primary, in standard mode");
}

#[tokio::test]
async fn an_expired_intent_completes_nothing() {
    let world = world().await;
    let now = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1_000));
    let clock = now.clone();
    let config = world.config.clone().with_clock(move || clock.load(std::sync::atomic::Ordering::Relaxed));
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let started = config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    world.sign_in(&mut session, 2).await;
    now.store(1_000 + 599, std::sync::atomic::Ordering::Relaxed);
    let page = config.link_page::<user::Model>(&session.state(), "1").await;
    assert!(matches!(page.response, Response::AutoSubmit(_)), "fresh a second before: {page:?}");
    session.apply(&page.writes);
    now.store(1_000 + 600, std::sync::atomic::Ordering::Relaxed);
    let page = config.link_page::<user::Model>(&session.state(), "1").await;
    assert!(matches!(page.response, Response::LinkStart(_)), "stale at exactly its TTL: {page:?}");
}

async fn refused_link_complete(world: &World, session: &mut Session, path: &str) -> Response {
    let request = session.request();
    let decision = world.config.link_complete::<user::Model>(&session.state(), &request, path).await;
    decision.response
}

#[tokio::test]
async fn a_link_completes_only_for_another_account_of_the_sessions_primary_with_a_fresh_intent() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let forbidden = |reason| Response::Refused(Refusal::Forbidden(reason));
    assert_eq!(
        refused_link_complete(&world, &mut session, "1").await,
        forbidden("no_multi_account_session"),
        "standard mode"
    );
    let request = session.request();
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    assert_eq!(refused_link_complete(&world, &mut session, "1").await, forbidden("current_is_primary"));
    world.sign_in(&mut session, 2).await;
    assert_eq!(refused_link_complete(&world, &mut session, "3").await, forbidden("path_is_not_session_primary"));
    assert_eq!(refused_link_complete(&world, &mut session, "x").await, Response::Refused(Refusal::MalformedId));
    let request = session.request();
    let done = world.config.link_complete::<user::Model>(&session.state(), &request, "1").await;
    assert_eq!(done.response, Response::Redirect("/".to_owned()));
    session.apply(&done.writes);
    assert_eq!(refused_link_complete(&world, &mut session, "1").await, forbidden("no_fresh_link_intent"), "once");
    assert_eq!(world.sees(&mut session).await, (Some(2), vec![1, 2]));
}

#[tokio::test]
async fn a_link_start_needs_the_primary_or_a_member_and_remembers_where_to_return() {
    let world = world().await;
    let mut session = Session::default();
    let request = session.request();
    let signed_out = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    assert_eq!(signed_out.response, Response::Refused(Refusal::Unauthorized), "signed out, with a token");
    world.sign_in(&mut session, 1).await;
    let mut request = session.request();
    let other = world.config.link_start::<user::Model>(&session.state(), &request, "2", &Pages).await;
    assert!(matches!(other.response, Response::Refused(Refusal::Forbidden(_))), "{other:?}");
    assert!(other.writes.is_empty(), "{other:?}");
    request.referer = Some(format!("{ORIGIN}/settings?tab=2"));
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    let intent = &session.values[keys::LINK_INTENT];
    assert_eq!(intent["return_to"], Value::from("/settings?tab=2"), "{intent}");
    assert_eq!(intent["primary"], Value::from("1"));
    assert_eq!(session.values[keys::PRIMARY_USER_ID], Value::from("1"));
    // The link page itself is no place to return to.
    request = session.request();
    request.referer = Some(format!("{ORIGIN}/link/p/1?start"));
    let again = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&again.writes);
    assert_eq!(session.values[keys::LINK_INTENT]["return_to"], Value::from("/"));
}

#[tokio::test]
async fn a_session_without_room_refuses_a_link_start_with_a_message() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let size = serde_json::to_string(&session.values).unwrap().len();
    for (budget, measured, fits) in
        [(Some(size + 400), true, true), (Some(size + 100), true, false), (Some(0), false, true), (None, true, true)]
    {
        let config = world.config.clone().with_session_budget(budget);
        let state = if measured { session.state().with_size(size) } else { session.state() };
        let decision = config.link_start::<user::Model>(&state, &request, "1", &Pages).await;
        let wrote = |key: &str| {
            decision.writes.iter().any(|write| matches!(write, SessionWrite::Insert { key: k, .. } if *k == key))
        };
        if fits {
            assert!(wrote(keys::LINK_INTENT), "{budget:?} {measured}: {decision:?}");
        } else {
            assert_eq!(decision.response, Response::Redirect("/".to_owned()));
            assert!(wrote(keys::FLASH) && !wrote(keys::LINK_INTENT), "{decision:?}");
        }
    }
}

#[tokio::test]
async fn remove_takes_one_account_out_and_the_primary_stays() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    world.link(&mut session, 1, 3).await;
    assert_eq!(world.sees(&mut session).await, (Some(3), vec![1, 2, 3]));

    let request = session.request();
    let primary = world.config.remove::<user::Model>(&session.state(), &request, "1", &Pages).await;
    assert_eq!(primary.response, Response::Redirect("/".to_owned()));
    assert!(
        matches!(primary.writes.as_slice(), [SessionWrite::Insert { key, .. }] if *key == keys::FLASH),
        "{primary:?}"
    );
    session.apply(&primary.writes);

    let request = session.request();
    let removed = world.config.remove::<user::Model>(&session.state(), &request, "3", &Pages).await;
    assert_eq!(removed.response, Response::Redirect("/".to_owned()));
    session.apply(&removed.writes);
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![1, 2]), "the acting account went: back to the primary");
    assert!(session.values[keys::AUTH_FINGERPRINTS].get("3").is_none(), "its record too: {session:?}");

    let request = session.request();
    let again = world.config.remove::<user::Model>(&session.state(), &request, "3", &Pages).await;
    assert!(matches!(again.response, Response::Refused(Refusal::NotInGroup)), "{again:?}");

    let request = session.request();
    let other = world.config.remove::<user::Model>(&session.state(), &request, "2", &Pages).await;
    session.apply(&other.writes);
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![1]), "a member that was not acting");
}

#[tokio::test]
async fn a_sign_in_outside_a_link_starts_over_and_keeps_only_its_own_record() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    let token = session.values[keys::SESSION_TOKEN].clone();
    world.sign_in(&mut session, 3).await;
    assert_ne!(session.values[keys::SESSION_TOKEN], token, "a new token");
    assert!(!session.values.contains_key(keys::PRIMARY_USER_ID));
    let records: Vec<&String> = session.values[keys::AUTH_FINGERPRINTS].as_object().unwrap().keys().collect();
    assert_eq!(records, ["3"]);
    assert_eq!(world.sees(&mut session).await, (Some(3), vec![]));
}

#[tokio::test]
async fn an_identity_sign_in_is_adopted_once_and_its_logout_signs_out() {
    const KEY: &str = "identity.id";
    let world = world().await;
    let mut session = Session::default();
    session.values.insert(KEY.to_owned(), Value::from("2"));
    let read = |session: &Session| SessionState::read(Some(KEY), |key| session.values.get(key).cloned());
    let resolution = world.config.resolve::<user::Model>(&read(&session)).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(2));
    session.apply(&resolution.writes);
    assert_eq!(session.values[keys::USER], Value::from("user?id=2"));
    assert_eq!(session.values[keys::VIA_IDENTITY], Value::from(true));
    assert!(session.values[keys::AUTH_FINGERPRINTS].get("2").is_some());
    assert!(session.values.contains_key(keys::CSRF_TOKEN), "a new CSRF token");
    let again = world.config.resolve::<user::Model>(&read(&session)).await;
    assert!(again.writes.is_empty(), "adopted once: {:?}", again.writes);
    session.values.remove(KEY);
    let logged_out = world.config.resolve::<user::Model>(&read(&session)).await;
    assert!(logged_out.accounts.current.is_none());
    session.apply(&logged_out.writes);
    assert!(!session.values.contains_key(keys::USER), "the subject goes with the identity: {session:?}");
}

#[tokio::test]
async fn a_new_password_signs_the_account_out_of_this_session() {
    use crate::support::hashed_user;
    use sea_orm::{ActiveModelTrait, Set};
    let world = world().await;
    let db = world.config.db();
    let alice =
        hashed_user::ActiveModel { id: Set(1), password_hash: Set("hash-1".to_owned()) }.insert(db).await.unwrap();
    let mut session = Session::default();
    session.apply(&world.config.sign_in(&session.state(), &alice).await.unwrap());
    let resolution = world.config.resolve::<hashed_user::Model>(&session.state()).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(1));
    hashed_user::ActiveModel { id: Set(1), password_hash: Set("hash-2".to_owned()) }.update(db).await.unwrap();
    let resolution = world.config.resolve::<hashed_user::Model>(&session.state()).await;
    assert!(resolution.accounts.current.is_none(), "a new password");
    session.apply(&resolution.writes);
    assert!(!session.values.contains_key(keys::USER));
}

/// Whether a link start on `state` under `budget` fits (writes an intent).
async fn start_fits(world: &World, state: SessionState, request: &FlowRequest, budget: usize) -> bool {
    let config = world.config.clone().with_session_budget(Some(budget));
    let decision = config.link_start::<user::Model>(&state, request, "1", &Pages).await;
    decision.writes.iter().any(|write| matches!(write, SessionWrite::Insert { key, .. } if *key == keys::LINK_INTENT))
}

#[tokio::test]
async fn a_link_start_fits_exactly_when_the_intent_and_one_more_record_fit() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let size = 1000;
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    let intent = started.writes.iter().find_map(|write| match write {
        SessionWrite::Insert { key, value } if *key == keys::LINK_INTENT => Some(value.to_string()),
        _ => None,
    });
    let intent = intent.expect("an intent");
    // Quoted and escaped inside the state: at most twice its length; a record:
    // the longest i64 (20), a 16-character fingerprint and 10 of quoting.
    let needed = size + intent.len() * 2 + 20 + 16 + 10;
    let state = session.state().with_size(size);
    assert!(start_fits(&world, state.clone(), &request, needed).await, "room for exactly that");
    assert!(!start_fits(&world, state, &request, needed - 1).await, "one byte less");
}

#[tokio::test]
async fn a_link_completes_only_while_the_session_without_its_intent_is_within_the_budget() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    world.sign_in(&mut session, 2).await;
    let request = session.request();
    let intent = session.values[keys::LINK_INTENT].to_string();
    let intent_entry =
        serde_json::to_string(keys::LINK_INTENT).unwrap().len() + serde_json::to_string(&intent).unwrap().len() + 2;
    let size = 2000;
    // The refusal first: it changes nothing in the database.
    for (budget, completes) in [(size - intent_entry - 1, false), (size - intent_entry, true)] {
        let config = world.config.clone().with_session_budget(Some(budget));
        let state = session.state().with_size(size);
        let decision = config.link_complete::<user::Model>(&state, &request, "1").await;
        let flashed = decision
            .writes
            .iter()
            .any(|write| matches!(write, SessionWrite::Insert { key, .. } if *key == keys::FLASH));
        assert_eq!(!flashed, completes, "budget {budget}: {decision:?}");
        assert_eq!(decision.response, Response::Redirect("/".to_owned()));
        if !completes {
            let mut refused = session.clone();
            refused.apply(&decision.writes);
            assert_eq!(world.sees(&mut refused).await, (Some(1), vec![1]), "back on the primary, nothing linked");
        }
    }
}

#[tokio::test]
async fn members_start_links_only_for_their_own_primary_and_never_auto_submit() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    assert_eq!(world.sees(&mut session).await, (Some(2), vec![1, 2]));
    let request = session.request();
    let other = world.config.link_start::<user::Model>(&session.state(), &request, "2", &Pages).await;
    assert!(
        matches!(other.response, Response::Refused(Refusal::Forbidden(_))),
        "2 is a member, not a primary: {other:?}"
    );
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    assert!(matches!(started.response, Response::Redirect(_)), "{started:?}");
    session.apply(&started.writes);
    let page = world.config.link_page::<user::Model>(&session.state(), "1").await;
    assert!(matches!(page.response, Response::LinkStart(_)), "a member with a pending link: {page:?}");
}

#[tokio::test]
async fn removing_another_member_keeps_the_acting_account() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    world.link(&mut session, 1, 3).await;
    assert_eq!(world.sees(&mut session).await, (Some(3), vec![1, 2, 3]));
    let request = session.request();
    let removed = world.config.remove::<user::Model>(&session.state(), &request, "2", &Pages).await;
    session.apply(&removed.writes);
    assert_eq!(world.sees(&mut session).await, (Some(3), vec![1, 3]), "3 still acts");
}

#[tokio::test]
async fn a_group_whose_primary_has_no_sign_in_here_signs_the_session_out() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    // A copied group row: the primary never signed in with this cookie.
    session.values.get_mut(keys::AUTH_FINGERPRINTS).and_then(Value::as_object_mut).map(|records| records.remove("1"));
    assert_eq!(world.sees(&mut session).await, (None, vec![]));
    assert!(!session.values.contains_key(keys::PRIMARY_USER_ID), "out of multi-account mode: {session:?}");
    assert!(!session.values.contains_key(keys::USER));
}

#[tokio::test]
async fn a_deactivated_primary_leaves_its_acting_member_signed_in_alone() {
    use sea_orm::ConnectionTrait;
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    world.config.db().execute_unprepared("UPDATE users SET status = 'suspended' WHERE id = 1").await.unwrap();
    assert_eq!(world.sees(&mut session).await, (Some(2), vec![]), "2 acts on, in standard mode");
    assert!(!session.values.contains_key(keys::PRIMARY_USER_ID));
}

#[tokio::test]
async fn a_pending_link_takes_no_account_without_a_sign_in_here() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let request = session.request();
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    // The subject of another account, written without signing it in.
    session.values.insert(keys::USER.to_owned(), Value::from("user?id=2"));
    assert_eq!(world.sees(&mut session).await, (Some(1), vec![1]), "back on the primary");
    let page = world.config.link_page::<user::Model>(&session.state(), "1").await;
    assert!(matches!(page.response, Response::LinkStart(_)), "{page:?}");
}

#[tokio::test]
async fn signed_out_sessions_lose_their_multi_account_keys() {
    let world = world().await;
    let mut session = Session::default();
    session.values.insert(keys::PRIMARY_USER_ID.to_owned(), Value::from("1"));
    session.values.insert(keys::SESSION_TOKEN.to_owned(), Value::from("t".repeat(32)));
    assert_eq!(world.sees(&mut session).await, (None, vec![]));
    assert!(session.values.is_empty(), "{session:?}");
}

#[tokio::test]
async fn a_steady_session_is_resolved_without_a_write() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    let resolution = world.config.resolve::<user::Model>(&session.state()).await;
    assert!(resolution.writes.is_empty(), "{:?}", resolution.writes);
    let request = session.request();
    let switched = world.config.switch::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&switched.writes);
    world.config.set_enabled(false);
    let resolution = world.config.resolve::<user::Model>(&session.state()).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(1));
    assert!(resolution.writes.is_empty(), "the gate off, on the primary: {:?}", resolution.writes);
}

#[tokio::test]
async fn rotating_the_csrf_token_spends_the_old_one() {
    let mut session = Session::default();
    let old = session.csrf();
    let (new, writes) = multi_account::session::rotate_csrf_token(&session.state());
    assert_eq!(new.len(), 64);
    assert_ne!(new, old);
    session.apply(&writes);
    assert_eq!(session.csrf(), new, "written");
    assert!(!session.state().csrf_matches(Some(&old)));
    assert!(session.state().csrf_matches(Some(&new)));
}

#[tokio::test]
async fn a_switch_moves_the_identity_layers_id_too() {
    const KEY: &str = "identity.id";
    let world = world().await;
    let mut session = Session::default();
    session.values.insert(KEY.to_owned(), Value::from("1"));
    let read = |session: &Session| SessionState::read(Some(KEY), |key| session.values.get(key).cloned());
    let resolution = world.config.resolve::<user::Model>(&read(&session)).await;
    session.apply(&resolution.writes);
    world.link(&mut session, 1, 2).await;
    // The link signed 2 in with `sign_in`; the identity layer still names 1.
    session.values.insert(KEY.to_owned(), Value::from("2"));
    let request = session.request();
    let switched = world.config.switch::<user::Model>(&read(&session), &request, "1", &Pages).await;
    assert!(matches!(switched.response, Response::Redirect(_)), "{switched:?}");
    session.apply(&switched.writes);
    assert_eq!(session.values[KEY], Value::from("1"), "the identity follows the switch");
    assert_eq!(session.values[keys::USER], Value::from("user?id=1"));
    let resolution = world.config.resolve::<user::Model>(&read(&session)).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(1));
}

#[tokio::test]
async fn a_session_without_an_identity_key_gets_none_written() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    // Read as an app with an identity layer would: a session signed in without
    // it is still signed in.
    let with_identity = SessionState::read(Some("identity.id"), |key| session.values.get(key).cloned());
    let resolution = world.config.resolve::<user::Model>(&with_identity).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(2));
    let request = session.request();
    let switched = world.config.switch::<user::Model>(&session.state(), &request, "1", &Pages).await;
    let keys_written: Vec<&str> = switched
        .writes
        .iter()
        .filter_map(|write| match write {
            SessionWrite::Insert { key, .. } => Some(*key),
            _ => None,
        })
        .collect();
    assert_eq!(keys_written, [keys::USER, keys::CSRF_TOKEN], "{:?}", switched.writes);
}

#[tokio::test]
async fn an_empty_or_overlong_session_token_is_no_token() {
    for token in [String::new(), "t".repeat(multi_account::MAX_SESSION_TOKEN_LEN + 1)] {
        let mut values = BTreeMap::new();
        values.insert(keys::SESSION_TOKEN.to_owned(), Value::from(token.clone()));
        values.insert(keys::PRIMARY_USER_ID.to_owned(), Value::from("1"));
        let state = SessionState::read(None, |key| values.get(key).cloned());
        assert_eq!(state.session_token(), None, "{token:?}");
        assert!(state.multi_account::<user::Model>().is_none());
    }
    let longest = "t".repeat(multi_account::MAX_SESSION_TOKEN_LEN);
    let state = SessionState::read(None, |key| (key == keys::SESSION_TOKEN).then(|| Value::from(longest.clone())));
    assert_eq!(state.session_token(), Some(longest.as_str()));
}

#[tokio::test]
async fn the_pending_link_is_known_while_its_intent_is_fresh() {
    let world = world().await;
    let now = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(5_000));
    let clock = now.clone();
    let config = world.config.clone().with_clock(move || clock.load(std::sync::atomic::Ordering::Relaxed));
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    assert_eq!(config.pending_link::<user::Model>(&session.state()), None);
    let request = session.request();
    let started = config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    assert_eq!(config.pending_link::<user::Model>(&session.state()), Some(1));
    now.store(5_000 + 600, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(config.pending_link::<user::Model>(&session.state()), None, "stale");
}

#[tokio::test]
async fn a_decision_reads_its_own_writes() {
    // An identity sign-in adopted while the link page renders: the adoption
    // rotates the CSRF token, and the page's form carries the rotated one.
    const KEY: &str = "identity.id";
    let world = world().await;
    let mut session = Session::default();
    let old = session.csrf();
    session.values.insert(KEY.to_owned(), Value::from("1"));
    let state = SessionState::read(Some(KEY), |key| session.values.get(key).cloned());
    let page = world.config.link_page::<user::Model>(&state, "1").await;
    let Response::LinkStart(form) = page.response else { panic!("{page:?}") };
    let last_token = page.writes.iter().rev().find_map(|write| match write {
        SessionWrite::Insert { key, value } if *key == keys::CSRF_TOKEN => value.as_str(),
        _ => None,
    });
    assert_ne!(form.csrf_token, old, "the adoption rotated the token");
    assert_eq!(last_token, Some(form.csrf_token.as_str()), "the form carries the token written last");
}

#[tokio::test]
async fn the_resolved_accounts_name_the_primary_and_list_each_account_once() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let ids = |accounts: &multi_account::session::Accounts<user::Model>| {
        (accounts.primary().map(|user| user.id), accounts.listed().iter().map(|user| user.id).collect::<Vec<_>>())
    };
    let alone = world.config.resolve::<user::Model>(&session.state()).await.accounts;
    assert_eq!(ids(&alone), (None, vec![1]), "signed in alone: no primary, the account itself listed");
    // Mid-link: bob signed in, the group still only alice; the switcher lists both.
    let request = session.request();
    let started = world.config.link_start::<user::Model>(&session.state(), &request, "1", &Pages).await;
    session.apply(&started.writes);
    world.sign_in(&mut session, 2).await;
    let pending = world.config.resolve::<user::Model>(&session.state()).await.accounts;
    assert_eq!(ids(&pending), (Some(1), vec![1, 2]), "the group, then the account completing the link");
    let mut linked = Session::default();
    world.sign_in(&mut linked, 1).await;
    world.link(&mut linked, 1, 2).await;
    let group = world.config.resolve::<user::Model>(&linked.state()).await.accounts;
    assert_eq!(ids(&group), (Some(1), vec![1, 2]), "a member is listed once");
}

#[tokio::test]
async fn a_database_failure_is_a_signed_out_request_marked_as_failed() {
    use sea_orm::ConnectionTrait;
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    let resolved = world.config.resolve::<user::Model>(&session.state()).await;
    assert!(!resolved.accounts.database_failed);
    world.config.db().execute_unprepared("DROP TABLE linked_accounts").await.unwrap();
    world.config.db().execute_unprepared("DROP TABLE users").await.unwrap();
    let failed = world.config.resolve::<user::Model>(&session.state()).await;
    assert!(failed.accounts.current.is_none());
    assert!(failed.accounts.database_failed, "{:?}", failed.accounts);
    assert!(failed.writes.is_empty(), "a failure forgets nobody: {:?}", failed.writes);
}

#[tokio::test]
async fn the_config_reports_what_it_was_built_with() {
    let world = world().await;
    let paths = multi_account::session::Paths { switch: "/accounts/use/{user_id}".to_owned(), ..Default::default() };
    let config = world.config.clone().with_paths(paths).with_identity_key(Some("id")).with_session_budget(Some(1234));
    assert_eq!(config.paths().switch, "/accounts/use/{user_id}");
    assert_eq!(config.identity_key(), Some("id"));
    assert_eq!(config.session_budget(), Some(1234));
    assert_eq!(world.config.clone().with_session_budget(None).session_budget(), None);
    assert_eq!(world.config.identity_key(), None);
    let debug = format!("{config:?}");
    assert!(debug.contains("SessionConfig") && debug.contains("1234"), "{debug}");
    // Read through the config, an identity layer's login is seen.
    let mut session = Session::default();
    session.values.insert("id".to_owned(), Value::from("2"));
    let state = config.read_state(|key| session.values.get(key).cloned());
    let resolution = config.resolve::<user::Model>(&state).await;
    assert_eq!(resolution.accounts.current.map(|user| user.id), Some(2));
}

/// The audit events logged while `run` runs, as tracing's fmt layer writes them.
async fn audit_log(run: impl AsyncFnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_target(true)
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    {
        // Each `#[tokio::test]` runs on one thread: the default covers the whole case.
        let _guard = tracing::subscriber::set_default(subscriber);
        run().await;
    }
    let lines = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    lines.lines().filter(|line| line.contains(multi_account::session::AUDIT_TARGET)).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn state_changes_and_refusals_are_audit_events_with_their_ids() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    let log = audit_log(async || {
        let request = session.request();
        let switched = world.config.switch::<user::Model>(&session.state(), &request, "1", &Pages).await;
        session.apply(&switched.writes);
        let request = session.request();
        world.config.switch::<user::Model>(&session.state(), &request, "3", &Pages).await;
    })
    .await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "one event per switch: {log}");
    assert!(lines[0].contains(r#"event="switch""#) && lines[0].contains("primary=1 user=1"), "{log}");
    assert!(lines[1].contains(r#"event="refused""#) && lines[1].contains(r#"action="switch""#), "{log}");
    assert!(lines[1].contains("primary=1") && lines[1].contains("user=3"), "the ids of the refusal: {log}");
}

#[tokio::test]
async fn sign_out_all_is_an_audit_event_with_the_primary_and_the_links_removed() {
    let world = world().await;
    let mut session = Session::default();
    world.sign_in(&mut session, 1).await;
    world.link(&mut session, 1, 2).await;
    let state = session.state();
    let log = audit_log(async || {
        world.config.sign_out_all::<user::Model>(&state).await.unwrap();
    })
    .await;
    assert!(log.contains(r#"event="sign_out_all""#), "{log}");
    // The link to account 2 (the group's own row is not counted).
    assert!(log.contains("primary=1 links_removed=1"), "the primary's id, not an empty field: {log}");
}
