//! The finished code of `docs/getting-started-axum.md`: an axum + SeaORM app where a
//! person signs in to several accounts in one browser and switches between them.
//!
//! The app is a library (`app`) so that `tests/` can run it in-process; `main.rs`
//! only connects, migrates, seeds and serves.

pub mod linked_account;
pub mod migrator;
pub mod user;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use multi_account_axum::{MultiAccountConfig, MultiAccountError, SignedInAccounts, csrf, local_path, session};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tower_sessions::cookie::SameSite;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

/// What every handler can extract with `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: DatabaseConnection,
    /// Multi-account's configuration; `sign_in` is a method of it.
    pub multi_account: MultiAccountConfig,
}

/// The whole app: your routes, the multi-account routes and the two layers.
pub fn app(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(MemoryStore::default())
        // `Secure` is tower-sessions' default, and right behind HTTPS. Off only for
        // plain-HTTP development on localhost: delete this line when you deploy.
        .with_secure(false)
        // Not the default `Strict`: it drops the cookie on a sign-in provider's
        // redirect back to you (a top-level navigation from another site).
        .with_same_site(SameSite::Lax);
    Router::new()
        .merge(state.multi_account.router::<user::Model, AppState>())
        .route("/", get(home))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .layer(state.multi_account.layer())
        .layer(sessions)
        .with_state(state)
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
}

async fn sign_in_page(session: Session, Query(query): Query<SignInQuery>) -> Result<Response, MultiAccountError> {
    // Created on first use, so it writes the session (which can fail: a 503).
    let csrf_token = csrf::csrf_token(&session).await?;
    Ok(sign_in_form(&csrf_token, query.return_to.as_deref(), false))
}

fn sign_in_form(csrf_token: &str, return_to: Option<&str>, error: bool) -> Response {
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
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SignInForm>,
) -> Result<Response, MultiAccountError> {
    if !csrf::verify(&session, Some(&form.csrf_token)).await? {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let return_to = form.return_to.as_deref().and_then(local_path);
    let Some(user) = find_user_by_email_and_password(&state.db, &form.email, &form.password).await else {
        // One form, one guess: the token is spent. The form comes back with
        // `return_to`, so the next try still adds the account.
        let csrf_token = csrf::rotate(&session).await?;
        return Ok((StatusCode::UNAUTHORIZED, sign_in_form(&csrf_token, return_to, true)).into_response());
    };
    // Outside "Add another account" this replaces the browser's previous group.
    state.multi_account.sign_in(&session, &user).await?;
    Ok(Redirect::to(return_to.unwrap_or("/")).into_response())
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
    let verified = tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash)).await;
    matches!(verified, Ok(Ok(()))).then_some(user)
}

async fn home(session: Session, accounts: SignedInAccounts<user::Model>) -> Result<Response, MultiAccountError> {
    if accounts.current().is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let flash = session::take_flash(&session).await?;
    Ok(render(SWITCHER, minijinja::context! { switcher => accounts.switcher(), flash }))
}

/// Renders an HTML page. `render_str` escapes nothing by default, and names, emails
/// and `return_to` are user input: turn HTML escaping on.
fn render(template: &str, context: minijinja::Value) -> Response {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    match env.render_str(template, context) {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
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
  <input type="hidden" name="{{ switcher.sign_out_all_form.csrf_field }}" value="{{ switcher.sign_out_all_form.csrf_token }}">
  <button>Sign out of all accounts</button>
</form>
{% endif %}
"#;
