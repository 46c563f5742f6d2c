//! The seed dialects (docs/dialects.md): other vendors' client APIs served at their own paths,
//! each a thin mapping onto the one core. A dialect is one module `seedNNN/` with
//!
//! - `wire.rs`: its shapes and the pure functions between them and the native documents and
//!   domain values (unit-tested, no axum);
//! - `query.rs`: its list parameters → the core [`ClientQuery`](clientele_core::query::ClientQuery)
//!   (pure);
//! - `routes.rs`: handlers with `#[utoipa::path]` under a tag of its own (`dialect NNN`, listed
//!   in `openapi.rs`), schemas named `SeedNNN...` so no two dialects collide, calling
//!   `clientele_core::service` exactly like `/v1`;
//! - `mod.rs`: its [`Policy`](crate::policy::Policy) and `surface()`, registered by one line
//!   in `surfaces()` (`lib.rs`).
//!
//! What more than one dialect needs is here, so each reuses it instead of writing its own:
//!
//! - [`service_error`]: a use case's failure as the native error envelope, with `details.field`
//!   (and a conflict's key) renamed to the dialect's name for it;
//! - [`cached_json`], [`content_etag`], [`none_match`]: a JSON body with `Cache-Control` and an
//!   ETag that is a hash of the body itself, and `304` for a matching `If-None-Match`; for
//!   bodies that combine several stored things (a list page, a client with its main contact),
//!   where a single version would not change when the body does;
//! - [`uncached_error`]: the native error envelope with `Cache-Control: no-store`, as the
//!   `render_error` of a dialect whose successful answers are cacheable (an error must not be);
//! - [`respond`]: a handler's result as a response, errors through [`uncached_error`];
//! - [`allow_only_documented`] (and [`allow_only_documented_with`], for a path registered in
//!   two groups): other methods on a path → 405 `METHOD_NOT_ALLOWED` with an `Allow` listing
//!   exactly the documented ones (axum would also list `HEAD`); [`method_not_allowed`] is
//!   that answer;
//! - [`nothing_committed`]: the `render_committed` of a read-only dialect;
//! - [`int_param`], [`once`]: list parameters read the native way (an integer within bounds, a
//!   parameter given at most once), refusals naming the parameter as the dialect names it.

pub mod seed000;
pub mod seed001;
pub mod seed002;
pub mod seed003;
pub mod seed004;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clientele_core::service::{Precondition, ServiceError};
use clientele_core::sub::SubResource;
use clientele_core::{query, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::UtoipaMethodRouter;

use crate::error::ApiError;
use crate::policy::{Committed, Rendered};
use crate::state::AppState;

/// A use case's failure as the native error envelope, each `details.field` (and the field of
/// an invalid reference, the key of a conflict) renamed by `rename` from its native dotted path
/// to the dialect's name.
pub fn service_error(e: ServiceError, rename: impl Fn(&str) -> String) -> ApiError {
    let e = match e {
        ServiceError::Invalid(details) => ServiceError::Invalid(
            details
                .into_iter()
                .map(|mut d| {
                    d.field = rename(&d.field);
                    d
                })
                .collect(),
        ),
        ServiceError::InvalidReference(field) => ServiceError::InvalidReference(rename(&field)),
        ServiceError::Conflict { what, key } => ServiceError::Conflict {
            what,
            key: rename(&key),
        },
        other => other,
    };
    e.into()
}

/// The native error envelope with `Cache-Control: no-store`.
pub fn uncached_error(e: ApiError) -> Response {
    let mut res = e.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A handler's outcome: the response, or the error through [`uncached_error`].
pub fn respond(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(uncached_error)
}

/// The strong ETag of a body: a hash of its bytes (128 bits of SHA-256, hex), quoted.
pub fn content_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak comparison, as RFC 9110 asks for
/// `If-None-Match`, so `W/"x"` matches `"x"`.
pub fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(raw) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    raw.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// A 200 with `body` as JSON, its content [`ETag`](content_etag) and `cache_control`; a 304
/// with the same two headers (and no body) when `If-None-Match` names that ETag.
pub fn cached_json<T: Serialize>(
    headers: &HeaderMap,
    body: &T,
    cache_control: &'static str,
) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let etag = content_etag(&bytes);
    let etag_value = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    let cc = HeaderValue::from_static(cache_control);
    if none_match(headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cc)],
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cc),
        ],
        bytes,
    )
        .into_response())
}

/// The handlers of one path with every method they do not document answered 405
/// `METHOD_NOT_ALLOWED` and `Allow` listing exactly the documented methods (`GET` for a
/// read-only path; `HEAD` is still served by `GET`, as everywhere).
pub fn allow_only_documented(
    handlers: UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    allow_only_documented_with(handlers, &[])
}

/// [`allow_only_documented`] for a path whose handlers are registered in more than one group
/// (an idempotent create beside its list, `Surface::idempotent` beside `Surface::routes`): `also`
/// names the methods the other groups document on the same path, so `Allow` lists them too.
/// Only one group of a path may be wrapped (axum keeps one fallback per path).
pub fn allow_only_documented_with(
    handlers: UtoipaMethodRouter<AppState>,
    also: &[&'static str],
) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, router) = handlers;
    let mut methods: Vec<&'static str> = Vec::new();
    for item in paths.paths.values() {
        for (op, name) in [
            (&item.get, "GET"),
            (&item.put, "PUT"),
            (&item.post, "POST"),
            (&item.delete, "DELETE"),
            (&item.patch, "PATCH"),
        ] {
            if op.is_some() && !methods.contains(&name) {
                methods.push(name);
            }
        }
    }
    for name in also {
        if !methods.contains(name) {
            methods.push(name);
        }
    }
    let allow = HeaderValue::from_str(&methods.join(", "))
        .unwrap_or_else(|_| HeaderValue::from_static("GET"));
    let router = router.fallback(move || {
        let allow = allow.clone();
        async move { method_not_allowed(allow) }
    });
    (schemas, paths, router)
}

/// The ETag of a client shown with some of its sub-resources (004: all its contact persons;
/// 002: its primary location): its version (the native ETag) when it has none, else the version
/// and a fingerprint of their ids and versions (`"4-1c9e0f3a5b7d2e44"`), so a change to one of
/// them changes it too.
pub fn client_etag(version: i64, subs: &[SubResource]) -> String {
    if subs.is_empty() {
        return format!("\"{version}\"");
    }
    let mut parts: Vec<(String, String)> = subs
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

/// `If-Match` on a client write: `*`, or the client's version, read from the start of one of
/// our ETags (`"4"` or `"4-…"`: the fingerprint of sub-resources is not compared, the store checks the
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

/// 405 `METHOD_NOT_ALLOWED` with `Allow`: what [`allow_only_documented`] answers, and what a
/// seed's own documented "not supported" operation answers (003's `DELETE /clients`).
pub fn method_not_allowed(allow: HeaderValue) -> Response {
    uncached_error(
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "This method is not allowed on this route; see Allow",
        )
        .with_header(header::ALLOW, allow),
    )
}

/// The `render_committed` of a dialect without writes: no idempotent write of its can have
/// committed, so there is nothing to re-render.
pub fn nothing_committed<'a>(_: &'a dyn Store, _: Committed<'a>) -> Rendered<'a> {
    Box::pin(async {
        Err(ApiError::internal(
            "a read-only dialect has no committed writes",
        ))
    })
}

/// An integer parameter within `min..=max`; else 400 `VALIDATION_ERROR` naming `param`.
pub fn int_param(param: &str, value: &str, min: u64, max: u64) -> Result<u64, ApiError> {
    let n: u64 = value.trim().parse().map_err(|_| {
        ApiError::invalid(
            param,
            "invalid_type",
            format!("must be an integer between {min} and {max}"),
        )
    })?;
    if !(min..=max).contains(&n) {
        return Err(ApiError::invalid(
            param,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(n)
}

/// Records that `param` was given; a second time is 400 `VALIDATION_ERROR` naming it (as on
/// `/v1`: which of two values was meant cannot be guessed).
pub fn once<'a>(seen: &mut Vec<&'a str>, param: &'a str) -> Result<(), ApiError> {
    if seen.contains(&param) {
        return Err(ApiError::invalid(
            param,
            "duplicate",
            "must be given at most once",
        ));
    }
    seen.push(param);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::sub::{SubData, SubKind};
    use clientele_core::types::Timestamp;
    use clientele_core::FieldError;
    use serde_json::json;
    use uuid::Uuid;

    #[test]
    fn service_errors_name_fields_the_dialects_way() {
        let e = service_error(
            ServiceError::Invalid(vec![
                FieldError::new("credit.limit", "invalid_type", "must be a number"),
                FieldError::new("name", "required", "is required"),
            ]),
            |f| match f {
                "credit.limit" => "creditLimit".into(),
                other => other.to_string(),
            },
        );
        assert_eq!(e.code, "VALIDATION_ERROR");
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["creditLimit", "name"]);
        let e = service_error(
            ServiceError::InvalidReference("referred_by_id".into()),
            |_| "referredById".into(),
        );
        assert_eq!(e.details[0].field, "referredById");
        let e = service_error(
            ServiceError::Conflict {
                what: "client",
                key: "external_id".into(),
            },
            |_| "externalId".into(),
        );
        assert_eq!(e.message, "Another client already has this externalId");
        let e = service_error(ServiceError::NotFound("client"), |_| unreachable!());
        assert_eq!((e.status, e.code), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    }

    #[test]
    fn content_etags_follow_the_bytes_and_if_none_match_compares_weakly() {
        let a = content_etag(b"{\"a\":1}");
        assert_eq!(a, content_etag(b"{\"a\":1}"));
        assert_ne!(a, content_etag(b"{\"a\":2}"));
        assert_eq!(a.len(), 34);
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(v).expect("ascii"),
            );
            h
        };
        assert!(none_match(&with(&a), &a));
        assert!(none_match(&with(&format!("W/{a}")), &a));
        assert!(none_match(&with(&format!("\"x\", {a}")), &a));
        assert!(none_match(&with("*"), &a));
        assert!(!none_match(&with("\"x\""), &a));
        assert!(!none_match(&HeaderMap::new(), &a));
    }

    #[test]
    fn a_cached_answer_is_304_when_its_etag_is_named() {
        let body = serde_json::json!({"data": []});
        let r = cached_json(&HeaderMap::new(), &body, "private, max-age=60").expect("ok");
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers()[header::ETAG].clone();
        assert_eq!(r.headers()[header::CACHE_CONTROL], "private, max-age=60");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag.clone());
        let r = cached_json(&h, &body, "private, max-age=60").expect("ok");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], etag);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "private, max-age=60");
    }

    #[test]
    fn integer_parameters_are_bounded_and_named() {
        assert_eq!(int_param("limit", "25", 1, 100).expect("ok"), 25);
        for bad in ["0", "101", "x", "-1", "2.5", ""] {
            let e = int_param("limit", bad, 1, 100).expect_err(bad);
            assert_eq!(e.code, "VALIDATION_ERROR");
            assert_eq!(e.details[0].field, "limit");
        }
        let mut seen = Vec::new();
        assert!(once(&mut seen, "page").is_ok());
        let e = once(&mut seen, "page").expect_err("twice");
        assert_eq!(e.details[0].code, "duplicate");
    }

    #[test]
    fn errors_of_cacheable_dialects_are_not_cached() {
        let r = uncached_error(ApiError::not_found("No such client"));
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }

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
