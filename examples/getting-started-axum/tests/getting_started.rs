//! The guide's app, in process, driven only through its real pages and forms: sign
//! in with a password, add a second account through the link flow, switch, remove,
//! sign out of all; finish adding an account from the switcher.

use axum::http::StatusCode;
use multi_account_axum::MultiAccountConfig;
use multi_account_axum::test_support::{TestClient, TestResponse, auto_submit_token};
use my_axum_app::{AppState, app, migrator::Migrator, seed, user};
use sea_orm::DatabaseConnection;
use sea_orm::{ActiveModelTrait, Set};
use sea_orm_migration::MigratorTrait;

/// Undoes minijinja's HTML escaping of attribute values.
fn unescape(value: &str) -> String {
    value
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the attribute that follows `marker` (`marker` ends with `="`).
fn attr_after(page: &str, marker: &str) -> Option<String> {
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(unescape(&page[start..start + end]))
}

/// The value of the hidden field `name`.
fn hidden(page: &str, name: &str) -> Option<String> {
    attr_after(page, &format!(r#"name="{name}" value=""#))
}

/// The `action` and CSRF token of the first POST form in `page` whose action
/// starts with `prefix`.
fn form_posting_to(page: &str, prefix: &str) -> Option<(String, String)> {
    let mut rest = page;
    while let Some(start) = rest.find("<form") {
        let form = &rest[start..start + rest[start..].find("</form>")?];
        let tag = &form[..form.find('>')?];
        let action = attr_after(tag, r#"action=""#)?;
        if tag.contains(r#"method="post""#) && action.starts_with(prefix) {
            return Some((action, hidden(form, "csrf_token")?));
        }
        rest = &rest[start + form.len()..];
    }
    None
}

/// The `<li>` of the switcher that shows `email`.
fn entry<'a>(page: &'a str, email: &str) -> Option<&'a str> {
    let at = page.find(&format!("({email})"))?;
    let start = page[..at].rfind("<li>")?;
    let end = at + page[at..].find("</li>")?;
    Some(&page[start..end])
}

/// Signs in as `email` (password `password`) through the sign-in form at
/// `sign_in_url`, with the hidden fields it holds (the CSRF token, `return_to`).
async fn sign_in_as(client: &mut TestClient, sign_in_url: &str, email: &str) -> TestResponse {
    let page = client.get(sign_in_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = hidden(&page.body, "csrf_token").expect("csrf token");
    let mut fields = vec![("csrf_token", csrf.as_str()), ("email", email), ("password", "password")];
    let return_to = hidden(&page.body, "return_to");
    if let Some(return_to) = &return_to {
        fields.push(("return_to", return_to));
    }
    client.post_form("/sign-in", &fields).await
}

/// The real app on `db`, behind a client that keeps its cookies.
fn client(db: &DatabaseConnection) -> TestClient {
    TestClient::new(app(AppState { db: db.clone(), multi_account: MultiAccountConfig::new(db.clone()) }))
}

#[tokio::test]
async fn ann_adds_bob_switches_removes_and_signs_out() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.expect("database");
    Migrator::up(&db, None).await.expect("migrations");
    seed(&db).await.expect("seed");
    seed(&db).await.expect("seeding twice is a no-op");
    let mut client = client(&db);

    // Signed out, home sends you to the sign-in page.
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/sign-in"));

    // A wrong password and a missing CSRF token are refused.
    let page = client.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.body, "csrf_token").expect("csrf token on the sign-in page");
    let wrong = client
        .post_form("/sign-in", &[("csrf_token", &csrf), ("email", "ann@example.com"), ("password", "wrong")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong email or password"), "{}", wrong.body);
    let spent = client
        .post_form("/sign-in", &[("csrf_token", &csrf), ("email", "ann@example.com"), ("password", "password")])
        .await;
    assert_eq!(spent.status, StatusCode::FORBIDDEN, "one form, one guess: the token is spent");
    let forged = client
        .post_form("/sign-in", &[("csrf_token", "forged"), ("email", "ann@example.com"), ("password", "password")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Ann signs in through the real form.
    let page = client.get("/sign-in").await;
    let csrf = hidden(&page.body, "csrf_token").expect("csrf token");
    let signed_in = client
        .post_form("/sign-in", &[("csrf_token", &csrf), ("email", "ann@example.com"), ("password", "password")])
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some("/"));
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let ann = entry(&home.body, "ann@example.com").expect("ann in the switcher");
    assert!(ann.contains("current"), "{ann}");
    assert!(entry(&home.body, "bob@example.com").is_none());

    // "Add another account" is a form posting to /link/p/<ann's id>?start with
    // the CSRF token; a GET of the link page offers the same form and writes
    // nothing.
    let (start, csrf) = form_posting_to(&home.body, "/link/p/").expect("the add-account form");
    let link = start.strip_suffix("?start").expect("a start form").to_owned();
    let start_page = client.get(&link).await;
    assert_eq!(start_page.status, StatusCode::OK, "{}", start_page.body);
    assert!(!start_page.set_cookie, "the GET wrote nothing");
    let (again, _) = form_posting_to(&start_page.body, &link).expect("the form that starts adding an account");
    assert_eq!(again, start);
    let started = client.post_form(&start, &[("csrf_token", &csrf)]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let sign_in_url = started.location.expect("redirect to sign in");
    assert!(sign_in_url.starts_with("/sign-in?return_to="), "{sign_in_url}");

    // Bob mistypes his password on the page the link flow sent us to: the form
    // comes back with `return_to`, and his next try returns to the link.
    let page = client.get(&sign_in_url).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.body, "csrf_token").expect("csrf token");
    let return_to = hidden(&page.body, "return_to").expect("return_to field");
    assert_eq!(return_to, link);
    let page = client
        .post_form(
            "/sign-in",
            &[("csrf_token", &csrf), ("return_to", &return_to), ("email", "bob@example.com"), ("password", "wrong")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let csrf = hidden(&page.body, "csrf_token").expect("a new csrf token");
    assert_eq!(hidden(&page.body, "return_to").as_deref(), Some(link.as_str()), "return_to is kept");
    let signed_in = client
        .post_form(
            "/sign-in",
            &[("csrf_token", &csrf), ("return_to", &return_to), ("email", "bob@example.com"), ("password", "password")],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some(link.as_str()));

    // The auto-submit page completes the link.
    let auto_submit = client.get(&link).await;
    assert_eq!(auto_submit.status, StatusCode::OK, "{}", auto_submit.body);
    let token = auto_submit_token(&auto_submit.body).expect("auto-submit token");
    let linked = client.post_form(&link, &[("csrf_token", &token)]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    let after = linked.location.expect("redirect after the link");

    // Both accounts are in the switcher; Bob acts now, Ann is the primary.
    let home = client.get(&after).await;
    assert_eq!(home.status, StatusCode::OK);
    let ann = entry(&home.body, "ann@example.com").expect("ann in the switcher");
    let bob = entry(&home.body, "bob@example.com").expect("bob in the switcher");
    assert!(ann.contains("primary") && !ann.contains("current"), "{ann}");
    assert!(bob.contains("current"), "{bob}");
    assert!(bob.contains("Remove"), "{bob}");

    // Switch back to Ann with her switch form (a POST: switching by GET is off
    // by default, and no token goes in a URL).
    assert!(!ann.contains("csrf_token="), "no token in a URL: {ann}");
    let (switch, csrf) =
        form_posting_to(ann, "/link/switch_to/").unwrap_or_else(|| panic!("a switch form in ann's entry: {ann}"));
    let switched = client.post_form(&switch, &[("csrf_token", &csrf)]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.body);
    let home = client.get("/").await;
    let ann = entry(&home.body, "ann@example.com").expect("ann");
    let bob = entry(&home.body, "bob@example.com").expect("bob");
    assert!(ann.contains("current"), "{ann}");
    assert!(bob.contains("Switch"), "{bob}");

    // Remove Bob with his remove form.
    let (action, csrf) = form_posting_to(bob, "/link/remove/").expect("remove form");
    let removed = client.post_form(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let home = client.get("/").await;
    assert!(entry(&home.body, "ann@example.com").expect("ann").contains("current"));
    assert!(entry(&home.body, "bob@example.com").is_none(), "{}", home.body);

    // Sign out of all accounts.
    let end = home.body.find("Sign out of all").expect("sign-out form");
    let form = &home.body[home.body[..end].rfind("<form").expect("form")..end];
    let action = attr_after(form, r#"action=""#).expect("sign-out action");
    let csrf = hidden(form, "csrf_token").expect("sign-out csrf token");
    let signed_out = client.post_form(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER, "{}", signed_out.body);
    assert_eq!(signed_out.location.as_deref(), Some("/"));
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn names_are_html_escaped() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.expect("database");
    Migrator::up(&db, None).await.expect("migrations");
    user::ActiveModel {
        name: Set("<script>alert(1)</script>".to_owned()),
        email: Set("eve@example.com".to_owned()),
        password_hash: Set(password_auth::generate_hash("password")),
        active: Set(true),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("eve");
    let mut client = client(&db);

    let page = client.get("/sign-in?return_to=%22%3E%3Cscript%3E").await;
    assert!(!page.body.contains("\"><script>"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf_token").expect("csrf token");
    client
        .post_form("/sign-in", &[("csrf_token", &csrf), ("email", "eve@example.com"), ("password", "password")])
        .await;
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("<script>"), "{}", home.body);
    assert!(home.body.contains("&lt;script&gt;"), "{}", home.body);
}

#[tokio::test]
async fn an_account_not_added_yet_finishes_from_the_switcher() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.expect("database");
    Migrator::up(&db, None).await.expect("migrations");
    seed(&db).await.expect("seed");
    let mut client = client(&db);

    // Ann signs in and starts adding an account; Bob signs in.
    let signed_in = sign_in_as(&mut client, "/sign-in", "ann@example.com").await;
    assert_eq!(signed_in.location.as_deref(), Some("/"));
    let home = client.get("/").await;
    let (start, csrf) = form_posting_to(&home.body, "/link/p/").expect("the add-account form");
    let link = start.strip_suffix("?start").expect("a start form").to_owned();
    let started = client.post_form(&start, &[("csrf_token", &csrf)]).await;
    let sign_in_url = started.location.expect("redirect to sign in");
    let signed_in = sign_in_as(&mut client, &sign_in_url, "bob@example.com").await;
    assert_eq!(signed_in.location.as_deref(), Some(link.as_str()));

    // Bob never loads the auto-submit page (a closed tab, a typed URL): the
    // switcher lists him as not added yet, with the form that finishes.
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let ann = entry(&home.body, "ann@example.com").expect("ann in the switcher");
    let bob = entry(&home.body, "bob@example.com").expect("bob in the switcher");
    assert!(ann.contains("primary"), "{ann}");
    assert!(bob.contains("current") && bob.contains("not added yet"), "{bob}");
    assert!(!bob.contains("Remove"), "not a member yet: {bob}");
    let (finish, csrf) = form_posting_to(bob, "/link/p/").expect("the finish form");
    assert_eq!(finish, link);
    let linked = client.post_form(&finish, &[("csrf_token", &csrf)]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);

    // Bob is in the group now: removable, and nothing left to finish.
    let home = client.get(&linked.location.expect("redirect after the link")).await;
    let bob = entry(&home.body, "bob@example.com").expect("bob in the switcher");
    assert!(bob.contains("current") && bob.contains("Remove"), "{bob}");
    assert!(!bob.contains("not added yet") && !bob.contains("Finish adding"), "{bob}");
}
