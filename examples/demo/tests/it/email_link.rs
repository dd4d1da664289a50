//! Sign-in by email link, delivered over real SMTP to a local sink
//! (`aiosmtpd`, see `support::smtp`): a third way to add an account; the link
//! works once, in time, in the browser that asked for it; a stranger's asks do
//! not use up the owner's, and each client may ask only so often.

use std::sync::Arc;
use std::time::Duration;

use multi_account_demo::Settings;
use multi_account_demo::clock::ManualClock;
use multi_account_demo::email_link::{MailSettings, TOO_MANY_ASKS};
use multi_account_demo::throttle::{PER_CLIENT_LINK_ASKS, ThrottleConfig};

use crate::support::oidc::path_of;
use crate::support::smtp::{SmtpSink, link_in};
use crate::support::{Client, Demo, Response, encode, loopback};

async fn demo_with(sink: &SmtpSink) -> Demo {
    let mail = MailSettings { smtp_url: sink.url(), from: "Demo <demo@localhost>".to_owned() };
    Demo::start_with(|settings| Settings { mail: Some(mail), ..settings }).await
}

/// Asks for a link to `email` from the sign-in page (returning to `return_to`).
async fn ask_for_link(client: &mut Client, email: &str, return_to: Option<&str>) -> Response {
    let page = match return_to {
        Some(path) => client.get(&format!("/sign-in?return_to={}", encode(path))).await,
        None => client.get("/sign-in").await,
    };
    assert!(page.body.contains(r#"id="email-link-request""#), "{}", page.body);
    let token = page.csrf_token().unwrap();
    let mut fields = vec![("csrf_token", token.as_str()), ("email", email), ("password", "")];
    if let Some(path) = return_to {
        fields.push(("return_to", path));
    }
    let sent = client.post_form("/sign-in/email", &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains(r#"id="email-link-sent""#), "{}", sent.body);
    sent
}

/// Opens the mailed link's confirm page and presses "Continue".
async fn use_link(client: &mut Client, link_path: &str) -> Response {
    let page = client.get(link_path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = page.form_of("email-link-continue").expect("the confirm form");
    let token = crate::support::attribute_after(&page.body, r#"name="token""#, "value").unwrap();
    client.post_form(&form.action, &[("csrf_token", form.csrf_token.as_deref().unwrap()), ("token", &token)]).await
}

fn signed_in_as(home: &Response) -> Option<&str> {
    let at = home.body.find("Signed in as ")? + "Signed in as ".len();
    let end = home.body[at..].find(|c: char| c == '<' || c.is_whitespace())? + at;
    Some(&home.body[at..end])
}

demo_test! {
    async fn an_email_link_adds_a_third_account() {
        let Some(sink) = SmtpSink::start() else { return };
        let demo = demo_with(&sink).await;
        let mut client = demo.client();
        client.sign_in("alice@example.com", "password").await;
        client.add_account(1, "bob@example.com").await;

        let add = client.get("/").await.form_of("add-account").unwrap();
        let start = client.submit(&add).await;
        let link = start.location().unwrap().strip_prefix("/sign-in?return_to=").unwrap().to_owned();
        ask_for_link(&mut client, " Carol@Example.com ", Some(&link)).await;
        let message = sink.wait_for(0).await;
        assert!(message.contains("To: carol <carol@example.com>") || message.contains("carol@example.com"), "{message}");
        let mailed = link_in(&message);
        assert!(mailed.starts_with(&format!("http://{}/sign-in/email/confirm?token=", demo.addr)), "{mailed}");

        let page = client.get(&path_of(&mailed)).await;
        assert!(page.body.contains("carol@example.com"), "the confirm page names the account: {}", page.body);
        assert!(!client.get("/").await.body.contains("Signed in as carol"), "the GET signs nobody in");
        let done = use_link(&mut client, &path_of(&mailed)).await;
        assert_eq!((done.status, done.location()), (303, Some(link.as_str())), "{}", done.body);
        let auto = client.get(&link).await;
        let token = auto.csrf_token().unwrap();
        assert_eq!(client.post_form(&link, &[("csrf_token", &token)]).await.status, 303);
        let home = client.get("/").await;
        assert_eq!(signed_in_as(&home), Some("carol@example.com"));
        assert_eq!(home.count(r#"<li class="account"#), 3);
        demo.stop().await;
    }
}

demo_test! {
    async fn an_email_link_works_once_in_time_and_only_in_the_browser_that_asked() {
        let Some(sink) = SmtpSink::start() else { return };
        let demo = demo_with(&sink).await;

        // An address with no account gets the same page, and no mail.
        let mut stranger = demo.client();
        let unknown = ask_for_link(&mut stranger, "nobody@example.com", None).await;
        let mut client = demo.client();
        let known = ask_for_link(&mut client, "bob@example.com", None).await;
        assert_eq!(unknown.body, known.body);
        let mailed = path_of(&link_in(&sink.wait_for(0).await));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(sink.count(), 1, "one mail: none for the unknown address");

        // Another browser: neither the page nor the POST does anything.
        let mut other = demo.client();
        let refused = other.get(&mailed).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("asked for in another browser"), "{}", refused.body);
        let csrf = other.get("/sign-in").await.csrf_token().unwrap();
        let token = mailed.split("token=").nth(1).unwrap();
        let refused = other.post_form("/sign-in/email/confirm", &[("csrf_token", &csrf), ("token", token)]).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(signed_in_as(&other.get("/").await), None);

        // The browser that asked: once; then neither as it is nor with the
        // cookie copied before.
        let before = client.cookies();
        let done = use_link(&mut client, &mailed).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        assert_eq!(signed_in_as(&client.get("/").await), Some("bob@example.com"));
        let after = client.cookies();
        assert_eq!(client.get(&mailed).await.status, 400, "used");
        client.set_cookies(before);
        let csrf = client.get("/sign-in").await.csrf_token().unwrap();
        let replayed = client.post_form("/sign-in/email/confirm", &[("csrf_token", &csrf), ("token", token)]).await;
        assert_eq!(replayed.status, 400, "{}", replayed.body);
        client.set_cookies(after);

        // Too late: a link past its time does nothing.
        let mut late = demo.client();
        ask_for_link(&mut late, "carol@example.com", None).await;
        let mailed = path_of(&link_in(&sink.wait_for(1).await));
        let db = sea_orm::Database::connect(format!("sqlite://{}", demo.db_path.display())).await.unwrap();
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("UPDATE email_sign_ins SET expires_at = 0").await.unwrap();
        assert_eq!(late.get(&mailed).await.status, 400);
        assert_eq!(signed_in_as(&late.get("/").await), None);

        // Bad input: no token, a made-up one, no address.
        assert_eq!(late.get("/sign-in/email/confirm").await.status, 400);
        assert_eq!(late.get("/sign-in/email/confirm?token=%00%ff").await.status, 400);
        let csrf = late.get("/sign-in").await.csrf_token().unwrap();
        let empty = late.post_form("/sign-in/email", &[("csrf_token", &csrf), ("email", " ")]).await;
        assert_eq!(empty.status, 422, "{}", empty.body);
        let forged = late.post_form("/sign-in/email", &[("csrf_token", "x"), ("email", "bob@example.com")]).await;
        assert_eq!(forged.status, 403);
        demo.stop().await;
    }
}

demo_test! {
    async fn a_strangers_asks_do_not_use_up_the_owners_links() {
        let Some(sink) = SmtpSink::start() else { return };
        let demo = demo_with(&sink).await;

        // A stranger asks for links to alice's address, in one browser, again
        // and again: three are mailed to her, then that browser gets no more.
        let mut stranger = demo.client_from(loopback(2));
        for index in 0..3 {
            ask_for_link(&mut stranger, "alice@example.com", None).await;
            sink.wait_for(index).await;
        }
        ask_for_link(&mut stranger, "alice@example.com", None).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.count(), 3, "a browser has at most three links waiting per account");

        // Alice asks in her own browser: her link is mailed, and works there.
        let mut alice = demo.client_from(loopback(3));
        ask_for_link(&mut alice, "alice@example.com", None).await;
        sink.wait_for(3).await;
        let mut hers = Vec::new();
        for index in 0..4 {
            let link = path_of(&link_in(&sink.wait_for(index).await));
            if alice.get(&link).await.status == 200 {
                hers.push(link);
            }
        }
        assert_eq!(hers.len(), 1, "one of the four links is alice's own");
        let done = use_link(&mut alice, &hers[0]).await;
        assert_eq!((done.status, done.location()), (303, Some("/")), "{}", done.body);
        assert_eq!(signed_in_as(&alice.get("/").await), Some("alice@example.com"));
        demo.stop().await;
    }
}

demo_test! {
    async fn asks_for_links_are_limited_per_client() {
        let Some(sink) = SmtpSink::start() else { return };
        let clock = Arc::new(ManualClock::new());
        let throttle = ThrottleConfig { clock: clock.clone(), ..ThrottleConfig::default() };
        let mail = MailSettings { smtp_url: sink.url(), from: "Demo <demo@localhost>".to_owned() };
        let demo = Demo::start_with(|settings| Settings { mail: Some(mail), throttle, ..settings }).await;

        // Every ask counts, whatever the address.
        let mut bot = demo.client_from(loopback(4));
        assert_eq!(PER_CLIENT_LINK_ASKS.max_failures, 5);
        for index in 0..5 {
            ask_for_link(&mut bot, &format!("nobody{index}@example.com"), None).await;
        }
        // The next one is refused, even from a new browser, and mails nothing.
        let mut new_browser = demo.client_from(loopback(4));
        let token = new_browser.get("/sign-in").await.csrf_token().unwrap();
        let refused = new_browser.post_form("/sign-in/email", &[("csrf_token", &token), ("email", "bob@example.com")]).await;
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert_eq!(refused.header("retry-after"), Some("900"));
        assert!(refused.body.contains(TOO_MANY_ASKS), "{}", refused.body);
        assert!(refused.body.contains(r#"id="sign-in-form""#), "the sign-in page, to try again later");

        // Another client is not limited.
        let mut bob = demo.client_from(loopback(5));
        ask_for_link(&mut bob, "bob@example.com", None).await;
        assert!(sink.wait_for(0).await.contains("bob@example.com"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.count(), 1, "the refused ask mailed nothing");

        clock.advance(Duration::from_secs(15 * 60));
        ask_for_link(&mut new_browser, "bob@example.com", None).await;
        sink.wait_for(1).await;
        demo.stop().await;
    }
}

demo_test! {
    async fn without_mail_there_are_no_email_links() {
        let demo = Demo::start().await;
        let mut client = demo.client();
        let page = client.get("/sign-in").await;
        assert!(!page.body.contains("email-link"), "{}", page.body);
        let token = page.csrf_token().unwrap();
        let asked = client.post_form("/sign-in/email", &[("csrf_token", &token), ("email", "bob@example.com")]).await;
        assert_eq!(asked.status, 404);
        assert_eq!(client.get("/sign-in/email/confirm?token=x").await.status, 404);
        demo.stop().await;
    }
}

/// Asks for a link as `client` and uses it; returns the answer to the POST.
async fn ask_and_use(client: &mut Client, sink: &SmtpSink, index: usize, email: &str) -> Response {
    ask_for_link(client, email, None).await;
    let mailed = path_of(&link_in(&sink.wait_for(index).await));
    use_link(client, &mailed).await
}

/// The email link on PostgreSQL and MariaDB, with sessions in Redis, when
/// their variables are set.
#[tokio::test]
#[allow(clippy::print_stdout)] // reports where it ran
async fn email_links_on_postgres_and_mysql_with_sessions_in_redis() {
    let Some(sink) = SmtpSink::start() else { return };
    let redis_url = std::env::var("MULTI_ACCOUNT_TEST_REDIS_URL").ok();
    for (backend, variable) in
        [("postgres", "MULTI_ACCOUNT_TEST_POSTGRES_URL"), ("mysql", "MULTI_ACCOUNT_TEST_MYSQL_URL")]
    {
        let Ok(server) = std::env::var(variable) else {
            println!("email links: skipped on {backend}");
            continue;
        };
        let index = sink.count();
        let redis_url = redis_url.clone();
        crate::backends::with_throwaway_database(&server, async |url| {
            let mail = MailSettings { smtp_url: sink.url(), from: "Demo <demo@localhost>".to_owned() };
            let demo =
                Demo::start_with(|settings| Settings { database_url: url, redis_url, mail: Some(mail), ..settings })
                    .await;
            let mut client = demo.client();
            let done = ask_and_use(&mut client, &sink, index, "carol@example.com").await;
            assert_eq!(done.status, 303, "{}", done.body);
            assert_eq!(signed_in_as(&client.get("/").await), Some("carol@example.com"));
            let token = client.get("/").await.csrf_token().unwrap();
            let mailed = link_in(&sink.wait_for(index).await);
            let again = client
                .post_form(
                    "/sign-in/email/confirm",
                    &[("csrf_token", &token), ("token", mailed.split("token=").nth(1).unwrap())],
                )
                .await;
            assert_eq!(again.status, 400, "used once: {}", again.body);
            demo.stop().await;
        })
        .await;
        println!("email links: ran on {backend}");
    }
}
