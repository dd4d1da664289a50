//! The account switcher view model renders in a template engine.

use crate::support;

use crate::support::{User, database};
use actix_web::{HttpResponse, test, web};
use multi_account_actix::test_support::{TestClient, cookie_session};
use multi_account_actix::{MultiAccountConfig, SessionToken, SignedInAccounts};

const TEMPLATE: &str = r#"{% for a in switcher.accounts %}[{{ a.user.name }} <{{ a.user.email }}>{% if a.current %} current{% endif %}{% if a.primary %} primary{% endif %}{% if a.switch_url %} switch={{ a.switch_url }}{% endif %}{% if a.remove_form %} remove={{ a.remove_form.action }}{% endif %}]{% endfor %} add={{ switcher.add_account_url }} out={{ switcher.sign_out_all_form.action }}"#;

async fn render(accounts: SignedInAccounts<User>) -> HttpResponse {
    let env = minijinja::Environment::new();
    let html = env.render_str(TEMPLATE, minijinja::context! { switcher => accounts.switcher() }).unwrap();
    HttpResponse::Ok().body(html)
}

#[tokio::test]
async fn switcher_lists_the_group_with_urls_and_renders_in_minijinja() {
    let test = database(3).await;
    let config = MultiAccountConfig::new(test.db.clone());
    let configure = support::configure(&config);
    let app = test::init_service(
        actix_web::App::new()
            .configure(configure)
            .route("/switcher", web::get().to(render))
            .wrap(SessionToken)
            .wrap(cookie_session()),
    )
    .await;
    let mut client = TestClient::new(app);
    client.sign_in(&1).await;
    assert_eq!(
        client.get("/switcher").await.body,
        "[user1 <user1@example.com> current primary] add=/link/p/1 out=/link/sign-out-all"
    );
    client.complete_link(&1, &2).await;
    client.complete_link(&1, &3).await;
    let token = client.csrf().await;
    assert_eq!(
        client.get("/switcher").await.body,
        format!(
            "[user1 <user1@example.com> primary switch=/link/switch_to/1?csrf_token={token}]\
             [user2 <user2@example.com> switch=/link/switch_to/2?csrf_token={token} remove=/link/remove/2]\
             [user3 <user3@example.com> current remove=/link/remove/3] add=/link/p/1 out=/link/sign-out-all"
        )
    );
    // The JSON form carries the POST form data too.
    let json: serde_json::Value = serde_json::from_str(&client.get("/switcher.json").await.body).unwrap();
    assert_eq!(json["accounts"][0]["switch_form"]["action"], "/link/switch_to/1");
    assert_eq!(json["accounts"][0]["switch_form"]["csrf_token"], token.as_str());
    assert_eq!(json["accounts"][2]["switch_form"], serde_json::Value::Null);
    assert_eq!(json["sign_out_all_form"]["csrf_field"], "csrf_token");
    assert_eq!(json["add_account_url"], "/link/p/1");
    assert_eq!(json["add_account_form"]["action"], "/link/p/1?start");
    assert_eq!(json["add_account_form"]["csrf_token"], token.as_str());
}
