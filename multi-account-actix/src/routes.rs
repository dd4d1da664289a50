//! The link, switch, remove and sign-out-all routes.

use actix_session::SessionExt;
use actix_web::http::header;
use actix_web::web::{self, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use multi_account::MultiAccountUser;
use multi_account::session::{Decision, Response};
use serde::Deserialize;

use crate::config::MultiAccountConfig;
use crate::csrf::CSRF_FIELD;
use crate::error::MultiAccountError;
use crate::handlers::AutoSubmitForm;
use crate::loader::config;
use crate::request::{RequestDestinations, flow_request};
use crate::session_state;

/// The CSRF token of a form or query string.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfParam {
    csrf_token: Option<String>,
}

/// A form (or query) that may not even be one: anything unreadable is no token,
/// refused with 403 like a wrong one rather than with actix's own 400 or 415.
type Lenient<T> = Result<T, actix_web::Error>;

fn presented(form: &Lenient<web::Form<CsrfParam>>) -> Option<&str> {
    form.as_ref().ok().and_then(|form| form.csrf_token.as_deref())
}

impl MultiAccountConfig {
    /// Registers this config and the four routes for the user model `U`, at
    /// [`Paths`](crate::Paths): link (GET shows the page for the current step, POST
    /// starts with `?start` or completes), switch (POST; GET too with
    /// [`with_get_switch`](Self::with_get_switch)), remove and sign-out-all (POST);
    /// and the JSON API under `Paths::api` (`GET accounts`, `POST switch/{id}`,
    /// `remove/{id}`, `sign-out-all`, `link/start`, `link/complete`). Every POST
    /// needs the CSRF token (a form field; the `X-CSRF-Token` header for the JSON
    /// API) and a same-origin request. Pass it to `App::configure`:
    ///
    /// ```
    /// # mod user {
    /// #     use sea_orm::entity::prelude::*;
    /// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, multi_account::MultiAccountUser)]
    /// #     #[sea_orm(table_name = "users")]
    /// #     #[multi_account(linked_account = crate::linked_account::Entity, display_fields(email))]
    /// #     pub struct Model {
    /// #         #[sea_orm(primary_key)]
    /// #         pub id: i64,
    /// #         pub email: String,
    /// #     }
    /// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    /// #     pub enum Relation {}
    /// #     impl ActiveModelBehavior for ActiveModel {}
    /// # }
    /// # mod linked_account {
    /// #     #[derive(multi_account::LinkedAccount)]
    /// #     #[linked_account(user = crate::user::Entity)]
    /// #     pub struct LinkedAccount;
    /// # }
    /// fn app(multi_account: multi_account_actix::MultiAccountConfig) {
    ///     let _app = actix_web::App::new().configure(multi_account.routes::<user::Model>());
    /// }
    /// # fn main() {}
    /// ```
    pub fn routes<U: MultiAccountUser>(&self) -> impl FnOnce(&mut ServiceConfig) + use<U> {
        let config = self.clone();
        move |cfg: &mut ServiceConfig| {
            let paths = config.paths().clone();
            let get_switch = config.get_switch;
            // One resource per path: every request to a route registered after
            // these is matched against each resource's pattern in turn.
            cfg.app_data(Data::new(config))
                .service(
                    web::resource(&paths.link)
                        .route(web::get().to(link_page::<U>))
                        .route(web::post().to(link_post::<U>)),
                )
                .service({
                    let switch = web::resource(&paths.switch).route(web::post().to(switch_post::<U>));
                    if get_switch { switch.route(web::get().to(switch_get::<U>)) } else { switch }
                })
                .service(web::resource(&paths.remove).route(web::post().to(remove::<U>)))
                .service(web::resource(&paths.sign_out_all).route(web::post().to(sign_out_all::<U>)))
                .service(
                    web::resource(&paths.again).route(web::get().to(again_page::<U>)).route(web::post().to(again::<U>)),
                )
                .service(web::resource(&paths.forget).route(web::post().to(forget)));
            crate::api_routes::register::<U>(cfg, &paths);
        }
    }
}

/// Applies a decision: its session writes, then its response.
fn apply(
    config: &MultiAccountConfig,
    req: &HttpRequest,
    decision: Decision,
) -> Result<HttpResponse, MultiAccountError> {
    session_state::apply(&req.get_session(), &decision.writes)?;
    crate::request::set_cookies(req, &decision.writes);
    let form = |form: multi_account::session::Form| AutoSubmitForm {
        action: form.action,
        csrf_field: CSRF_FIELD,
        csrf_token: form.csrf_token,
    };
    match decision.response {
        Response::Redirect(path) => Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, path)).finish()),
        Response::AutoSubmit(auto_submit) => Ok(config.handlers.render_auto_submit(req, &form(auto_submit))),
        Response::LinkStart(start) => Ok(config.handlers.render_link_start(req, &form(start))),
        Response::Refused(refusal) => Err(refusal.into()),
    }
}

/// GET link: reads only. As the account that just signed in for a fresh intent,
/// the auto-submitting form that completes the link; as the primary (or an
/// account of its group), a page whose form starts adding an account.
async fn link_page<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let decision = config.core.link_page::<U>(&state, &path).await;
    apply(&config, &req, decision)
}

/// POST link: `?start` starts adding an account; otherwise completes the link.
async fn link_post<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let starts = crate::request::has_flag(req.query_string(), "start");
    let state = session_state::read_request(&config, &req);
    let request = flow_request(&req, presented(&form));
    let decision = if starts {
        let destinations = RequestDestinations { config: &config, req: &req };
        config.core.link_start::<U>(&state, &request, &path, &destinations).await
    } else {
        config.core.link_complete::<U>(&state, &request, &path).await
    };
    apply(&config, &req, decision)
}

async fn switch_get<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    query: Lenient<web::Query<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let presented = query.as_ref().ok().and_then(|query| query.csrf_token.as_deref());
    switch::<U>(&req, &path, presented).await
}

async fn switch_post<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    switch::<U>(&req, &path, presented(&form)).await
}

/// Switches to an account of this session's group.
async fn switch<U: MultiAccountUser>(
    req: &HttpRequest,
    target: &str,
    presented: Option<&str>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(req)?;
    let state = session_state::read_request(&config, req);
    let destinations = RequestDestinations { config: &config, req };
    let decision = config.core.switch::<U>(&state, &flow_request(req, presented), target, &destinations).await;
    apply(&config, req, decision)
}

/// Removes one account from the group; if it was acting, back to the primary.
async fn remove<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&form));
    let decision = config.core.remove::<U>(&state, &request, &path, &destinations).await;
    apply(&config, &req, decision)
}

/// Signs out of every account: deletes this session's links, then clears the
/// session.
async fn sign_out_all<U: MultiAccountUser>(
    req: HttpRequest,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&form));
    let forget = crate::request::has_flag(req.query_string(), "forget");
    let decision = config.core.sign_out_all_flow::<U>(&state, &request, forget, &destinations).await;
    apply(&config, &req, decision)
}

/// GET "Sign in again": signed out, to the sign-in page with the account's
/// hint; signed in, the page whose form adds it.
async fn again_page<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let decision = config.core.sign_in_again_page::<U>(&state, &path, &destinations).await;
    apply(&config, &req, decision)
}

/// POST "Sign in again": adds the remembered account (the add-account flow).
async fn again<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&form));
    let decision = config.core.sign_in_again::<U>(&state, &request, &path, &destinations).await;
    apply(&config, &req, decision)
}

/// POST "Forget": this browser no longer remembers the account.
async fn forget(
    req: HttpRequest,
    path: web::Path<String>,
    form: Lenient<web::Form<CsrfParam>>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = config(&req)?;
    let state = session_state::read_request(&config, &req);
    let destinations = RequestDestinations { config: &config, req: &req };
    let request = flow_request(&req, presented(&form));
    apply(&config, &req, config.core.forget(&state, &request, &path, &destinations))
}
