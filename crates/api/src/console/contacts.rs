//! The contact-person pages of a client: create, edit, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::enums::Permission;

use super::data;
use super::forms::{self, Values};
use super::session::{Change, Signed};
use super::views::{self, FormPage, Nav};
use crate::error::ApiError;
use crate::AppState;

use super::clients::{form_errors, form_status, form_version, refused_unless_form_error};

// ---- contact persons -------------------------------------------------------------------------

pub(super) async fn new_contact_form(
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

pub(super) async fn create_contact(
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

pub(super) async fn edit_contact_form(
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

pub(super) async fn update_contact(
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

pub(super) async fn delete_contact(
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
