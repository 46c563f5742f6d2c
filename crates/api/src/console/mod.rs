//! `/console`: a web console for the people who keep the client records, served by the same
//! binary as the API. Server-rendered HTML (maud) with one vendored helper script (htmx) for
//! search-as-you-type; all assets compiled in. See docs/console.md for the design.
//!
//! - `session`: sign-in, the session cookie, CSRF, per-request authentication;
//! - `data`: every read and write, with the API's permission checks and parsers;
//! - `forms`: form fields and how their text becomes API documents;
//! - `views`: the HTML; `assets`: the static files.

pub mod assets;
pub mod data;
pub mod forms;
pub mod session;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use clientele_core::enums::Permission;
use clientele_core::sub::SubKind;
use clientele_core::FieldError;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::AppState;

use forms::Values;
use session::{Change, Credential, FormData, SessionsExt, Signed};
use views::{FormPage, ListFilters, Nav};

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
        .route("/console/clients", get(list).post(create_client))
        .route("/console/clients/count", get(count))
        .route("/console/clients/new", get(new_client_form))
        .route("/console/clients/{id}", get(detail).post(update_client))
        .route("/console/clients/{id}/edit", get(edit_client_form))
        .route("/console/clients/{id}/archive", post(archive))
        .route("/console/clients/{id}/contacts", post(create_contact))
        .route("/console/clients/{id}/contacts/new", get(new_contact_form))
        .route("/console/clients/{id}/contacts/{cid}", post(update_contact))
        .route(
            "/console/clients/{id}/contacts/{cid}/edit",
            get(edit_contact_form),
        )
        .route(
            "/console/clients/{id}/contacts/{cid}/delete",
            post(delete_contact),
        )
        .route("/console/keys", get(keys).post(create_key))
        .route("/console/keys/{id}/revoke", post(revoke_key))
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

fn is_htmx(headers: &HeaderMap) -> bool {
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

// ---- the client list --------------------------------------------------------------------------

fn filters(q: &[(String, String)]) -> ListFilters {
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let sort = get("sort");
    ListFilters {
        search: get("search"),
        status: get("status"),
        kind: get("kind"),
        country: get("country"),
        creditworthiness: get("creditworthiness"),
        archived: get("archived"),
        sort: if views::is_sortable(&sort) {
            sort
        } else {
            String::new()
        },
        cursor: get("cursor"),
    }
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let f = filters(&q);
    let result = data::list_clients(
        state.store.as_ref(),
        &signed.caller,
        &f.api_params(true),
        PAGE_SIZE,
    )
    .await;
    if let Err(e) = &result {
        if e.status == StatusCode::FORBIDDEN || e.status.is_server_error() {
            return views::error_page(Some(&signed), e);
        }
    }
    let (clients, next, error) = match &result {
        Ok((c, n)) => (c.as_slice(), n.as_deref(), None),
        Err(e) => (&[][..], None, Some(e)),
    };
    let r = views::ListResult {
        clients,
        next,
        error,
    };
    let mut res = if is_htmx(&headers) {
        // htmx swaps only 2xx answers: a refused filter is shown in the results, as 200.
        views::html(StatusCode::OK, views::results(&f, &r))
    } else {
        let status = error.map_or(StatusCode::OK, |e| e.status);
        views::html(status, views::clients_page(&signed, &f, &r))
    };
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("hx-request"));
    res
}

async fn count(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let f = filters(&q);
    let total = data::count_clients(state.store.as_ref(), &signed.caller, &f.api_params(false))
        .await
        .ok()
        .flatten();
    let fragment = views::count_fragment(total);
    if is_htmx(&headers) {
        views::html(StatusCode::OK, fragment)
    } else {
        let body = maud::html! {
            h1 { "Matching clients" }
            p { (fragment) }
            p { a href=(f.url("/console/clients", &f.sort, "")) { "Back to the list" } }
        };
        views::html(
            StatusCode::OK,
            views::page("Matching clients", Some(&signed), Nav::Clients, body),
        )
    }
}

// ---- one client ------------------------------------------------------------------------------

async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let store = state.store.as_ref();
    let caller = &signed.caller;
    let loaded = async {
        let id = data::parse_client_id(&id)?;
        let client = data::get_client(store, caller, id).await?;
        let contacts = data::subs(store, caller, id, SubKind::ContactPerson).await?;
        let locations = data::subs(store, caller, id, SubKind::Location).await?;
        let accounts = data::subs(store, caller, id, SubKind::Account).await?;
        let before = q.get("history_before").and_then(|s| s.parse::<i64>().ok());
        let history = data::history(store, caller, id, before).await;
        Ok::<_, ApiError>((client, contacts, locations, accounts, history))
    }
    .await;
    match loaded {
        Err(e) => views::error_page(Some(&signed), &e),
        Ok((client, contacts, locations, accounts, history)) => {
            let d = views::Detail {
                client: &client,
                contacts: &contacts,
                locations: &locations,
                accounts: &accounts,
                history: history.as_ref(),
                notice: q.get("notice").map(String::as_str),
            };
            views::html(StatusCode::OK, views::client_detail(&signed, &d))
        }
    }
}

/// Field errors to show next to inputs, and a message for everything else.
fn form_errors(e: &ApiError) -> (Vec<FieldError>, Option<String>) {
    if !e.details.is_empty() {
        return (e.details.clone(), None);
    }
    if e.code == "CONFLICT" && e.message.contains("external_id") {
        return (
            vec![FieldError::new(
                "external_id",
                "conflict",
                "is already used by another record of this tenant",
            )],
            None,
        );
    }
    (Vec::new(), Some(e.message.clone()))
}

fn form_status(e: &ApiError) -> StatusCode {
    if e.code == "VALIDATION_ERROR" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        e.status
    }
}

/// The version a form was read at; a change without it cannot be checked for conflicts.
fn form_version(form: &FormData) -> Result<i64, ApiError> {
    form.get("version")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request("The form lacks the version it was read at; reload it")
        })
}

fn refused_unless_form_error(signed: &Signed, e: &ApiError) -> Option<Response> {
    let shown_in_form = matches!(
        e.code,
        "VALIDATION_ERROR" | "CONFLICT" | "PRECONDITION_FAILED"
    );
    (!shown_in_form).then(|| views::error_page(Some(signed), e))
}

async fn new_client_form(signed: Signed) -> Response {
    if let Err(e) = data::require(&signed.caller, Permission::ClientsWrite) {
        return views::error_page(Some(&signed), &e);
    }
    let p = FormPage {
        title: "New client",
        action: "/console/clients".into(),
        cancel: "/console/clients".into(),
        sections: forms::CLIENT_FORM,
        values: Values::Empty,
        errors: &[],
        message: None,
        version: None,
        conflict: None,
        submit: "Create client",
    };
    views::html(StatusCode::OK, views::form_page(&signed, Nav::New, &p))
}

async fn create_client(State(state): State<AppState>, change: Change) -> Response {
    let Change { signed, form } = change;
    let doc = forms::document(forms::CLIENT_FORM, &form);
    match data::create_client(state.store.as_ref(), &signed.caller, &doc).await {
        Ok(c) => views::see_other(&format!("/console/clients/{}?notice=created", c.id)),
        Err(e) => {
            if let Some(res) = refused_unless_form_error(&signed, &e) {
                return res;
            }
            let (errors, message) = form_errors(&e);
            let p = FormPage {
                title: "New client",
                action: "/console/clients".into(),
                cancel: "/console/clients".into(),
                sections: forms::CLIENT_FORM,
                values: Values::Submitted(&form),
                errors: &errors,
                message: message.as_deref(),
                version: None,
                conflict: None,
                submit: "Create client",
            };
            views::html(form_status(&e), views::form_page(&signed, Nav::New, &p))
        }
    }
}

async fn edit_client_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let loaded = async {
        data::require(&signed.caller, Permission::ClientsWrite)?;
        let id = data::parse_client_id(&id)?;
        data::get_client(state.store.as_ref(), &signed.caller, id).await
    }
    .await;
    let c = match loaded {
        Ok(c) => c,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let doc = serde_json::to_value(&c).unwrap_or(Value::Null);
    let title = format!("Edit {}", c.data.name);
    let p = FormPage {
        title: &title,
        action: format!("/console/clients/{}", c.id),
        cancel: format!("/console/clients/{}", c.id),
        sections: forms::CLIENT_FORM,
        values: Values::Stored(&doc),
        errors: &[],
        message: None,
        version: Some(c.version),
        conflict: None,
        submit: "Save changes",
    };
    views::html(StatusCode::OK, views::form_page(&signed, Nav::Clients, &p))
}

async fn update_client(
    State(state): State<AppState>,
    Path(id): Path<String>,
    change: Change,
) -> Response {
    let Change { signed, form } = change;
    let store = state.store.as_ref();
    let id = match data::parse_client_id(&id) {
        Ok(id) => id,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let version = match form_version(&form) {
        Ok(v) => v,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let patch = forms::document(forms::CLIENT_FORM, &form);
    let e = match data::update_client(store, &signed.caller, id, &patch, version).await {
        Ok(data::Updated::Changed(c)) => {
            return views::see_other(&format!("/console/clients/{}?notice=saved", c.id))
        }
        Ok(data::Updated::Unchanged(c)) => {
            return views::see_other(&format!("/console/clients/{}?notice=unchanged", c.id))
        }
        Err(e) => e,
    };
    if let Some(res) = refused_unless_form_error(&signed, &e) {
        return res;
    }
    // A conflict shows the form again with what is saved now next to what was typed.
    let current = if e.code == "PRECONDITION_FAILED" {
        match data::get_client(store, &signed.caller, id).await {
            Ok(c) => Some(c),
            Err(e) => return views::error_page(Some(&signed), &e),
        }
    } else {
        None
    };
    let current_doc = current
        .as_ref()
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null));
    let (errors, message) = if current.is_some() {
        (Vec::new(), None)
    } else {
        form_errors(&e)
    };
    let title = "Edit client";
    let p = FormPage {
        title,
        action: format!("/console/clients/{id}"),
        cancel: format!("/console/clients/{id}"),
        sections: forms::CLIENT_FORM,
        values: Values::Submitted(&form),
        errors: &errors,
        message: message.as_deref(),
        version: Some(version),
        conflict: match (&current, &current_doc) {
            (Some(c), Some(doc)) => Some(views::Conflict {
                yours: version,
                current: doc,
                current_version: c.version,
            }),
            _ => None,
        },
        submit: "Save changes",
    };
    let status = if current.is_some() {
        StatusCode::CONFLICT
    } else {
        form_status(&e)
    };
    views::html(status, views::form_page(&signed, Nav::Clients, &p))
}

async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    change: Change,
) -> Response {
    let Change { signed, form } = change;
    let version = match form_version(&form) {
        Ok(v) => v,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let archived = form.get("archived") == Some("true");
    let done = async {
        let id = data::parse_client_id(&id)?;
        data::set_archived(state.store.as_ref(), &signed.caller, id, archived, version).await
    }
    .await;
    match done {
        Ok(c) => {
            let notice = if archived { "archived" } else { "restored" };
            views::see_other(&format!("/console/clients/{}?notice={notice}", c.id))
        }
        Err(e) if e.code == "PRECONDITION_FAILED" => views::error_page(
            Some(&signed),
            &ApiError::new(
                StatusCode::CONFLICT,
                "CONFLICT",
                "Someone else changed this client since you opened it; nothing was changed. \
                 Open it again to see the current state.",
            ),
        ),
        Err(e) => views::error_page(Some(&signed), &e),
    }
}

// ---- contact persons -------------------------------------------------------------------------

async fn new_contact_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let loaded = async {
        data::require(&signed.caller, Permission::ClientsWrite)?;
        let id = data::parse_client_id(&id)?;
        data::get_client(state.store.as_ref(), &signed.caller, id).await
    }
    .await;
    let c = match loaded {
        Ok(c) => c,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let title = format!("New contact person for {}", c.data.name);
    let p = FormPage {
        title: &title,
        action: format!("/console/clients/{}/contacts", c.id),
        cancel: format!("/console/clients/{}", c.id),
        sections: forms::CONTACT_FORM,
        values: Values::Empty,
        errors: &[],
        message: None,
        version: None,
        conflict: None,
        submit: "Add contact person",
    };
    views::html(StatusCode::OK, views::form_page(&signed, Nav::Clients, &p))
}

async fn create_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    change: Change,
) -> Response {
    let Change { signed, form } = change;
    let id = match data::parse_client_id(&id) {
        Ok(id) => id,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let doc = forms::document(forms::CONTACT_FORM, &form);
    match data::create_contact(state.store.as_ref(), &signed.caller, id, &doc).await {
        Ok(_) => views::see_other(&format!(
            "/console/clients/{id}?notice=contact-created#contacts"
        )),
        Err(e) => {
            if let Some(res) = refused_unless_form_error(&signed, &e) {
                return res;
            }
            let (errors, message) = form_errors(&e);
            let p = FormPage {
                title: "New contact person",
                action: format!("/console/clients/{id}/contacts"),
                cancel: format!("/console/clients/{id}"),
                sections: forms::CONTACT_FORM,
                values: Values::Submitted(&form),
                errors: &errors,
                message: message.as_deref(),
                version: None,
                conflict: None,
                submit: "Add contact person",
            };
            views::html(form_status(&e), views::form_page(&signed, Nav::Clients, &p))
        }
    }
}

async fn edit_contact_form(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, cid)): Path<(String, String)>,
) -> Response {
    let loaded = async {
        data::require(&signed.caller, Permission::ClientsWrite)?;
        let id = data::parse_client_id(&id)?;
        let cid = data::parse_sub_id(&cid)?;
        data::get_contact(state.store.as_ref(), &signed.caller, id, cid).await
    }
    .await;
    let s = match loaded {
        Ok(s) => s,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let doc = s.data.to_json();
    let p = FormPage {
        title: "Edit contact person",
        action: format!("/console/clients/{}/contacts/{}", s.client_id, s.id),
        cancel: format!("/console/clients/{}#contacts", s.client_id),
        sections: forms::CONTACT_FORM,
        values: Values::Stored(&doc),
        errors: &[],
        message: None,
        version: Some(s.version),
        conflict: None,
        submit: "Save contact person",
    };
    views::html(StatusCode::OK, views::form_page(&signed, Nav::Clients, &p))
}

async fn update_contact(
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
    change: Change,
) -> Response {
    let Change { signed, form } = change;
    let store = state.store.as_ref();
    let ids = data::parse_client_id(&id).and_then(|id| Ok((id, data::parse_sub_id(&cid)?)));
    let (id, cid) = match ids {
        Ok(ids) => ids,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let version = match form_version(&form) {
        Ok(v) => v,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let patch = forms::document(forms::CONTACT_FORM, &form);
    let e = match data::update_contact(store, &signed.caller, id, cid, &patch, version).await {
        Ok(_) => {
            return views::see_other(&format!(
                "/console/clients/{id}?notice=contact-saved#contacts"
            ))
        }
        Err(e) => e,
    };
    if let Some(res) = refused_unless_form_error(&signed, &e) {
        return res;
    }
    let current = if e.code == "PRECONDITION_FAILED" {
        match data::get_contact(store, &signed.caller, id, cid).await {
            Ok(s) => Some(s),
            Err(e) => return views::error_page(Some(&signed), &e),
        }
    } else {
        None
    };
    let current_doc = current.as_ref().map(|s| s.data.to_json());
    let (errors, message) = if current.is_some() {
        (Vec::new(), None)
    } else {
        form_errors(&e)
    };
    let p = FormPage {
        title: "Edit contact person",
        action: format!("/console/clients/{id}/contacts/{cid}"),
        cancel: format!("/console/clients/{id}#contacts"),
        sections: forms::CONTACT_FORM,
        values: Values::Submitted(&form),
        errors: &errors,
        message: message.as_deref(),
        version: Some(version),
        conflict: match (&current, &current_doc) {
            (Some(s), Some(doc)) => Some(views::Conflict {
                yours: version,
                current: doc,
                current_version: s.version,
            }),
            _ => None,
        },
        submit: "Save contact person",
    };
    let status = if current.is_some() {
        StatusCode::CONFLICT
    } else {
        form_status(&e)
    };
    views::html(status, views::form_page(&signed, Nav::Clients, &p))
}

async fn delete_contact(
    State(state): State<AppState>,
    Path((id, cid)): Path<(String, String)>,
    change: Change,
) -> Response {
    let Change { signed, form } = change;
    let version = match form_version(&form) {
        Ok(v) => v,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let done = async {
        let id = data::parse_client_id(&id)?;
        let cid = data::parse_sub_id(&cid)?;
        data::delete_contact(state.store.as_ref(), &signed.caller, id, cid, version).await?;
        Ok::<_, ApiError>(id)
    }
    .await;
    match done {
        Ok(id) => views::see_other(&format!(
            "/console/clients/{id}?notice=contact-deleted#contacts"
        )),
        Err(e) => views::error_page(Some(&signed), &e),
    }
}

// ---- API keys --------------------------------------------------------------------------------

async fn keys(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let keys = match data::list_keys(state.store.as_ref(), &signed.caller).await {
        Ok(k) => k,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let notice = match q.get("notice").map(String::as_str) {
        Some("revoked") => Some("Key revoked: requests with it fail from now on."),
        _ => None,
    };
    let p = views::KeysPage {
        keys: &keys,
        created: None,
        errors: &[],
        form: None,
        notice,
    };
    views::html(StatusCode::OK, views::keys_page(&signed, &p))
}

async fn create_key(State(state): State<AppState>, change: Change) -> Response {
    let Change { signed, form } = change;
    let store = state.store.as_ref();
    let text = |k: &str| {
        form.get(k)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or(Value::Null, |s| Value::String(s.to_string()))
    };
    let body = json!({
        "name": text("name"),
        "permissions": form.all("permissions"),
        "rate_limit": text("rate_limit"),
    });
    let created = data::create_key(store, &signed.caller, &body).await;
    let (errors, created) = match created {
        Ok(c) => (Vec::new(), Some(c)),
        Err(e) if e.code == "VALIDATION_ERROR" => (e.details, None),
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let keys = match data::list_keys(store, &signed.caller).await {
        Ok(k) => k,
        Err(e) => return views::error_page(Some(&signed), &e),
    };
    let status = if errors.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = views::KeysPage {
        keys: &keys,
        created: created.as_ref().map(|(k, plain)| (k, plain.as_str())),
        errors: &errors,
        form: if errors.is_empty() { None } else { Some(&form) },
        notice: None,
    };
    views::html(status, views::keys_page(&signed, &p))
}

async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    change: Change,
) -> Response {
    match data::revoke_key(state.store.as_ref(), &change.signed.caller, &id).await {
        Ok(_) => views::see_other("/console/keys?notice=revoked"),
        Err(e) => views::error_page(Some(&change.signed), &e),
    }
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
