//! Audit events: every state change and every refusal logs one `tracing` event
//! under the target `multi_account::audit` (see the core's `src/audit.rs`), with the fields an
//! audit log needs. A small `Layer` records the events of that target, installed as
//! the thread's default subscriber (each `#[tokio::test]` runs on a current-thread
//! runtime, so the whole request handling happens on the test's thread).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::app::{SuiteUser, database, link_count, set_password_hash};
use crate::client::{Client, Harness, Options, auto_submit_token, form_token};

/// One recorded event: its level and fields (values as text).
type Record = BTreeMap<String, String>;

/// Records every event of the audit target.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Record>>>);

impl Recorder {
    /// Installs the recorder as this thread's subscriber until the guard drops.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(tracing_subscriber::registry().with(self.clone()))
    }

    /// Takes the events recorded so far.
    fn take(&self) -> Vec<Record> {
        std::mem::take(&mut *self.0.lock().expect("recorder lock"))
    }
}

struct Fields<'a>(&'a mut Record);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != multi_account::session::AUDIT_TARGET {
            return;
        }
        let mut record = Record::new();
        record.insert("level".to_owned(), event.metadata().level().to_string());
        event.record(&mut Fields(&mut record));
        self.0.lock().expect("recorder lock").push(record);
    }
}

/// `expected` as a record.
fn record(expected: &[(&str, &str)]) -> Record {
    expected.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

/// Asserts that exactly one event was recorded since the last call, with exactly
/// these fields.
fn assert_one(recorder: &Recorder, expected: &[(&str, &str)], what: &str) {
    let events = recorder.take();
    assert_eq!(events, vec![record(expected)], "{what}");
}

/// A refusal: `event = "refused"` at WARN with action, reason, primary and user.
fn refused<'a>(action: &'a str, reason: &'a str, primary: &'a str, user: &'a str) -> [(&'a str, &'a str); 6] {
    [
        ("level", "WARN"),
        ("event", "refused"),
        ("action", action),
        ("reason", reason),
        ("primary", primary),
        ("user", user),
    ]
}

/// Every state change logs exactly one event with its fields; signing in (the
/// app's job), reads and the auto-submit page log none.
pub async fn every_state_change_logs_one_audit_event<U: SuiteUser>(harness: &impl Harness) {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let (db, _guard) = database(3).await;
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.get("/state").await;
    assert_eq!(recorder.take(), vec![], "signing in (the app's job) and reads log no audit event");

    // Link: started, then completed.
    let started = client.start_link(1).await;
    assert_eq!(started.status, 303);
    assert_one(&recorder, &[("level", "INFO"), ("event", "link_started"), ("primary", "1"), ("user", "1")], "start");
    client.sign_in(2).await;
    let page = client.get("/link/p/1").await;
    assert_eq!(page.status, 200);
    assert_eq!(recorder.take(), vec![], "the auto-submit page logs nothing");
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    let done = client.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(done.status, 303);
    assert_one(
        &recorder,
        &[("level", "INFO"), ("event", "link"), ("primary", "1"), ("user", "2"), ("outcome", "Linked")],
        "link",
    );

    // Completing a link for a member is refused (nothing moves), and says why.
    let started = client.start_link(1).await;
    assert_eq!(started.status, 303);
    assert_one(&recorder, &[("level", "INFO"), ("event", "link_started"), ("primary", "1"), ("user", "2")], "restart");
    client.sign_in(2).await;
    // 2 is a member already: its page is the start form.
    let page = client.get("/link/p/1").await;
    let token = form_token(&page.body).expect("a form with the CSRF token");
    assert_eq!(client.post_form("/link/p/1", &[("csrf_token", &token)]).await.status, 409);
    assert_one(
        &recorder,
        &[
            ("level", "WARN"),
            ("event", "refused"),
            ("action", "link"),
            ("reason", "already_in_group"),
            ("primary", "1"),
            ("user", "2"),
        ],
        "link again",
    );

    // Switch, by GET and by POST.
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 303);
    assert_one(&recorder, &[("level", "INFO"), ("event", "switch"), ("primary", "1"), ("user", "1")], "switch GET");
    assert_eq!(client.post_with_csrf("/link/switch_to/2").await.status, 303);
    assert_one(&recorder, &[("level", "INFO"), ("event", "switch"), ("primary", "1"), ("user", "2")], "switch POST");

    // Unlink.
    client.complete_link(1, 3).await;
    recorder.take();
    assert_eq!(client.post_with_csrf("/link/remove/2").await.status, 303);
    assert_one(&recorder, &[("level", "INFO"), ("event", "remove"), ("primary", "1"), ("user", "2")], "unlink");

    // Sign-out-all, with the number of links it removed.
    assert_eq!(link_count(&db).await, 1);
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_one(
        &recorder,
        &[("level", "INFO"), ("event", "sign_out_all"), ("primary", "1"), ("links_removed", "1")],
        "sign-out-all",
    );
    // Signed out of a standard session: no primary, nothing removed.
    client.sign_in(3).await;
    assert_eq!(client.post_with_csrf("/link/sign-out-all").await.status, 303);
    assert_one(
        &recorder,
        &[("level", "INFO"), ("event", "sign_out_all"), ("primary", ""), ("links_removed", "0")],
        "sign-out-all of a standard session",
    );
}

/// Every refusal logs one `refused` event with its action and reason (it ends
/// with the refusals of a password change, which need `auth_hash`).
pub async fn every_refusal_logs_its_reason<U: SuiteUser>(harness: &impl Harness) {
    let recorder = Recorder::default();
    let _guard = recorder.install();
    let (db, _guard) = database(12).await;

    // Signed out; standard sessions.
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    assert_eq!(client.get("/link/p/1").await.status, 401);
    assert_one(&recorder, &refused("link", "signed_out", "1", ""), "link page while signed out");
    assert_eq!(client.start_link(1).await.status, 401);
    assert_one(&recorder, &refused("link", "signed_out", "1", ""), "link start while signed out");
    assert_eq!(client.post_with_csrf("/link/p/1").await.status, 403);
    assert_one(&recorder, &refused("link", "signed_out", "1", ""), "link POST while signed out");
    client.sign_in(2).await;
    assert_eq!(client.get("/link/p/1").await.status, 403);
    assert_one(&recorder, &refused("link", "not_signed_in_primary", "1", "2"), "forged link page");
    assert_eq!(client.start_link(1).await.status, 403);
    assert_one(&recorder, &refused("link", "not_signed_in_primary", "1", "2"), "forged link start");
    assert_eq!(client.post_with_csrf("/link/p/1").await.status, 403);
    assert_one(&recorder, &refused("link", "no_multi_account_session", "1", "2"), "forged link POST");
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 403);
    assert_one(&recorder, &refused("switch", "no_signed_in_group", "", "1"), "switch, standard session");
    assert_eq!(client.post_with_csrf("/link/remove/1").await.status, 403);
    assert_one(&recorder, &refused("remove", "no_signed_in_group", "", "1"), "unlink, standard session");

    // CSRF, on each route.
    for (action, method, path) in [
        ("switch", "GET", "/link/switch_to/1"),
        ("switch", "POST", "/link/switch_to/1"),
        ("remove", "POST", "/link/remove/1"),
        ("sign_out_all", "POST", "/link/sign-out-all"),
        ("link", "POST", "/link/p/2"),
        ("link", "POST", "/link/p/2?start"),
    ] {
        let response = match method {
            "GET" => client.get(path).await,
            _ => client.post_form(path, &[("csrf_token", "x")]).await,
        };
        assert_eq!(response.status, 403, "{method} {path}");
        assert_one(&recorder, &refused(action, "csrf", "", ""), &format!("{method} {path} without a valid token"));
    }

    // A multi-account session: 1 with 2 linked.
    let mut client = harness.client::<U>(&db, &Options::get_switch()).await;
    client.sign_in(1).await;
    client.complete_link(1, 2).await;
    recorder.take();
    let url = client.switch_url(3).await;
    assert_eq!(client.get(&url).await.status, 403);
    assert_one(&recorder, &refused("switch", "not_in_group", "1", "3"), "switch outside the group");
    assert_eq!(client.post_with_csrf("/link/remove/1").await.status, 303);
    assert_one(&recorder, &refused("remove", "primary", "1", "1"), "unlink of the primary");
    assert_eq!(client.post_with_csrf("/link/remove/3").await.status, 403);
    assert_one(&recorder, &refused("remove", "not_linked", "1", "3"), "unlink of an account not linked");
    assert_eq!(client.post_with_csrf("/link/p/1").await.status, 403);
    assert_one(&recorder, &refused("link", "no_fresh_link_intent", "1", "2"), "link POST without an intent");
    assert_eq!(client.post_with_csrf("/link/p/3").await.status, 403);
    assert_one(&recorder, &refused("link", "path_is_not_session_primary", "3", "2"), "link POST to another id");
    let url = client.switch_url(1).await;
    client.get(&url).await;
    recorder.take();
    assert_eq!(client.post_with_csrf("/link/p/1").await.status, 403);
    assert_one(&recorder, &refused("link", "current_is_primary", "1", "1"), "link POST as the primary");

    // The linked account's password changed: it left the group, so the switch to
    // it is refused as outside the group.
    set_password_hash(&db, 2, "new-hash-2").await;
    let url = client.switch_url(2).await;
    assert_eq!(client.get(&url).await.status, 403);
    assert_one(&recorder, &refused("switch", "not_in_group", "1", "2"), "switch after a password change");
    // The primary's password changed: no signed-in group at all any more.
    set_password_hash(&db, 1, "new-hash-1").await;
    let url = client.switch_url(1).await;
    assert_eq!(client.get(&url).await.status, 403);
    assert_one(&recorder, &refused("switch", "no_signed_in_group", "", "1"), "switch after the primary's change");
    set_password_hash(&db, 1, "hash-1").await;

    // A link refused by the rules (a full group, in another browser): back to the
    // primary with a message.
    let mut third = harness.client::<U>(&db, &Options::get_switch()).await;
    third.sign_in(1).await;
    for id in 3..=12 {
        third.complete_link(1, id).await;
    }
    assert_eq!(link_count(&db).await, 11, "1 + 10 links");
    assert_eq!(third.start_link(1).await.status, 303);
    third.sign_in(2).await;
    let page = third.get("/link/p/1").await;
    let token = auto_submit_token(&page.body).expect("auto-submit page");
    recorder.take();
    let full = third.post_form("/link/p/1", &[("csrf_token", &token)]).await;
    assert_eq!(full.status, 303, "{full:?}");
    assert_one(&recorder, &refused("link", "too_many_linked_accounts", "1", "2"), "an 11th link");
}

/// Control for the recorder: it sees only its own thread's events of the
/// audit target, so no case picks up events of cases running in parallel.
pub async fn events_of_other_threads_are_not_recorded_here<U: SuiteUser>(_harness: &impl Harness) {
    // Control for the recorder itself: it sees only its own thread's requests, so
    // the assertions above cannot pick up events of tests running in parallel.
    let recorder = Recorder::default();
    let _guard = recorder.install();
    std::thread::spawn(
        || tracing::info!(target: multi_account::session::AUDIT_TARGET, event = "switch", primary = "1", user = "2"),
    )
    .join()
    .expect("thread");
    assert_eq!(recorder.take(), vec![]);
    tracing::info!(target: multi_account::session::AUDIT_TARGET, event = "switch", primary = "1", user = "2");
    tracing::info!(target: "elsewhere", event = "switch");
    assert_eq!(
        recorder.take(),
        vec![record(&[("level", "INFO"), ("event", "switch"), ("primary", "1"), ("user", "2")])]
    );
}
