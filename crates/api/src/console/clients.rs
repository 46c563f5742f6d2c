//! The client pages: the list (with its count), one client, and creating, editing and
//! archiving a client.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use clientele_core::enums::Permission;
use clientele_core::sub::SubKind;
use clientele_core::FieldError;
use serde_json::Value;

use super::forms::{self, Values};
use super::session::{Change, FormData, Signed};
use super::views::{self, FormPage, ListFilters, Nav};
use super::{data, is_htmx, PAGE_SIZE};
use crate::error::ApiError;
use crate::AppState;

// ---- the client list --------------------------------------------------------------------------

pub(super) fn filters(q: &[(String, String)]) -> ListFilters {
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

pub(super) async fn list(
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

pub(super) async fn count(
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

pub(super) async fn detail(
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
pub(super) fn form_errors(e: &ApiError) -> (Vec<FieldError>, Option<String>) {
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

pub(super) fn form_status(e: &ApiError) -> StatusCode {
    if e.code == "VALIDATION_ERROR" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        e.status
    }
}

/// The version a form was read at; a change without it cannot be checked for conflicts.
pub(super) fn form_version(form: &FormData) -> Result<i64, ApiError> {
    form.get("version")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request("The form lacks the version it was read at; reload it")
        })
}

pub(super) fn refused_unless_form_error(signed: &Signed, e: &ApiError) -> Option<Response> {
    let shown_in_form = matches!(
        e.code,
        "VALIDATION_ERROR" | "CONFLICT" | "PRECONDITION_FAILED"
    );
    (!shown_in_form).then(|| views::error_page(Some(signed), e))
}

pub(super) async fn new_client_form(signed: Signed) -> Response {
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

pub(super) async fn create_client(State(state): State<AppState>, change: Change) -> Response {
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

pub(super) async fn edit_client_form(
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

pub(super) async fn update_client(
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

pub(super) async fn archive(
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
