//! The replay matrix: through every flow, a copy of the cookie taken after each
//! step and replayed after each later step never has an account it did not
//! have when copied, never re-creates a row, and never undoes a sign-out
//! (a copy that carries the group reaches nobody after sign-out-all; a
//! cookie-store copy from before the group existed keeps its one account).

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::app::{SuiteUser, database, link_rows_with_tokens};
use crate::client::{Client, Harness, Options, auto_submit_token};
use crate::json;

/// How the person's browser drives the flows: the HTML routes, or the JSON API
/// (the same steps, the same checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Html,
    Json,
}

/// One step of a person's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    SignIn(i64),
    StartLink,
    /// The account signs in while the link is pending, and the auto-submit
    /// page is showing.
    AutoSubmitShown(i64),
    CompleteLink,
    Switch(i64),
    Remove(i64),
    PasswordChange(i64),
    SignOut,
    SignOutAll,
}

pub const THROUGH_SIGN_OUT_ALL: &[Step] = &[
    Step::SignIn(1),
    Step::StartLink,
    Step::AutoSubmitShown(2),
    Step::CompleteLink,
    Step::Switch(1),
    Step::StartLink,
    Step::AutoSubmitShown(3),
    Step::CompleteLink,
    Step::Remove(2),
    Step::PasswordChange(3),
    Step::SignOutAll,
];

pub const THROUGH_SIGN_OUT: &[Step] =
    &[Step::SignIn(1), Step::StartLink, Step::AutoSubmitShown(2), Step::CompleteLink, Step::Switch(1), Step::SignOut];

/// The parsed `/state` line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    current: Option<i64>,
    group: Vec<i64>,
}

impl State {
    fn parse(line: &str) -> Self {
        let mut parts = line.split(';').map(|part| part.split_once('=').map_or("", |(_, value)| value));
        let id = |text: &str| text.parse::<i64>().ok();
        let current = parts.next().and_then(id);
        let _primary = parts.next();
        let group = parts.next().unwrap_or("").split(',').filter_map(id).collect();
        Self { current, group }
    }

    /// Every account this session can act as or switch to.
    fn accounts(&self) -> BTreeSet<i64> {
        self.current.iter().chain(self.group.iter()).copied().collect()
    }
}

/// Back to the seeded users and no links.
async fn reset(db: &DatabaseConnection) {
    db.execute_unprepared("DELETE FROM linked_accounts").await.unwrap();
    for id in 1..=3 {
        db.execute_unprepared(&format!(
            "UPDATE users SET password_hash = 'hash-{id}', status = 'active' WHERE id = {id}"
        ))
        .await
        .unwrap();
    }
}

async fn run_step(
    client: &mut impl Client,
    db: &DatabaseConnection,
    via: Via,
    step: Step,
    auto_submit: &mut Option<String>,
) {
    if via == Via::Json {
        let reply = match step {
            Step::StartLink => json::post_with_token(client, "link/start").await,
            Step::AutoSubmitShown(id) => {
                client.sign_in(id).await;
                let accounts = json::accounts(client).await;
                assert_eq!(json::account(&accounts, id)["pending"], true, "{step:?}: {accounts}");
                return;
            }
            Step::CompleteLink => json::post_with_token(client, "link/complete").await,
            Step::Switch(id) => json::post_with_token(client, &format!("switch/{id}")).await,
            Step::Remove(id) => json::post_with_token(client, &format!("remove/{id}")).await,
            Step::SignOutAll => json::post_with_token(client, "sign-out-all").await,
            Step::SignIn(_) | Step::PasswordChange(_) | Step::SignOut => {
                return Box::pin(run_step(client, db, Via::Html, step, auto_submit)).await;
            }
        };
        assert_eq!(reply.status, 200, "{step:?} over JSON: {reply:?}");
        return;
    }
    let reply = match step {
        Step::SignIn(id) => client.sign_in(id).await,
        Step::StartLink => client.start_link(1).await,
        Step::AutoSubmitShown(id) => {
            client.sign_in(id).await;
            let page = client.get("/link/p/1").await;
            *auto_submit = auto_submit_token(&page.body);
            assert!(auto_submit.is_some(), "{step:?}: the auto-submit page: {page:?}");
            page
        }
        Step::CompleteLink => {
            let token = auto_submit.take().expect("an auto-submit page before");
            client.post_form("/link/p/1", &[("csrf_token", &token)]).await
        }
        Step::Switch(id) => client.switch(id).await,
        Step::Remove(id) => client.post_with_csrf(&format!("/link/remove/{id}")).await,
        Step::PasswordChange(id) => {
            db.execute_unprepared(&format!("UPDATE users SET password_hash = 'changed' WHERE id = {id}"))
                .await
                .unwrap();
            return;
        }
        Step::SignOut => client.post_form("/sign-out", &[]).await,
        Step::SignOutAll => client.post_with_csrf("/link/sign-out-all").await,
    };
    assert!((200..400).contains(&reply.status), "{step:?}: {reply:?}");
}

/// Steps after which a server-side session has a new id.
fn renews(step: Step) -> bool {
    matches!(step, Step::SignIn(_) | Step::AutoSubmitShown(_) | Step::CompleteLink | Step::Switch(_) | Step::Remove(_))
}

/// What must hold for a copy taken after `steps[copied]`, replayed after
/// `steps[now]`, whose state at the copy was `had` (`auth_hash`: whether the
/// user type drops an account on a password change).
fn check_replayed(
    steps: &[Step],
    (copied, now): (usize, usize),
    server_side: bool,
    auth_hash: bool,
    had: &State,
    seen: &State,
) {
    let what = format!("copy after {:?} (#{copied}), replayed after {:?} (#{now})", steps[copied], steps[now]);
    let later = &steps[copied + 1..=now];
    assert!(seen.accounts().is_subset(&had.accounts()), "{what}: no account it did not have: {had:?} → {seen:?}");
    let signed_out_all = later.contains(&Step::SignOutAll);
    let signed_out = later.contains(&Step::SignOut);
    if signed_out_all {
        // Sign-out-all revokes the group server-side: a copy that carries it
        // (taken once "Add another account" opened it) reaches nobody on any
        // store. A cookie store cannot revoke a copy from before the group
        // existed: it keeps the one account it had, no more.
        let carries_the_group = steps[..=copied].contains(&Step::StartLink);
        if carries_the_group {
            assert!(seen.accounts().is_empty(), "{what}: the group was signed out of: {seen:?}");
        } else {
            assert!(seen.accounts().len() <= 1, "{what}: sign-out-all ended the group: {seen:?}");
        }
    }
    if server_side && (signed_out_all || signed_out || later.iter().any(|step| renews(*step))) {
        assert_eq!(seen.current, None, "{what}: a server-side store: the old session id is dead: {seen:?}");
    }
    for (index, step) in later.iter().enumerate() {
        match *step {
            Step::Remove(id) if !later[index..].contains(&Step::AutoSubmitShown(id)) => {
                assert!(!seen.group.contains(&id), "{what}: removed account {id} is not in the group: {seen:?}");
            }
            Step::PasswordChange(id) if auth_hash => {
                assert!(!seen.accounts().contains(&id), "{what}: account {id} changed its password: {seen:?}");
            }
            _ => {}
        }
    }
}

/// The copy's attempts over JSON: complete a link, switch to every account,
/// and as a member fork the group (refused).
async fn replay_attempts_over_json(client: &mut impl Client) {
    json::post_with_token(client, "link/complete").await;
    for target in 1..=3 {
        json::post_with_token(client, &format!("switch/{target}")).await;
    }
    let seen = State::parse(&client.state().await);
    if let Some(member) = seen.group.iter().copied().find(|id| *id != 1) {
        json::post_with_token(client, &format!("switch/{member}")).await;
        if json::post_with_token(client, "link/start").await.status == 200 {
            let completed = json::post_with_token(client, "link/complete").await;
            assert!(completed.is_client_error(), "a member's completion is refused: {completed:?}");
        }
    }
}

/// The copy's attempts to regain what it lost: complete a link with its own
/// auto-submit page, switch to every account.
async fn replay_attempts(client: &mut impl Client, copied_auto_submit: Option<&str>) {
    if let Some(token) = copied_auto_submit {
        client.post_form("/link/p/1", &[("csrf_token", token)]).await;
    }
    let page = client.get("/link/p/1").await;
    if let Some(token) = auto_submit_token(&page.body) {
        client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    }
    for target in 1..=3 {
        client.switch(target).await;
    }
    // Holding a group, the copy tries to fork it: as a member that is not the
    // primary, start adding an account and post the completion. Refused, and
    // nothing moves (the caller checks the rows and the owner's session).
    let seen = State::parse(&client.state().await);
    if let Some(member) = seen.group.iter().copied().find(|id| *id != 1) {
        client.switch(member).await;
        if client.start_link(1).await.status == 303 {
            let page = client.get("/link/p/1").await;
            if let Some(token) = crate::client::form_token(&page.body) {
                let completed = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
                assert!(completed.is_client_error(), "a member's completion is refused: {completed:?}");
            }
        }
    }
}

/// Every (copy step, replay step) pair of `steps`, each on a fresh run, the
/// flows driven `via` the HTML routes or the JSON API.
pub async fn replay_matrix<U: SuiteUser>(harness: &impl Harness, steps: &[Step], via: Via) {
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::default()).await;
    let server_side = harness.server_side();
    for copied in 0..steps.len() {
        for now in copied + 1..steps.len() {
            reset(&db).await;
            client.set_cookies(Default::default());
            let mut auto_submit = None;
            let mut copy = None;
            for (index, step) in steps.iter().enumerate().take(now + 1) {
                run_step(&mut client, &db, via, *step, &mut auto_submit).await;
                if index == copied {
                    let had = State::parse(&client.state().await);
                    copy = Some((client.cookies(), had, auto_submit.clone()));
                }
            }
            let (cookies, had, copied_auto_submit) = copy.expect("copied");
            let before = link_rows_with_tokens(&db).await;
            let owner_had = client.state().await;
            let owner = client.cookies();
            client.set_cookies(cookies);
            let seen = State::parse(&client.state().await);
            check_replayed(steps, (copied, now), server_side, U::AUTH_HASH, &had, &seen);
            match via {
                Via::Html => replay_attempts(&mut client, copied_auto_submit.as_deref()).await,
                Via::Json => replay_attempts_over_json(&mut client).await,
            }
            let seen = State::parse(&client.state().await);
            check_replayed(steps, (copied, now), server_side, U::AUTH_HASH, &had, &seen);
            let after = link_rows_with_tokens(&db).await;
            assert!(
                after.is_subset(&before),
                "copy #{copied} replayed after #{now} wrote rows: {before:?} → {after:?}"
            );
            // The copy's attempts (its refused completion included) take nothing
            // from the owner: the same accounts on its next page. (A server-side
            // copy with the owner's live id is the owner's session itself.)
            let renewed_since = steps[copied + 1..=now].iter().any(|step| renews(*step) || *step == Step::SignOutAll);
            if !server_side || renewed_since {
                client.set_cookies(owner);
                let owner_has = client.state().await;
                assert_eq!(owner_has, owner_had, "copy #{copied} replayed after #{now} changed the owner's session");
            }
        }
    }
}
