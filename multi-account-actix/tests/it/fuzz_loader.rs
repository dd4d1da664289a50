//! Fuzzing the loader with arbitrary session contents: random keys (the real ones
//! from `multi_account_actix::session_keys`, and junk) set to random JSON (valid
//! and invalid subjects, ids, tokens, link intents, fingerprints, numbers, nulls,
//! arrays, objects, huge strings, Unicode), written with `put_session` over an
//! empty, a signed-in or a linked session; then every page, a switch, and a link
//! start and completion attempt. Never a 5xx, never a panic, and nobody signed
//! in who should not be.
//!
//! What "should not be" means: the loader trusts the session, which is signed and
//! encrypted with the app's key (only the server writes it), and that is by
//! design. It still re-checks every account on every load: the account must exist
//! and be active, be named by the session (its `"user"` subject or its
//! `"primary_user_id"`), and, with `auth_hash` (as the test user has), match the
//! fingerprint its own sign-in recorded in this session. So a fabricated session
//! signs in nobody unless it also carries the right fingerprint, which only a
//! writer of the signed session who knows the account's password hash can put
//! there (or an actix-identity id, `session_keys::IDENTITY_USER_ID`, which is the
//! app's own sign-in and is adopted as such). The invariant checked after each case: whoever acts (`/me`, `/state`),
//! and every account of the group, is named by the session and carries its correct
//! fingerprint; and a link written during the case joins two such accounts.
//!
//! Deterministic: a xorshift generator seeded with `MULTI_ACCOUNT_FUZZ_SEED`
//! (default below); `MULTI_ACCOUNT_FUZZ_CASES` cases (default 300). A failure
//! prints the seed, the case and the entries written. Subject parsing itself is
//! property-tested in `multi-account/tests/subject.rs`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::{client, database, linked_account, set_status, user, user::UserStatus};
use actix_http::Request;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use multi_account::auth_fingerprint;
use multi_account_actix::MultiAccountConfig;
use multi_account_actix::session_keys;
use multi_account_actix::test_support::{TestClient, TestResponse};
use sea_orm::EntityTrait;
use serde_json::{Map, Value, json};

const DEFAULT_SEED: u64 = 0x6d75_6c74_6961_6363;
const DEFAULT_CASES: usize = 300;
/// The most the written entries may add to the session (its JSON, as stored),
/// so that the cookie store's 4 KB limit is never the thing under test.
const BUDGET: usize = 2400;

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("small")).expect("small")
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// What the generator draws from: real tokens and fingerprints among junk.
struct Pool {
    fingerprints: BTreeMap<i64, String>,
    tokens: Vec<String>,
}

const IDS: [&str; 14] =
    ["1", "2", "3", "4", "999", "0", "-1", "01", "-0", "", "１", "1 ", "+2", "99999999999999999999"];

fn random_string(rng: &mut Rng) -> String {
    const ALPHABETS: [&str; 4] =
        ["abcXYZ019", "\"\\/?=&%{}[]:,", "é✓🔑\u{202e}\u{200b}\u{feff}", "\u{0}\u{1}\t\n\r\u{7f}"];
    let len = match rng.below(10) {
        0 => 0,
        1 => 200 + rng.below(1200),
        _ => 1 + rng.below(24),
    };
    let mut text = String::new();
    while text.len() < len {
        let alphabet: Vec<char> = ALPHABETS[rng.below(ALPHABETS.len())].chars().collect();
        text.push(rng.pick(&alphabet));
    }
    text
}

fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 1 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.pick(&[0_i64, 1, 2, 3, -1, i64::MAX, i64::MIN])),
        3 => json!(rng.pick(&[0.5_f64, -1e300, 1e-9])),
        4 => json!(u64::MAX),
        5 => Value::String(random_string(rng)),
        6 => Value::Array((0..rng.below(4)).map(|_| random_json(rng, depth + 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(random_string(rng).chars().take(8).collect(), random_json(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

fn subject(rng: &mut Rng) -> Value {
    let id = rng.pick(&IDS);
    Value::String(match rng.below(8) {
        0 => format!("admin?id={id}"),
        1 => format!("User?id={id}"),
        2 => format!("user?id={id}&x=1"),
        3 => format!("user?id={id}\u{0}"),
        4 => format!("user?{id}"),
        _ => format!("user?id={id}"),
    })
}

fn fingerprints(rng: &mut Rng, pool: &Pool) -> Value {
    if rng.chance(15) {
        return random_json(rng, 1);
    }
    let mut map = Map::new();
    for id in 1..=4_i64 {
        if rng.chance(50) {
            let value = match rng.below(4) {
                0 => random_json(rng, 2),
                1 => json!("0".repeat(32)),
                _ => json!(pool.fingerprints[&id]),
            };
            map.insert(id.to_string(), value);
        }
    }
    Value::Object(map)
}

fn intent(rng: &mut Rng) -> Value {
    if rng.chance(15) {
        return random_json(rng, 1);
    }
    let primary = if rng.chance(80) { json!(rng.pick(&IDS)) } else { random_json(rng, 2) };
    let now = i64::try_from(now()).expect("a sane clock");
    let created_at = match rng.below(6) {
        0 => json!(now + 60),
        1 => json!(now - 601),
        2 => random_json(rng, 2),
        _ => json!(now - 5),
    };
    let return_to =
        if rng.chance(70) { json!(rng.pick(&["/", "/x?y=1", "//evil.example", ""])) } else { random_json(rng, 2) };
    let mut map = Map::new();
    for (key, value) in [("primary", primary), ("created_at", created_at), ("return_to", return_to)] {
        if rng.chance(90) {
            map.insert(key.to_owned(), value);
        }
    }
    Value::Object(map)
}

/// One random entry: a real key most of the time, with a value shaped for it
/// most of the time.
fn entry(rng: &mut Rng, pool: &Pool) -> (String, Value) {
    const JUNK_KEYS: [&str; 7] = ["", "x", "🔑", "user ", "USER", "primary_user_id\u{0}", "_multi_account_csrf2"];
    let keys = [
        session_keys::USER,
        session_keys::IDENTITY_USER_ID,
        session_keys::PRIMARY_USER_ID,
        session_keys::SESSION_TOKEN,
        session_keys::CSRF_TOKEN,
        session_keys::LINK_INTENT,
        session_keys::AUTH_FINGERPRINTS,
        session_keys::FLASH,
    ];
    let key = if rng.chance(85) { rng.pick(&keys) } else { rng.pick(&JUNK_KEYS) };
    let value = if rng.chance(30) {
        random_json(rng, 0)
    } else {
        match key {
            session_keys::USER => subject(rng),
            session_keys::PRIMARY_USER_ID | session_keys::IDENTITY_USER_ID => json!(rng.pick(&IDS)),
            session_keys::SESSION_TOKEN => match rng.below(3) {
                0 => json!(rng.pick(&pool.tokens)),
                1 => json!("f".repeat(rng.pick(&[0, 1, 32, 64, 65]))),
                _ => Value::String(random_string(rng)),
            },
            session_keys::CSRF_TOKEN => json!(rng.pick(&["0".repeat(64), String::new(), "x".into()])),
            session_keys::LINK_INTENT => intent(rng),
            session_keys::AUTH_FINGERPRINTS => fingerprints(rng, pool),
            _ => random_json(rng, 0),
        }
    };
    (key.to_owned(), value)
}

/// The size an entry adds to the stored session: its JSON text, itself stored as
/// a JSON string.
fn stored_size(key: &str, value: &Value) -> usize {
    let text = serde_json::to_string(value).expect("JSON");
    serde_json::to_string(&json!({ key: text })).expect("JSON").len()
}

/// The session after the fuzz: the base session's entries with the written ones
/// over them (each as a JSON value).
fn effective(base: &Value, written: &Map<String, Value>) -> Map<String, Value> {
    let mut entries = Map::new();
    if let Some(base) = base.as_object() {
        for (key, raw) in base {
            let value = raw.as_str().and_then(|raw| serde_json::from_str(raw).ok()).unwrap_or(Value::Null);
            entries.insert(key.clone(), value);
        }
    }
    entries.extend(written.clone());
    entries
}

/// Who may appear after the fuzz: (the accounts that may act first: named by the
/// session, as the subject or as the primary, and carrying their correct
/// fingerprint; the accounts that may appear at all, in the group or after a
/// switch: any account carrying its correct fingerprint). An id written by
/// actix-identity's `Identity::login` is the app's own sign-in and is adopted as
/// such (its fingerprint recorded) when it differs from the subject: it is in both.
fn allowed_accounts(session: &Map<String, Value>, pool: &Pool) -> (Vec<String>, Vec<String>) {
    let recorded = session.get(session_keys::AUTH_FINGERPRINTS).and_then(Value::as_object);
    let fingerprinted: Vec<String> = pool
        .fingerprints
        .iter()
        .filter(|(id, fingerprint)| {
            recorded.and_then(|map| map.get(&id.to_string())).and_then(Value::as_str) == Some(fingerprint.as_str())
        })
        .map(|(id, _)| id.to_string())
        .collect();
    let named = [
        session.get(session_keys::USER).and_then(Value::as_str).and_then(|subject| subject.strip_prefix("user?id=")),
        session.get(session_keys::PRIMARY_USER_ID).and_then(Value::as_str),
    ];
    let mut acting: Vec<String> = named
        .into_iter()
        .flatten()
        .filter(|id| fingerprinted.iter().any(|known| known == id))
        .map(str::to_owned)
        .collect();
    let mut anywhere = fingerprinted;
    if let Some(id) = session.get(session_keys::IDENTITY_USER_ID).and_then(Value::as_str) {
        acting.push(id.to_owned());
        anywhere.push(id.to_owned());
    }
    (acting, anywhere)
}

fn accounts_in(state: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for field in state.split(';') {
        let (_, value) = field.split_once('=').expect("field=value");
        ids.extend(value.split(',').filter(|id| !id.is_empty()).map(str::to_owned));
    }
    ids
}

/// Percent-encodes every byte but the unreserved ones.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn no_server_error(response: &TestResponse, what: &str) {
    assert!(!response.status.is_server_error(), "{what}: {response:?}");
}

async fn links(db: &sea_orm::DatabaseConnection) -> Vec<(i64, i64, i64)> {
    let rows = linked_account::Entity::find().all(db).await.expect("links");
    rows.into_iter().map(|link| (link.id, link.primary_user_id, link.linked_user_id)).collect()
}

/// `/state` and `/me`: the current account among `acting`, the group among
/// `anywhere`.
async fn check_state<S, B>(client: &mut TestClient<S>, acting: &[String], anywhere: &[String], what: &str)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = client.get("/state").await;
    assert_eq!(response.status, StatusCode::OK, "{what}: /state {response:?}");
    let accounts = accounts_in(&response.body);
    for id in &accounts {
        assert!(anywhere.contains(id), "{what}: account {id} in {} (allowed: {anywhere:?})", response.body);
    }
    if let Some(current) = response.body.strip_prefix("current=").and_then(|rest| rest.split(';').next()) {
        assert!(
            current.is_empty() || acting.iter().any(|id| id == current),
            "{what}: {} (acting: {acting:?})",
            response.body
        );
    }
    let me = client.get("/me").await;
    match me.status {
        StatusCode::UNAUTHORIZED => {}
        StatusCode::OK => assert!(acting.contains(&me.body), "{what}: /me is {} (allowed: {acting:?})", me.body),
        _ => panic!("{what}: /me {me:?}"),
    }
}

#[tokio::test]
async fn arbitrary_session_contents_never_fail_or_sign_in_the_wrong_account() {
    let seed: u64 = env_or("MULTI_ACCOUNT_FUZZ_SEED", DEFAULT_SEED);
    let cases: usize = env_or("MULTI_ACCOUNT_FUZZ_CASES", DEFAULT_CASES);
    let mut rng = Rng(seed.max(1));
    let test = database(4).await;
    set_status(&test.db, 4, UserStatus::Inactive).await;
    let config = MultiAccountConfig::new(test.db.clone());

    // Real values to draw from: fingerprints, and the token of a browser that
    // linked 3 to 1.
    let mut fingerprints = BTreeMap::new();
    for id in 1..=4 {
        let user = user::Entity::find_by_id(id).one(&test.db).await.expect("query").expect("user");
        // A sign-in record keeps the fingerprint's first 16 characters (empty
        // without auth_hash, with `test-plain-user`).
        let mut fingerprint = auth_fingerprint(&user).unwrap_or_default();
        fingerprint.truncate(16);
        fingerprints.insert(id, fingerprint);
    }
    let mut other = client(&config).await;
    other.sign_in(&1).await;
    other.complete_link(&1, &3).await;
    let other_entries = other.session_entries().await;
    let other_token: String =
        serde_json::from_str(other_entries["session_token"].as_str().expect("token")).expect("token JSON");
    let mut pool = Pool { fingerprints, tokens: vec![other_token] };

    let mut client = client(&config).await;
    let mut signed_in_cases = 0;
    for case in 0..cases {
        // The base session: empty (fabricated), signed in as 1, or 1 with 2 linked.
        client.set_cookies(BTreeMap::new());
        let base_kind = rng.below(3);
        if base_kind >= 1 {
            client.sign_in(&1).await;
        }
        if base_kind == 2 {
            client.complete_link(&1, &2).await;
        }
        let base = client.session_entries().await;
        if let Some(token) = base.get("session_token").and_then(Value::as_str) {
            pool.tokens.push(serde_json::from_str(token).expect("token JSON"));
            pool.tokens.truncate(8);
        }

        let mut written = Map::new();
        let mut size = 0;
        for _ in 0..=rng.below(5) {
            let (key, value) = entry(&mut rng, &pool);
            let added = stored_size(&key, &value);
            if size + added <= BUDGET {
                size += added;
                written.insert(key, value);
            }
        }
        let what = format!("seed {seed:#x}, case {case}, base {base_kind}, entries {}", Value::Object(written.clone()));
        let response = client.put_session(Value::Object(written.clone())).await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{what}: writing the session: {response:?}");

        let session = effective(&base, &written);
        let (acting, anywhere) = allowed_accounts(&session, &pool);
        let before = links(&test.db).await;

        check_state(&mut client, &acting, &anywhere, &what).await;
        if client.get("/me").await.status == StatusCode::OK {
            signed_in_cases += 1;
        }
        no_server_error(&client.get("/primary").await, &what);
        no_server_error(&client.get("/switcher.json").await, &what);
        let target = encode(rng.pick(&IDS));
        let url = format!("/link/switch_to/{target}?csrf_token={}", client.csrf().await);
        no_server_error(&client.get(&url).await, &format!("{what}: switch GET to {target}"));
        check_state(&mut client, &anywhere, &anywhere, &what).await;
        let target = rng.pick(&["1", "2", "3", "4", "999"]);
        let switched = client.post_with_csrf(&format!("/link/switch_to/{target}"), &[]).await;
        no_server_error(&switched, &format!("{what}: switch POST to {target}"));
        check_state(&mut client, &anywhere, &anywhere, &what).await;
        let primary = rng.pick(&["1", "2", "3", "999", "x"]);
        no_server_error(&client.get(&format!("/link/p/{primary}")).await, &format!("{what}: link GET {primary}"));
        let started = client.post_with_csrf(&format!("/link/p/{primary}?start"), &[]).await;
        no_server_error(&started, &format!("{what}: link start {primary}"));
        check_state(&mut client, &anywhere, &anywhere, &what).await;
        no_server_error(&client.get(&format!("/link/p/{primary}")).await, &format!("{what}: link GET {primary}"));
        let posted = client.post_with_csrf(&format!("/link/p/{primary}"), &[]).await;
        no_server_error(&posted, &format!("{what}: link POST {primary}"));
        check_state(&mut client, &anywhere, &anywhere, &what).await;

        // A link written in this case joins two accounts the session verified.
        for (id, primary, linked) in links(&test.db).await {
            if before.iter().any(|(known, _, _)| *known == id) {
                continue;
            }
            for account in [primary, linked] {
                assert!(anywhere.contains(&account.to_string()), "{what}: new link {primary} -> {linked}");
            }
        }
    }
    eprintln!("fuzz_loader: {cases} cases (seed {seed:#x}), {signed_in_cases} of them signed in after the fuzz");
}
