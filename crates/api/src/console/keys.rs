//! The API-key pages (admin credentials only): list, create (the key shown once), revoke.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::data;
use super::session::{Change, Signed};
use super::views::{self};
use crate::AppState;

// ---- API keys --------------------------------------------------------------------------------

pub(super) async fn keys(
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

pub(super) async fn create_key(State(state): State<AppState>, change: Change) -> Response {
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

pub(super) async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    change: Change,
) -> Response {
    match data::revoke_key(state.store.as_ref(), &change.signed.caller, &id).await {
        Ok(_) => views::see_other("/console/keys?notice=revoked"),
        Err(e) => views::error_page(Some(&change.signed), &e),
    }
}
