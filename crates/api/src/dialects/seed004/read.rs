//! Reading a client as this dialect shows it (with all its contact persons), its ETag, and the
//! responses of single resources (the bare model, `ETag`, `Location`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clientele_core::service::{self, Precondition, ServiceResult};
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::{query, Client, Store, TenantId};
use serde::Serialize;
use uuid::Uuid;

use super::wire::Seed004Client;
use super::PREFIX;
use crate::dialects::none_match;

/// Contact persons read per store call when a client is shown.
const CONTACT_PAGE: u32 = 100;
/// Most contact persons shown in one client (`contactPersons`): 100 pages of [`CONTACT_PAGE`].
pub const MAX_CONTACTS: u64 = 10_000;

/// All the client's contact persons (newest first, as the core lists them), at most
/// [`MAX_CONTACTS`]: one store read per 100.
pub async fn all_contacts(
    store: &dyn Store,
    tenant: TenantId,
    client_id: Uuid,
) -> ServiceResult<Vec<SubResource>> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < MAX_CONTACTS {
        let page = service::list_subs(
            store,
            tenant,
            SubKind::ContactPerson,
            client_id,
            CONTACT_PAGE,
            offset,
            false,
        )
        .await?;
        let n = page.items.len();
        out.extend(page.items);
        if n < CONTACT_PAGE as usize {
            break;
        }
        offset += u64::from(CONTACT_PAGE);
    }
    Ok(out)
}

/// The ETag of a client as shown here: its version (the native ETag) when it has no contact
/// persons, else the version and a fingerprint of its contacts' ids and versions
/// (`"4-1c9e0f3a5b7d2e44"`), so a change to a contact person changes it too.
pub fn client_etag(version: i64, contacts: &[SubResource]) -> String {
    if contacts.is_empty() {
        return format!("\"{version}\"");
    }
    let mut parts: Vec<(String, String)> = contacts
        .iter()
        .map(|c| (c.id.to_string(), c.version.to_string()))
        .collect();
    parts.sort_unstable();
    let refs: Vec<(&str, &str)> = parts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    format!("\"{version}-{:016x}\"", query::fingerprint(&refs))
}

/// A client shown here, with its ETag.
pub struct Shown {
    pub client: Seed004Client,
    pub etag: String,
}

/// Shows a client read from the core: with all its contact persons, in the caller's
/// organisation.
pub async fn show(store: &dyn Store, tenant: TenantId, client: &Client) -> ServiceResult<Shown> {
    let contacts = all_contacts(store, tenant, client.id).await?;
    Ok(Shown {
        etag: client_etag(client.version, &contacts),
        client: Seed004Client::new(client, tenant.0, &contacts),
    })
}

/// The URL of a client, for `Location`.
pub fn client_location(id: Uuid) -> String {
    format!("{PREFIX}/clients/{id}")
}

/// The URL of a contact person, for `Location`.
pub fn contact_location(client_id: Uuid, id: Uuid) -> String {
    format!("{PREFIX}/clients/{client_id}/contact-persons/{id}")
}

/// `If-Match` on a client write: `*`, or the client's version, read from the start of one of
/// our ETags (`"4"` or `"4-…"`: the contact fingerprint is not compared, the store checks the
/// version atomically). Anything else matches nothing.
pub fn client_if_match(headers: &HeaderMap) -> Option<Precondition> {
    let raw = headers.get(header::IF_MATCH)?.to_str().ok().unwrap_or("");
    let first = raw.split(',').map(str::trim).next().unwrap_or("");
    if first == "*" {
        return Some(Precondition::Any);
    }
    let tag = first.trim_start_matches("W/").trim_matches('"');
    let version = tag.split('-').next().and_then(|v| v.parse::<i64>().ok());
    Some(version.map_or(Precondition::Never, Precondition::Version))
}

/// A single resource: the bare model with its `ETag` (and `Location` when given).
pub fn single<T: Serialize>(
    status: StatusCode,
    body: &T,
    etag: &str,
    location: Option<String>,
) -> Response {
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A read: 304 with the ETag when `If-None-Match` lists it, else 200 with the body.
pub fn conditional<T: Serialize>(headers: &HeaderMap, body: &T, etag: &str) -> Response {
    if none_match(headers, etag) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(etag) {
            res.headers_mut().insert(header::ETAG, v);
        }
        return res;
    }
    single(StatusCode::OK, body, etag, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::sub::SubData;
    use clientele_core::types::Timestamp;
    use serde_json::json;

    fn contact(id: Uuid, version: i64) -> SubResource {
        SubResource {
            id,
            client_id: Uuid::nil(),
            data: SubData::from_json(SubKind::ContactPerson, &json!({"name": "A"})).expect("valid"),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            version,
        }
    }

    fn headers(name: header::HeaderName, v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(v).expect("value"));
        h
    }

    #[test]
    fn the_etag_follows_the_client_and_its_contacts() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(client_etag(4, &[]), "\"4\"");
        let one = client_etag(4, &[contact(a, 1), contact(b, 1)]);
        assert!(one.starts_with("\"4-"), "{one}");
        assert_eq!(one, client_etag(4, &[contact(b, 1), contact(a, 1)]));
        assert_ne!(one, client_etag(4, &[contact(a, 1), contact(b, 2)]));
        assert_ne!(one, client_etag(4, &[contact(a, 1)]));
        assert_ne!(one, client_etag(5, &[contact(a, 1), contact(b, 1)]));
    }

    #[test]
    fn if_match_reads_the_version_of_either_form() {
        let m = |v: &str| client_if_match(&headers(header::IF_MATCH, v));
        assert_eq!(m("\"4\""), Some(Precondition::Version(4)));
        assert_eq!(m("\"4-1c9e0f3a5b7d2e44\""), Some(Precondition::Version(4)));
        assert_eq!(m("W/\"7\""), Some(Precondition::Version(7)));
        assert_eq!(m("*"), Some(Precondition::Any));
        assert_eq!(m("\"abc\""), Some(Precondition::Never));
        assert_eq!(client_if_match(&HeaderMap::new()), None);
    }
}
