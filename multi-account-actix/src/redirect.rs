//! The answer to a form POST that sends the browser on.

use actix_web::HttpResponse;
use actix_web::http::header;

/// A `303 See Other` to `location`: the browser follows it with a GET (after a
/// sign-in, a sign-out, a refused form). Give it a path of your site, or a
/// `return_to` only once [`local_path`](crate::local_path) accepted it.
///
/// ```
/// let response = multi_account_actix::redirect("/sign-in?error=1");
/// assert_eq!(response.status(), actix_web::http::StatusCode::SEE_OTHER);
/// ```
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}
