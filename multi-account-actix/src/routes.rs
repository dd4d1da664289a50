//! The link, switch, remove and sign-out-all routes.

use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::http::header;
use actix_web::web::{self, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use multi_account::{AccountGroup, AccountId, LinkError, LinkService, MultiAccountUser};
use serde::Deserialize;

use crate::audit::{OptionalId, event, refused};
use crate::config::MultiAccountConfig;
use crate::csrf::{self, CSRF_FIELD, csrf_token};
use crate::error::MultiAccountError;
use crate::flash::put_flash;
use crate::handlers::AutoSubmitForm;
use crate::link_intent::LinkIntent;
use crate::loader::{Accounts, config, load};
use crate::local_redirect::{local_path, same_origin_referer};
use crate::session::{
    get_primary_user_id, multi_account_session, put_multi_account_session, put_session_token, signed_in_id,
    write_user_id,
};
use crate::session_token::new_session_token;
use crate::{auth_fingerprint, session_budget};

/// The CSRF token of a form or query string.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfParam {
    csrf_token: Option<String>,
}

impl MultiAccountConfig {
    /// Registers this config and the four routes for the user model `U`, at
    /// [`Paths`](crate::Paths): link (GET shows the page for the current step, POST
    /// starts with `?start` or completes), switch (POST; GET too with
    /// [`with_get_switch`](Self::with_get_switch)), remove and sign-out-all (POST).
    /// Every POST needs the CSRF token and a same-origin request. Pass it to
    /// `App::configure`:
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
            let paths = config.paths.clone();
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
                .service(web::resource(&paths.sign_out_all).route(web::post().to(sign_out_all::<U>)));
        }
    }
}

/// The config, or 404 when multi-account is switched off.
fn enabled(req: &HttpRequest) -> Result<Data<MultiAccountConfig>, MultiAccountError> {
    let config = config(req)?;
    if !config.is_enabled() {
        return Err(MultiAccountError::Disabled);
    }
    Ok(config)
}

fn parse_id<U: MultiAccountUser>(text: &str) -> Result<U::Id, MultiAccountError> {
    U::Id::parse_canonical(text).ok_or(MultiAccountError::MalformedId)
}

fn check_csrf(session: &Session, action: &'static str, presented: Option<&str>) -> Result<(), MultiAccountError> {
    if csrf::verify(session, presented) {
        return Ok(());
    }
    refused(action, "csrf", &"", &"");
    Err(MultiAccountError::Csrf)
}

/// Refuses a request another site made the browser send: `Sec-Fetch-Site` other
/// than `same-origin` or `none` (typed, bookmarked), or an `Origin` that is not
/// this one. The CSRF token already stops these; this keeps a leaked token from
/// being used cross-site, and changes nothing either way.
fn check_same_origin(req: &HttpRequest, action: &'static str) -> Result<(), MultiAccountError> {
    let header = |name| req.headers().get(name).map(|value| value.to_str().unwrap_or("invalid"));
    let fetch_site_ok = header(header::HeaderName::from_static("sec-fetch-site"))
        .is_none_or(|site| site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"));
    let origin_ok = header(header::ORIGIN).is_none_or(|origin| {
        let info = req.connection_info();
        origin == format!("{}://{}", info.scheme(), info.host())
    });
    if fetch_site_ok && origin_ok {
        return Ok(());
    }
    refused(action, "cross_site", &"", &"");
    Err(MultiAccountError::Forbidden("cross-site request"))
}

/// The CSRF and same-origin checks every state change makes.
fn check_request(
    req: &HttpRequest,
    session: &Session,
    action: &'static str,
    presented: Option<&str>,
) -> Result<(), MultiAccountError> {
    check_same_origin(req, action)?;
    check_csrf(session, action, presented)
}

/// A 303 to a local path (anything else becomes `/`).
fn redirect(path: &str) -> HttpResponse {
    let target = local_path(path).unwrap_or("/");
    HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish()
}

/// Renews the session id and the CSRF token: every privilege change does both.
fn renew(session: &Session) -> Result<(), MultiAccountError> {
    session.renew();
    csrf::rotate(session)?;
    Ok(())
}

/// The request's accounts for a state change: 503 when the database failed.
async fn load_for_change<U: MultiAccountUser>(req: &HttpRequest) -> Result<Rc<Accounts<U>>, MultiAccountError> {
    let accounts = load::<U>(req).await?;
    if accounts.database_failed {
        return Err(MultiAccountError::Unavailable);
    }
    Ok(accounts)
}

/// The signed-in group, re-checked by the loader (primary active and still
/// signed in here, current account signed in): what switch and remove act on.
async fn signed_in_group<U: MultiAccountUser>(
    req: &HttpRequest,
    action: &'static str,
    target: &U::Id,
) -> Result<Rc<Accounts<U>>, MultiAccountError> {
    let accounts = load_for_change::<U>(req).await?;
    if accounts.current.is_none() || accounts.group.is_none() {
        refused(action, "no_signed_in_group", &"", target);
        return Err(MultiAccountError::Forbidden("not a signed-in multi-account session"));
    }
    Ok(accounts)
}

fn link_path(config: &MultiAccountConfig, primary: &impl std::fmt::Display) -> String {
    config.paths.link_url(primary)
}

/// Whether this request is the last step of a link: the session's own group,
/// a fresh intent for it, and a signed-in account that is not in the group yet.
fn completes_link<U: MultiAccountUser>(
    config: &MultiAccountConfig,
    session: &Session,
    accounts: &Accounts<U>,
    primary_id: &U::Id,
    current_id: &U::Id,
) -> bool {
    get_primary_user_id::<U>(session).as_ref() == Some(primary_id)
        && current_id != primary_id
        && accounts.group.as_ref().is_some_and(|group| group.is_open() && !group.contains(current_id))
        && LinkIntent::fresh(session, &primary_id.to_string(), config.link_intent_ttl, config.now()).is_some()
}

/// Whether the current account may add an account to `primary_id`'s group: it
/// is that primary, or a member of the session's group of that primary.
fn may_start_link<U: MultiAccountUser>(
    session: &Session,
    accounts: &Accounts<U>,
    primary_id: &U::Id,
    current_id: &U::Id,
) -> bool {
    match &accounts.group {
        Some(group) => get_primary_user_id::<U>(session).as_ref() == Some(primary_id) && group.contains(current_id),
        None => current_id == primary_id,
    }
}

/// GET link: reads only. As the account that just signed in for a fresh intent,
/// the auto-submitting form that completes the link; as the primary (or an
/// account of its group), a page whose form starts adding an account.
async fn link_page<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(&req)?;
    let primary_id = parse_id::<U>(&path)?;
    let session = req.get_session();
    let accounts = load_for_change::<U>(&req).await?;
    let Some(current) = accounts.current.as_ref() else {
        refused("link", "signed_out", &primary_id, &"");
        return Err(MultiAccountError::Unauthorized);
    };
    let current_id = current.id();
    let link = link_path(&config, &primary_id);
    if completes_link(&config, &session, &accounts, &primary_id, &current_id) {
        let form = AutoSubmitForm { action: link, csrf_field: CSRF_FIELD, csrf_token: csrf_token(&session)? };
        return Ok(config.handlers.render_auto_submit(&req, &form));
    }
    if !may_start_link(&session, &accounts, &primary_id, &current_id) {
        refused("link", "not_signed_in_primary", &primary_id, &current_id);
        return Err(MultiAccountError::Forbidden("link: the path is not this session's signed-in primary"));
    }
    let form = AutoSubmitForm {
        action: config.paths.link_start_url(&primary_id),
        csrf_field: CSRF_FIELD,
        csrf_token: csrf_token(&session)?,
    };
    Ok(config.handlers.render_link_start(&req, &form))
}

/// POST link: `?start` starts adding an account; otherwise completes the link.
async fn link_post<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    let starts = req.query_string().split('&').any(|pair| pair == "start" || pair.starts_with("start="));
    if starts { link_start::<U>(req, path, form).await } else { link_complete::<U>(req, path, form).await }
}

/// Starts adding an account: as the primary (or an account of its group), open
/// the group in the database, record a link intent and go to sign-in.
async fn link_start<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(&req)?;
    let primary_id = parse_id::<U>(&path)?;
    let session = req.get_session();
    check_request(&req, &session, "link", form.csrf_token.as_deref())?;
    let accounts = load_for_change::<U>(&req).await?;
    let Some(current) = accounts.current.as_ref() else {
        refused("link", "signed_out", &primary_id, &"");
        return Err(MultiAccountError::Unauthorized);
    };
    let current_id = current.id();
    if !may_start_link(&session, &accounts, &primary_id, &current_id) {
        refused("link", "not_signed_in_primary", &primary_id, &current_id);
        return Err(MultiAccountError::Forbidden("link: the path is not this session's signed-in primary"));
    }
    let link = link_path(&config, &primary_id);
    let return_to = same_origin_referer(&req)
        .filter(|referer| *referer != link && !referer.starts_with(&format!("{link}?")))
        .unwrap_or_else(|| config.handlers.after_link_path(&req));
    let intent = LinkIntent::new(primary_id.to_string(), return_to, config.now(), config.link_intent_ttl);
    let intent_cost = serde_json::to_string(&intent).map_or(usize::MAX, |text| text.len() * 2);
    if !session_budget::has_room(&session, config.session_budget, intent_cost + session_budget::record_cost::<U>()) {
        refused("link", "session_full", &primary_id, &current_id);
        put_flash(&session, SESSION_FULL);
        return Ok(redirect(&intent.return_to));
    }
    if !accounts.group.as_ref().is_some_and(AccountGroup::is_open) {
        // Entering multi-account mode, or the group was signed out of: a new group
        // under a new token, so no row of an ended group is ever written again.
        let token = new_session_token();
        LinkService::<U>::open_group(&config.db, &primary_id, &token).await.map_err(|error| {
            tracing::error!(%error, "multi-account: opening the group failed");
            MultiAccountError::Unavailable
        })?;
        put_multi_account_session::<U>(&session, &primary_id, &token)?;
    }
    intent.store(&session)?;
    event("link_started", &primary_id, &current_id);
    Ok(redirect(&config.handlers.sign_in_path(&req, &link)))
}

/// The flash of a link refused because the session has no room for another
/// account's sign-in.
const SESSION_FULL: &str = "This browser cannot hold another account; remove one to add another.";

/// Completes a link. Requires the path id to be this session's primary, a fresh
/// intent, another account signed in, the CSRF token, and the group still open
/// under this session's token, which then moves to a new one.
async fn link_complete<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(&req)?;
    let primary_id = parse_id::<U>(&path)?;
    let session = req.get_session();
    check_request(&req, &session, "link", form.csrf_token.as_deref())?;
    let accounts = load_for_change::<U>(&req).await?;
    let current_id = accounts.current.as_ref().map(MultiAccountUser::id);
    let forbid = |reason: &'static str| {
        refused("link", reason, &primary_id, &OptionalId(current_id.as_ref()));
        MultiAccountError::Forbidden(reason)
    };
    let Some(current_id) = current_id.clone() else { return Err(forbid("signed_out")) };
    let Some((session_primary, token)) = multi_account_session::<U>(&session) else {
        return Err(forbid("no_multi_account_session"));
    };
    if session_primary != primary_id {
        return Err(forbid("path_is_not_session_primary"));
    }
    if current_id == primary_id {
        return Err(forbid("current_is_primary"));
    }
    let Some(intent) = LinkIntent::fresh(&session, &primary_id.to_string(), config.link_intent_ttl, config.now())
    else {
        return Err(forbid("no_fresh_link_intent"));
    };
    let back_to_primary = |message: &str| -> Result<HttpResponse, MultiAccountError> {
        LinkIntent::clear(&session);
        auth_fingerprint::forget(&session, &current_id)?;
        write_user_id::<U>(&session, config.identity_key, &primary_id)?;
        renew(&session)?;
        put_flash(&session, message);
        Ok(redirect(&intent.return_to))
    };
    if !session_budget::has_room_without(&session, config.session_budget, crate::session_keys::LINK_INTENT) {
        refused("link", "session_full", &primary_id, &current_id);
        return back_to_primary(SESSION_FULL);
    }

    let new_token = new_session_token();
    match LinkService::<U>::complete_link(&config.db, &primary_id, &current_id, &token, &new_token).await {
        Ok(outcome) => {
            LinkIntent::clear(&session);
            put_session_token(&session, &new_token)?;
            let mut members: Vec<String> =
                accounts.group.iter().flat_map(|group| group.iter()).map(|user| user.id().to_string()).collect();
            members.push(current_id.to_string());
            auth_fingerprint::retain(&session, &members)?;
            renew(&session)?;
            tracing::info!(target: crate::audit::AUDIT_TARGET, event = "link", primary = %primary_id, user = %current_id, outcome = ?outcome);
            Ok(redirect(&intent.return_to))
        }
        Err(LinkError::Database(error)) => {
            tracing::error!(%error, "multi-account: link failed");
            Err(MultiAccountError::Unavailable)
        }
        Err(LinkError::NotInGroup) => {
            // The group left this token meanwhile (signed out, or moved by another
            // tab completing a link): nothing to complete. Nothing is written
            // either, so this response does not overwrite the other tab's cookie.
            Err(forbid("group_closed"))
        }
        Err(error) => {
            // Refused by the rules (full group, inactive account, ..): back to the
            // primary with a message.
            refused("link", error.reason(), &primary_id, &current_id);
            back_to_primary(&error.to_string())
        }
    }
}

async fn switch_get<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    switch::<U>(&req, &path, query.csrf_token.as_deref()).await
}

async fn switch_post<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    switch::<U>(&req, &path, form.csrf_token.as_deref()).await
}

/// Switches to an account of this session's group.
async fn switch<U: MultiAccountUser>(
    req: &HttpRequest,
    target: &str,
    presented: Option<&str>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(req)?;
    let target_id = parse_id::<U>(target)?;
    let session = req.get_session();
    check_request(req, &session, "switch", presented)?;
    let accounts = signed_in_group::<U>(req, "switch", &target_id).await?;
    let Some(group) = accounts.group.as_ref() else { return Err(MultiAccountError::Forbidden("switch")) };
    let primary_id = group.primary().id();
    // The loader kept only accounts that are active, linked in this session and
    // still signed in here (auth_hash), so membership is the whole check.
    if !group.contains(&target_id) {
        refused("switch", "not_in_group", &primary_id, &target_id);
        // The token was good but is spent: a probe with it (from a leaked link)
        // learns one answer, not many.
        csrf::rotate(&session)?;
        return Err(MultiAccountError::Forbidden("switch: the account is not in this session's group"));
    }
    write_user_id::<U>(&session, config.identity_key, &target_id)?;
    renew(&session)?;
    event("switch", &primary_id, &target_id);
    let back = same_origin_referer(req).unwrap_or_else(|| config.handlers.after_switch_path(req));
    Ok(redirect(&back))
}

/// Removes one account from the group; if it was acting, back to the primary.
async fn remove<U: MultiAccountUser>(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(&req)?;
    let target_id = parse_id::<U>(&path)?;
    let session = req.get_session();
    check_request(&req, &session, "unlink", form.csrf_token.as_deref())?;
    signed_in_group::<U>(&req, "unlink", &target_id).await?;
    let Some((primary_id, token)) = multi_account_session::<U>(&session) else {
        refused("unlink", "no_multi_account_session", &"", &target_id);
        return Err(MultiAccountError::Forbidden("unlink: not a multi-account session"));
    };
    let back = same_origin_referer(&req).unwrap_or_else(|| config.handlers.after_switch_path(&req));
    if target_id == primary_id {
        refused("unlink", "primary", &primary_id, &target_id);
        put_flash(&session, "The primary account cannot be removed; sign out of all accounts instead.");
        return Ok(redirect(&back));
    }
    match LinkService::<U>::unlink(&config.db, &primary_id, &target_id, &token).await {
        Ok(true) => {}
        Ok(false) => {
            refused("unlink", "not_linked", &primary_id, &target_id);
            return Err(MultiAccountError::Forbidden("unlink: the account is not linked in this session"));
        }
        Err(error) => {
            tracing::error!(%error, "multi-account: unlink failed");
            return Err(MultiAccountError::Unavailable);
        }
    }
    if signed_in_id::<U>(&session, config.identity_key).as_ref() == Some(&target_id) {
        write_user_id::<U>(&session, config.identity_key, &primary_id)?;
    }
    auth_fingerprint::forget(&session, &target_id)?;
    renew(&session)?;
    event("unlink", &primary_id, &target_id);
    Ok(redirect(&back))
}

/// Signs out of every account: deletes this session's links, then clears the
/// session.
async fn sign_out_all<U: MultiAccountUser>(
    req: HttpRequest,
    form: web::Form<CsrfParam>,
) -> Result<HttpResponse, MultiAccountError> {
    let config = enabled(&req)?;
    let session = req.get_session();
    check_request(&req, &session, "sign_out_all", form.csrf_token.as_deref())?;
    config.sign_out_all::<U>(&session).await?;
    Ok(redirect(&config.handlers.sign_out_path(&req)))
}
