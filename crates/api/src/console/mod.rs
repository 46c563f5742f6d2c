//! `/console`: a web console for the people who keep the client records, served by the same
//! binary as the API. Server-rendered HTML (maud) with one vendored helper script (htmx) for
//! search-as-you-type; all assets compiled in. See docs/console.md for the design.
//!
//! - `session`: sign-in, the session cookie, CSRF, per-request authentication;
//! - `data`: every read and write, with the API's permission checks and parsers;
//! - `forms`: form fields and how their text becomes API documents;
//! - `views`: the HTML; `assets`: the static files;
//! - `clients`, `contacts`, `keys`: the pages' handlers.

pub mod assets;
mod clients;
mod contacts;
pub mod data;
pub mod forms;
mod keys;
pub mod session;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Form, Router};

use crate::error::ApiError;
use crate::AppState;

use session::{Change, Credential, FormData, SessionsExt};

/// The policy of every console response: scripts and styles only from this server, no inline
/// code, no framing, forms only to this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Clients per list page.
pub const PAGE_SIZE: u32 = 25;

/// The console's routes, registered once in `crate::router`.
pub fn routes() -> Router<AppState> {
    let sessions = SessionsExt(Arc::new(session::Sessions::default()));
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/sign-in", get(sign_in_form).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route(
            "/console/clients",
            get(clients::list).post(clients::create_client),
        )
        .route("/console/clients/count", get(clients::count))
        .route("/console/clients/new", get(clients::new_client_form))
        .route(
            "/console/clients/{id}",
            get(clients::detail).post(clients::update_client),
        )
        .route("/console/clients/{id}/edit", get(clients::edit_client_form))
        .route("/console/clients/{id}/archive", post(clients::archive))
        .route(
            "/console/clients/{id}/contacts",
            post(contacts::create_contact),
        )
        .route(
            "/console/clients/{id}/contacts/new",
            get(contacts::new_contact_form),
        )
        .route(
            "/console/clients/{id}/contacts/{cid}",
            post(contacts::update_contact),
        )
        .route(
            "/console/clients/{id}/contacts/{cid}/edit",
            get(contacts::edit_contact_form),
        )
        .route(
            "/console/clients/{id}/contacts/{cid}/delete",
            post(contacts::delete_contact),
        )
        .route("/console/keys", get(keys::keys).post(keys::create_key))
        .route("/console/keys/{id}/revoke", post(keys::revoke_key))
        .route("/console/assets/{version}/{name}", get(assets::serve))
        .layer(Extension(sessions))
        .layer(middleware::from_fn(guard))
}

/// Refuses changes that come from another site (a second line behind the SameSite cookie and
/// the CSRF token), and puts the security headers on every console response.
async fn guard(mut req: Request, next: Next) -> Response {
    let who = session::WhoSlot::default();
    req.extensions_mut().insert(who.clone());
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD);
    if unsafe_method && !same_origin(req.headers()) {
        return views::error_page(
            None,
            &ApiError::forbidden("Changes are accepted only from this console's own pages"),
        );
    }
    let mut res = next.run(req).await;
    if let Some(identity) = who.take() {
        // For the access log, as on /v1: who made the request.
        res.extensions_mut().insert(identity);
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages hold tenant data and the CSRF token: never stored by the browser or a proxy.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// `Sec-Fetch-Site` (sent by current browsers) must say the request came from this origin;
/// otherwise an `Origin` header, if any, must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

/// A `next` target after sign-in: only console pages of this server.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.starts_with("/console/sign-")
                && !n.contains("//")
                && !n.contains('\\')
                && n.len() < 2048 =>
        {
            n.to_string()
        }
        _ => "/console/clients".to_string(),
    }
}

async fn home() -> Response {
    views::see_other("/console/clients")
}

// ---- sign-in and sign-out ---------------------------------------------------------------------

async fn sign_in_form(Query(q): Query<HashMap<String, String>>) -> Response {
    let next = safe_next(q.get("next").map(String::as_str));
    views::html(
        StatusCode::OK,
        views::sign_in(q.get("notice").map(String::as_str), None, &next),
    )
}

async fn sign_in(
    State(state): State<AppState>,
    Extension(sessions): Extension<SessionsExt>,
    ext: Extensions,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let form = FormData(form);
    let next = safe_next(form.get("next"));
    // Every attempt is charged to the client address, like an API call without a valid
    // credential: guessing keys here is no faster than on /v1.
    let limit = state.config.default_rate_limit;
    if let Err(res) = session::charge(&state, &session::address_bucket(&ext), limit).await {
        return res;
    }
    let input = form.get("credential").unwrap_or("").trim();
    if input.is_empty() {
        return views::html(
            StatusCode::UNAUTHORIZED,
            views::sign_in(None, Some("Enter an API key or a JWT."), &next),
        );
    }
    let credential = Credential::from_input(input);
    match session::resolve(&state, &credential).await {
        Ok(_) => match sessions.0.open(credential) {
            Some(token) => {
                let mut res = views::see_other(&next);
                res.headers_mut()
                    .insert(header::SET_COOKIE, session::set_cookie(&token));
                res
            }
            None => views::error_page(None, &ApiError::internal("no randomness for a session")),
        },
        Err(e) if e.status.is_client_error() => views::html(
            StatusCode::UNAUTHORIZED,
            views::sign_in(None, Some(&e.message), &next),
        ),
        Err(e) => views::error_page(None, &e),
    }
}

async fn sign_out(Extension(sessions): Extension<SessionsExt>, change: Change) -> Response {
    sessions.0.close(&change.signed.token);
    let mut res = views::see_other("/console/sign-in?notice=signed-out");
    res.headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_the_console() {
        assert_eq!(
            safe_next(Some("/console/clients?x=1")),
            "/console/clients?x=1"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/console//evil",
            "/v1/clients",
            "/console/sign-in",
            "/console\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/clients", "{bad}");
        }
    }

    #[test]
    fn changes_must_come_from_this_origin() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
    }
}
