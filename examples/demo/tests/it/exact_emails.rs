//! An address names an account only if it is the account's address byte for
//! byte (once trimmed and lower-cased): on MariaDB, whose default collation
//! ignores case and accents, `WHERE email = 'álice@exämple.com'` finds alice,
//! and the demo must still answer "no such account", through a password, a
//! provider and an email link alike. Each test runs on SQLite, then on
//! MariaDB/MySQL when `MULTI_ACCOUNT_TEST_MYSQL_URL` is set.

use std::time::Duration;

use multi_account_demo::email_link::MailSettings;
use multi_account_demo::oidc::AddAccountPrompt;
use multi_account_demo::password::HashLimiter;
use multi_account_demo::{INACTIVE, INCORRECT, NO_ACCOUNT, Settings};

use crate::support::oidc::{AtProvider, Provider, path_of, through_provider};
use crate::support::smtp::SmtpSink;
use crate::support::{Demo, on_sqlite_and_mysql};

/// Addresses MariaDB's default collation takes for alice's.
const LIKE_ALICE: [&str; 3] = ["álice@exämple.com", "àlice@example.com", "alicé@example.com"];

demo_test! {
    async fn a_look_alike_address_with_the_right_password_signs_nobody_in() {
        on_sqlite_and_mysql(async |url| {
            let hashing = HashLimiter::new(2, Duration::from_secs(60));
            let demo = Demo::start_on(url, |settings| Settings { hashing: hashing.clone(), ..settings }).await;
            let mut client = demo.client();
            for email in LIKE_ALICE.into_iter().chain(["dàve@example.com"]) {
                let hashed = hashing.completed();
                let refused = client.sign_in(email, "password").await;
                assert_eq!(refused.status, 401, "{email}: {}", refused.body);
                assert!(refused.body.contains(INCORRECT), "{email}: {}", refused.body);
                assert!(!refused.body.contains(INACTIVE), "{email}: {}", refused.body);
                // As for any unknown address: one password verification.
                assert_eq!(hashing.completed(), hashed + 1, "{email}");
                assert!(!client.get("/").await.body.contains("Signed in as"), "{email}");
            }
            let done = client.sign_in(" Alice@Example.com ", "password").await;
            assert_eq!(done.status, 303, "case and spaces are not look-alikes: {}", done.body);
            demo.stop().await;
        })
        .await;
    }
}

demo_test! {
    async fn a_providers_look_alike_address_finds_no_account() {
        // A provider of its own: the test changes an account there.
        let Some(provider) = Provider::start() else { return };
        provider.set_account("erin", LIKE_ALICE[0]).await;
        on_sqlite_and_mysql(async |url| {
            let oidc = provider.settings(AddAccountPrompt::Auto);
            let demo = Demo::start_on(url, |settings| Settings { oidc: Some(oidc), ..settings }).await;
            for _ in 0..2 {
                let (mut client, mut browser) = (demo.client(), provider.browser());
                let page = client.get("/sign-in").await;
                let token = page.csrf_token().unwrap();
                let start = client.post_form("/oidc/start", &[("csrf_token", &token)]).await;
                assert_eq!(start.status, 303, "{}", start.body);
                let (callback, _) =
                    through_provider(&mut browser, start.location().unwrap(), AtProvider::SignIn("erin")).await;
                let refused = client.get(&path_of(&callback)).await;
                assert_eq!(refused.status, 403, "{}", refused.body);
                assert!(refused.body.contains(NO_ACCOUNT), "{}", refused.body);
                assert!(!client.get("/").await.body.contains("Signed in as"));
            }
            demo.stop().await;
        })
        .await;
        provider.stop();
    }
}

demo_test! {
    async fn a_look_alike_address_gets_no_email_link() {
        let Some(sink) = SmtpSink::start() else { return };
        on_sqlite_and_mysql(async |url| {
            let first = sink.count();
            let mail = MailSettings { smtp_url: sink.url(), from: "Demo <demo@localhost>".to_owned() };
            let demo = Demo::start_on(url, |settings| Settings { mail: Some(mail), ..settings }).await;
            let mut client = demo.client();
            for email in [LIKE_ALICE[0], "carol@example.com"] {
                let token = client.get("/sign-in").await.csrf_token().unwrap();
                let asked = client.post_form("/sign-in/email", &[("csrf_token", &token), ("email", email)]).await;
                assert_eq!(asked.status, 200, "{email}: {}", asked.body);
            }
            let message = sink.wait_for(first).await;
            assert!(message.contains("carol@example.com"), "the first mail is carol's: {message}");
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(sink.count(), first + 1, "nothing for the look-alike");
            demo.stop().await;
        })
        .await;
    }
}
