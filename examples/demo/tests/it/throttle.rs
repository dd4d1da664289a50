//! Sign-in throttling over real HTTP on loopback: failed attempts per account
//! (however its address is typed) and per client (each loopback source
//! address is a client), the bound on concurrent password hashes, and one CSRF
//! token per failed guess. Time is a manual clock; nothing sleeps or measures
//! durations.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{Client, Demo, Response, loopback, on_sqlite_and_mysql};
use multi_account_demo::clock::ManualClock;
use multi_account_demo::password::HashLimiter;
use multi_account_demo::throttle::{PER_ACCOUNT, PER_CLIENT, ThrottleConfig};
use multi_account_demo::{BUSY, INCORRECT, Settings, THROTTLED};
use tokio::sync::Semaphore;

const WINDOW_SECS: u64 = 15 * 60;

/// The demo with its throttle on `clock`.
async fn demo_on(clock: &Arc<ManualClock>) -> Demo {
    let throttle = ThrottleConfig { clock: clock.clone(), ..ThrottleConfig::default() };
    Demo::start_with(|settings| Settings { throttle, ..settings }).await
}

fn assert_throttled(response: &Response, retry_after: u64) {
    assert_eq!(response.status, 429, "{}", response.body);
    assert_eq!(response.header("retry-after"), Some(retry_after.to_string().as_str()));
    assert!(response.body.contains(THROTTLED), "{}", response.body);
    assert!(response.body.contains(r#"id="sign-in-form""#), "the sign-in page, to try again later");
    assert_eq!(response.header("set-cookie"), None, "a throttled attempt writes nothing to the session");
}

/// Whether the home page says `email` is signed in (`None`: anybody).
async fn is_signed_in(client: &mut Client, email: Option<&str>) -> bool {
    let home = client.get("/").await;
    home.body.contains(&format!("Signed in as {}", email.unwrap_or_default()))
}

/// Posts the sign-in form for alice with `token` and `password`.
async fn guess(client: &mut Client, token: &str, password: &str) -> Response {
    client.post_form("/sign-in", &[("csrf_token", token), ("email", "alice@example.com"), ("password", password)]).await
}

demo_test! {
    async fn the_sixth_wrong_password_is_refused_until_the_window_passes() {
        let clock = Arc::new(ManualClock::new());
        let demo = demo_on(&clock).await;
        let mut attacker = demo.client();
        assert_eq!(PER_ACCOUNT.max_failures, 5);
        for _ in 0..5 {
            let wrong = attacker.sign_in("alice@example.com", "wrong").await;
            assert_eq!(wrong.status, 401, "{}", wrong.body);
            assert!(wrong.body.contains(INCORRECT));
        }
        assert_throttled(&attacker.sign_in("alice@example.com", "wrong").await, WINDOW_SECS);
        // The right password too: the attempt is refused before it is checked.
        assert_throttled(&attacker.sign_in("Alice@Example.com ", "password").await, WINDOW_SECS);
        assert!(!is_signed_in(&mut attacker, None).await);

        // The account is throttled from anywhere; other accounts are not.
        let mut alice = demo.client_from(loopback(2));
        assert_throttled(&alice.sign_in("alice@example.com", "password").await, WINDOW_SECS);
        let mut bob = demo.client_from(loopback(3));
        assert_eq!(bob.sign_in("bob@example.com", "password").await.status, 303);
        assert!(is_signed_in(&mut bob, Some("bob@example.com")).await);

        clock.advance(Duration::from_secs(WINDOW_SECS - 1));
        assert_throttled(&alice.sign_in("alice@example.com", "password").await, 1);
        clock.advance(Duration::from_secs(1));
        let done = alice.sign_in("alice@example.com", "password").await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(is_signed_in(&mut alice, Some("alice@example.com")).await);
        demo.stop().await;
    }
}

demo_test! {
    async fn unknown_emails_are_throttled_like_accounts() {
        let clock = Arc::new(ManualClock::new());
        let demo = demo_on(&clock).await;
        let mut client = demo.client();
        for _ in 0..5 {
            assert_eq!(client.sign_in("nobody@example.com", "password").await.status, 401);
        }
        assert_throttled(&client.sign_in("nobody@example.com", "password").await, WINDOW_SECS);
        demo.stop().await;
    }
}

demo_test! {
    async fn failures_count_against_the_account_whatever_address_reached_it() {
        on_sqlite_and_mysql(async |url| {
            use sea_orm::ConnectionTrait;

            let clock = Arc::new(ManualClock::new());
            let throttle = ThrottleConfig { clock: clock.clone(), ..ThrottleConfig::default() };
            let demo = Demo::start_on(url, |settings| Settings { throttle, ..settings }).await;
            let mut attacker = demo.client();
            // Five failures against carol, typed five ways.
            for email in
                ["carol@example.com", " Carol@Example.com ", "CAROL@EXAMPLE.COM", "carol@EXAMPLE.com", "Carol@example.com"]
            {
                assert_eq!(attacker.sign_in(email, "wrong").await.status, 401, "{email}");
            }
            // An address MariaDB's collation takes for carol's is no account
            // here, so it has a count of its own.
            assert_eq!(attacker.sign_in("cärol@example.com", "wrong").await.status, 401);
            assert_throttled(&attacker.sign_in("carol@example.com", "password").await, WINDOW_SECS);

            // The account's address changes (as a settings page would change
            // it): its count goes with it, and the old address, now nobody's,
            // starts afresh.
            let db = demo.database().await;
            db.execute_unprepared("UPDATE users SET email = 'carol@new.example' WHERE email = 'carol@example.com'")
                .await
                .unwrap();
            db.close().await.unwrap();
            let mut carol = demo.client_from(loopback(7));
            assert_throttled(&carol.sign_in("carol@new.example", "password").await, WINDOW_SECS);
            let nobodys = attacker.sign_in("carol@example.com", "wrong").await;
            assert_eq!(nobodys.status, 401, "{}", nobodys.body);

            clock.advance(Duration::from_secs(WINDOW_SECS));
            assert_eq!(carol.sign_in("carol@new.example", "password").await.status, 303);
            assert!(is_signed_in(&mut carol, Some("carol@new.example")).await);
            demo.stop().await;
        })
        .await;
    }
}

demo_test! {
    async fn the_right_password_of_an_inactive_account_is_a_failed_attempt() {
        let clock = Arc::new(ManualClock::new());
        let demo = demo_on(&clock).await;
        let mut client = demo.client();
        for _ in 0..PER_ACCOUNT.max_failures {
            let refused = client.sign_in("dave@example.com", "password").await;
            assert_eq!(refused.status, 401, "{}", refused.body);
            assert!(refused.body.contains(INCORRECT), "{}", refused.body);
        }
        assert_throttled(&client.sign_in("dave@example.com", "password").await, WINDOW_SECS);
        demo.stop().await;
    }
}

demo_test! {
    async fn signing_in_starts_the_accounts_count_over() {
        let clock = Arc::new(ManualClock::new());
        let demo = demo_on(&clock).await;
        let mut client = demo.client();
        for _ in 0..4 {
            assert_eq!(client.sign_in("carol@example.com", "wrong").await.status, 401);
        }
        assert_eq!(client.sign_in("carol@example.com", "password").await.status, 303);
        // Five more failures are allowed, not one.
        let mut other = demo.client_from(loopback(4));
        for _ in 0..5 {
            assert_eq!(other.sign_in("carol@example.com", "wrong").await.status, 401);
        }
        assert_throttled(&other.sign_in("carol@example.com", "wrong").await, WINDOW_SECS);
        demo.stop().await;
    }
}

demo_test! {
    async fn one_client_is_limited_across_accounts() {
        let clock = Arc::new(ManualClock::new());
        let demo = demo_on(&clock).await;
        let mut bot = demo.client_from(loopback(5));
        assert_eq!(PER_CLIENT.max_failures, 20);
        for i in 0..20 {
            // No account gets more than one failure.
            let email = if i < 3 { ["alice", "bob", "carol"][i].to_owned() } else { format!("user{i}") };
            let wrong = bot.sign_in(&format!("{email}@example.com"), "wrong").await;
            assert_eq!(wrong.status, 401, "attempt {i}: {}", wrong.body);
        }
        assert_throttled(&bot.sign_in("user99@example.com", "wrong").await, WINDOW_SECS);
        assert_throttled(&bot.sign_in("bob@example.com", "password").await, WINDOW_SECS);

        // Another client is not limited, and the accounts have failures to spare.
        let mut bob = demo.client_from(loopback(6));
        assert_eq!(bob.sign_in("bob@example.com", "password").await.status, 303);

        clock.advance(Duration::from_secs(WINDOW_SECS));
        assert_eq!(bot.sign_in("carol@example.com", "password").await.status, 303);
        demo.stop().await;
    }
}

demo_test! {
    async fn concurrent_sign_ins_hash_at_most_permits_at_once() {
        const PERMITS: usize = 2;
        const ATTEMPTS: usize = 16;
        // A long wait: every attempt gets its turn, none is answered busy.
        let hashing = HashLimiter::new(PERMITS, Duration::from_secs(600));
        let demo = Demo::start_with({
            let hashing = hashing.clone();
            |settings| Settings { hashing, ..settings }
        })
        .await;

        // Forms first, then every POST at once, from one client, half of them for
        // unknown emails (which must cost a hash too).
        let mut ready = Vec::new();
        for i in 0..ATTEMPTS {
            let mut client = demo.client();
            let token = client.get("/sign-in").await.csrf_token().unwrap();
            let email = if i % 2 == 0 { format!("user{i}@example.com") } else { "bob@example.com".to_owned() };
            ready.push((client, token, email));
        }
        let mut posts = tokio::task::JoinSet::new();
        for (mut client, token, email) in ready {
            posts.spawn(async move {
                client.post_form("/sign-in", &[("csrf_token", &token), ("email", &email), ("password", "wrong")]).await
            });
        }
        let mut statuses = Vec::new();
        while let Some(response) = posts.join_next().await {
            statuses.push(response.unwrap().status);
        }

        // bob has 5 failures per window: the other 3 of his 8 are throttled, unhashed.
        let throttled = statuses.iter().filter(|status| **status == 429).count();
        assert_eq!(throttled, ATTEMPTS / 2 - PER_ACCOUNT.max_failures as usize, "{statuses:?}");
        assert!(statuses.iter().all(|status| *status == 401 || *status == 429), "{statuses:?}");
        assert_eq!(hashing.completed(), (ATTEMPTS - throttled) as u64, "one hash per attempt that was checked");
        assert!(
            (1..=PERMITS).contains(&hashing.most_at_once()),
            "{} hashes ran at once with {PERMITS} permits",
            hashing.most_at_once()
        );
        demo.stop().await;
    }
}

demo_test! {
    async fn with_every_permit_busy_sign_in_answers_503_and_counts_nothing() {
        let permits = Arc::new(Semaphore::new(1));
        let hashing = HashLimiter::with_semaphore(permits.clone(), Duration::from_millis(20));
        let demo = Demo::start_with(|settings| Settings { hashing, ..settings }).await;
        let mut client = demo.client();

        // The test holds the only permit, as a sign-in stuck hashing would.
        let held = permits.acquire().await.unwrap();
        for _ in 0..PER_ACCOUNT.max_failures + 1 {
            let busy = client.sign_in("alice@example.com", "wrong").await;
            assert_eq!(busy.status, 503, "{}", busy.body);
            assert!(busy.body.contains(BUSY), "{}", busy.body);
            assert_eq!(busy.header("retry-after"), Some("1"));
            assert_eq!(busy.header("set-cookie"), None, "writes nothing to the session");
        }
        drop(held);
        // Busy refusals judged no password, so they are not failures.
        assert_eq!(client.sign_in("alice@example.com", "password").await.status, 303);
        demo.stop().await;
    }
}

demo_test! {
    async fn a_csrf_token_serves_one_failed_guess() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let first = client.get("/sign-in").await.csrf_token().unwrap();
        let wrong = guess(&mut client, &first, "wrong").await;
        assert_eq!(wrong.status, 401);
        let second = wrong.csrf_token().unwrap();
        assert_ne!(second, first, "the re-rendered form has a new token");

        for password in ["guess", "password"] {
            let replayed = guess(&mut client, &first, password).await;
            assert_eq!(replayed.status, 403, "the used token is refused: {}", replayed.body);
        }
        assert!(!is_signed_in(&mut client, None).await);
        let done = guess(&mut client, &second, "password").await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(is_signed_in(&mut client, Some("alice@example.com")).await);
        demo.stop().await;
    }
}
