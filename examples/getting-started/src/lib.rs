//! The finished code of `docs/getting-started.md`: an actix-web + SeaORM app where a
//! person signs in to several accounts in one browser and switches between them.
//!
//! The app is a library (`app`) so that `tests/` can run it in-process; `main.rs`
//! only connects, migrates, seeds and serves.

pub mod linked_account;
pub mod migrator;
pub mod user;

use actix_session::{Session, SessionMiddleware, storage::CookieSessionStore};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, cookie::Key, web};
use multi_account_actix::{MultiAccountConfig, SessionToken, SignedInAccounts};
use multi_account_actix::{csrf, local_path, redirect, session};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// The whole app: your routes, the multi-account routes and the two middlewares.
pub fn app(
    db: DatabaseConnection,
    multi_account: MultiAccountConfig,
    key: Key,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(db))
        .configure(multi_account.routes::<user::Model>())
        .route("/", web::get().to(home))
        .route("/sign-in", web::get().to(sign_in_page))
        .route("/sign-in", web::post().to(sign_in))
        .wrap(SessionToken)
        .wrap(SessionMiddleware::new(CookieSessionStore::default(), key))
}

/// Creates ann@example.com and bob@example.com (password `password`) when there are
/// no users yet.
pub async fn seed(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    if user::Entity::find().one(db).await?.is_some() {
        return Ok(());
    }
    for (name, email) in [("Ann", "ann@example.com"), ("Bob", "bob@example.com")] {
        user::ActiveModel {
            name: Set(name.to_owned()),
            email: Set(email.to_owned()),
            password_hash: Set(password_auth::generate_hash("password")),
            active: Set(true),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct SignInQuery {
    return_to: Option<String>,
    error: Option<String>,
}

async fn sign_in_page(session: Session, query: web::Query<SignInQuery>) -> HttpResponse {
    // Created on first use, so writing it to the session can fail.
    let Ok(csrf_token) = csrf::csrf_token(&session) else {
        return HttpResponse::InternalServerError().finish();
    };
    sign_in_form(&csrf_token, query.return_to.as_deref(), query.error.is_some())
}

fn sign_in_form(csrf_token: &str, return_to: Option<&str>, error: bool) -> HttpResponse {
    render(SIGN_IN, minijinja::context! { csrf_token, return_to, error })
}

const SIGN_IN: &str = r#"<!doctype html>
<title>Sign in</title>
<h1>Sign in</h1>
{% if error %}<p>Wrong email or password.</p>{% endif %}
<form method="post" action="/sign-in">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  {% if return_to %}<input type="hidden" name="return_to" value="{{ return_to }}">{% endif %}
  <label>Email <input name="email" type="email" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button>Sign in</button>
</form>
"#;

#[derive(serde::Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    return_to: Option<String>,
    csrf_token: String,
}

async fn sign_in(
    db: web::Data<DatabaseConnection>,
    multi_account: web::Data<MultiAccountConfig>,
    session: Session,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    if !csrf::verify(&session, Some(&form.csrf_token)).unwrap_or(false) {
        return HttpResponse::Forbidden().finish();
    }
    let return_to = form.return_to.as_deref().and_then(local_path);
    let Some(user) = find_user_by_email_and_password(&db, &form.email, &form.password).await else {
        // One form, one guess: the token is spent. The form comes back with
        // `return_to`, so the next try still adds the account.
        let Ok(csrf_token) = csrf::rotate(&session) else {
            return HttpResponse::InternalServerError().finish();
        };
        let mut page = sign_in_form(&csrf_token, return_to, true);
        *page.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
        return page;
    };
    if multi_account.sign_in(&session, &user).await.is_err() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    redirect(return_to.unwrap_or("/"))
}

async fn find_user_by_email_and_password(db: &DatabaseConnection, email: &str, password: &str) -> Option<user::Model> {
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await
        .ok()??;
    // Hashing is slow on purpose: keep it off the async workers.
    let (password, hash) = (password.to_owned(), user.password_hash.clone());
    let verified = web::block(move || password_auth::verify_password(password, &hash)).await;
    matches!(verified, Ok(Ok(()))).then_some(user)
}

async fn home(session: Session, accounts: SignedInAccounts<user::Model>) -> HttpResponse {
    if accounts.current().is_none() {
        return redirect("/sign-in");
    }
    render(
        SWITCHER,
        minijinja::context! {
            switcher => accounts.switcher(),
            flash => session::take_flash(&session).unwrap_or_default(),
        },
    )
}

/// Renders an HTML page. `render_str` escapes nothing by default, and names, emails
/// and `return_to` are user input: turn HTML escaping on.
fn render(template: &str, context: minijinja::Value) -> HttpResponse {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    match env.render_str(template, context) {
        Ok(html) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

const SWITCHER: &str = r#"<!doctype html>
<title>Accounts</title>
{% if flash %}<p>{{ flash }}</p>{% endif %}
<ul>
{% for account in switcher.accounts %}
  <li>
    {{ account.user.name }} ({{ account.user.email }})
    {% if account.primary %}<small>primary</small>{% endif %}
    {% if account.current %}<strong>current</strong>{% endif %}
    {% if account.finish_form %}
      <small>not added yet</small>
      <form method="post" action="{{ account.finish_form.action }}">
        <input type="hidden" name="{{ account.finish_form.csrf_field }}" value="{{ account.finish_form.csrf_token }}">
        <button>Finish adding</button>
      </form>
    {% elif account.switch_form %}
      <form method="post" action="{{ account.switch_form.action }}">
        <input type="hidden" name="{{ account.switch_form.csrf_field }}" value="{{ account.switch_form.csrf_token }}">
        <button>Switch</button>
      </form>
    {% endif %}
    {% if account.remove_form %}
      <form method="post" action="{{ account.remove_form.action }}">
        <input type="hidden" name="{{ account.remove_form.csrf_field }}" value="{{ account.remove_form.csrf_token }}">
        <button>Remove</button>
      </form>
    {% endif %}
  </li>
{% endfor %}
</ul>
{% if switcher.add_account_form %}
<form method="post" action="{{ switcher.add_account_form.action }}">
  <input type="hidden" name="{{ switcher.add_account_form.csrf_field }}" value="{{ switcher.add_account_form.csrf_token }}">
  <button>Add another account</button>
</form>
{% endif %}
{% if switcher.sign_out_all_form %}
<form method="post" action="{{ switcher.sign_out_all_form.action }}">
  <input type="hidden" name="csrf_token" value="{{ switcher.csrf_token }}">
  <button>Sign out of all accounts</button>
</form>
{% endif %}
"#;
