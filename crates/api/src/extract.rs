//! Request parsing shared by all handlers: JSON bodies, query pairs, ETag preconditions.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clientele_core::service::Precondition;
use serde_json::Value;

use crate::error::ApiError;

/// Default request body limit (API.md: 1 MiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Deepest JSON nesting accepted in a body (serde_json itself stops at 128). Client documents
/// need 3; anything much deeper is an attempt to burn stack or CPU.
pub const MAX_JSON_DEPTH: usize = 32;

/// The deepest nesting of arrays and objects in a JSON text, stopping once past `limit`.
/// Brackets inside strings do not count.
pub fn json_depth_exceeds(bytes: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A JSON document body. Numbers keep their exact digits (money is never read through `f64`).
pub struct JsonBody(pub Value);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "The body must be JSON: send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request("The request body could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "The request body is empty; send a JSON object",
            ));
        }
        if json_depth_exceeds(&bytes, MAX_JSON_DEPTH) {
            return Err(ApiError::bad_request(format!(
                "The JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
            )));
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request(format!(
                "Malformed JSON at line {} column {}: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ))
        })?;
        refuse_unstorable_text(&value)?;
        Ok(JsonBody(value))
    }
}

/// The one character no text may hold, anywhere: PostgreSQL's `text` and `jsonb` cannot store
/// U+0000 (every other Unicode scalar value is fine; lone surrogates never get this far, the JSON
/// parser refuses them), so neither backend accepts it and both answer alike.
pub const UNSTORABLE: char = '\0';

const UNSTORABLE_CODE: &str = "invalid_character";
const UNSTORABLE_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Where a JSON document holds text that cannot be stored: the dotted path of the first string
/// (or object key) containing U+0000, as the wire names it (`address.city`, `metadata.k`,
/// `permissions.0`). For a key, the path of the object holding it (`metadata`; `body` at the
/// top), since the key itself is the bad text.
pub fn unstorable_text_at(value: &Value) -> Option<String> {
    /// Whether any text holds the character: the common answer, no, found without building a
    /// path for every value (a bulk import asks this of every row).
    fn holds(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains(UNSTORABLE),
            Value::Array(items) => items.iter().any(holds),
            Value::Object(map) => map
                .iter()
                .any(|(k, item)| k.contains(UNSTORABLE) || holds(item)),
            _ => false,
        }
    }
    fn join(prefix: &str, segment: &str) -> String {
        if prefix.is_empty() {
            segment.to_string()
        } else {
            format!("{prefix}.{segment}")
        }
    }
    fn walk(v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) if s.contains(UNSTORABLE) => Some(if path.is_empty() {
                "body".to_string()
            } else {
                path.to_string()
            }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &join(path, &i.to_string()))),
            Value::Object(map) => map.iter().find_map(|(k, item)| {
                if k.contains(UNSTORABLE) {
                    Some(if path.is_empty() {
                        "body".into()
                    } else {
                        path.to_string()
                    })
                } else {
                    walk(item, &join(path, k))
                }
            }),
            _ => None,
        }
    }
    if !holds(value) {
        return None;
    }
    walk(value, "")
}

/// 400 VALIDATION_ERROR naming the first field of `value` whose text cannot be stored.
pub fn refuse_unstorable_text(value: &Value) -> Result<(), ApiError> {
    match unstorable_text_at(value) {
        Some(field) => Err(ApiError::invalid(
            &field,
            UNSTORABLE_CODE,
            UNSTORABLE_MESSAGE,
        )),
        None => Ok(()),
    }
}

/// The same rule for path parameters (`/v1/clients/external-id/a%00b`), applied after routing
/// to every route of a surface (by its guards, `layers::Within`, inside the gate), naming the
/// parameter as the route template does (`external_id`): the refusal, if a parameter cannot
/// be stored.
pub fn refuse_unstorable_path_params(req: &mut Request) -> Option<Response> {
    // The extractor reads the router's parameters from the request: it never waits.
    let (mut parts, body) = std::mem::take(req).into_parts();
    let extract = RawPathParams::from_request_parts(&mut parts, &());
    let params = match std::pin::pin!(extract).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(params)) => Some(params),
        _ => None,
    };
    *req = Request::from_parts(parts, body);
    for (name, value) in params.iter().flatten() {
        if value.contains(UNSTORABLE) {
            return Some(
                ApiError::invalid(name, UNSTORABLE_CODE, UNSTORABLE_MESSAGE).into_response(),
            );
        }
    }
    None
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}

/// A path id that is not a UUID names nothing that could exist: 400 naming the path parameter
/// (as documented on the route), rather than a 404 that reads like "it was deleted".
pub fn path_uuid(param: &str, value: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(value).map_err(|_| {
        ApiError::invalid(
            param,
            "invalid_format",
            "must be an id (a UUID such as 0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b)",
        )
    })
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("The request body exceeds the limit of {BODY_LIMIT} bytes"),
    )
}

/// The query string as ordered pairs, so unknown or repeated parameters can be reported.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        QueryPairs::parse(parts.uri.query().unwrap_or(""))
    }
}

impl QueryPairs {
    /// The pairs of a query string; a parameter holding U+0000 (in its value or its name) is a
    /// VALIDATION_ERROR naming it, as for bodies.
    pub fn parse(q: &str) -> Result<Self, ApiError> {
        let pairs = serde_urlencoded_pairs(q)
            .ok_or_else(|| ApiError::bad_request("The query string is not valid URL encoding"))?;
        for (k, v) in &pairs {
            if k.contains(UNSTORABLE) || v.contains(UNSTORABLE) {
                let name = k.replace(UNSTORABLE, "\u{fffd}");
                return Err(ApiError::invalid(
                    &name,
                    UNSTORABLE_CODE,
                    UNSTORABLE_MESSAGE,
                ));
            }
        }
        Ok(QueryPairs(pairs))
    }
}

fn serde_urlencoded_pairs(q: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((decode(k)?, decode(v)?));
    }
    Some(out)
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The strong ETag of a resource version.
pub fn etag(version: i64) -> HeaderValue {
    use std::io::Write;
    // Written into a stack buffer, not through `format!`: it is on every single-resource answer.
    // An i64 is at most 20 characters, with the two quotes 22.
    let mut buf = [0u8; 22];
    let mut rest = &mut buf[..];
    let _ = write!(rest, "\"{version}\"");
    let len = 22 - rest.len();
    HeaderValue::from_bytes(&buf[..len]).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The condition an `If-Match` or `If-None-Match` header states: `None` without the header, a
/// version for one of our ETags (the first listed; `W/` ignored), `Any` for `*`, `Never` for
/// anything else.
pub fn precondition(headers: &HeaderMap, name: header::HeaderName) -> Option<Precondition> {
    let raw = headers.get(name)?.to_str().ok().unwrap_or("");
    let mut versions = raw.split(',').map(str::trim).filter(|s| !s.is_empty());
    let first = versions.next().unwrap_or("");
    if first == "*" {
        return Some(Precondition::Any);
    }
    let v = first
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .ok();
    Some(v.map_or(Precondition::Never, Precondition::Version))
}

/// What a conditional write requires (`If-Match`).
pub fn if_match(headers: &HeaderMap) -> Option<Precondition> {
    precondition(headers, header::IF_MATCH)
}

/// What a conditional read requires (`If-None-Match`).
pub fn if_none_match(headers: &HeaderMap) -> Option<Precondition> {
    precondition(headers, header::IF_NONE_MATCH)
}

/// Who is writing, with the request's idempotency scope if it has one: what every store write
/// takes. Built from what the auth and idempotency layers put on the request.
pub struct WriteContext(pub clientele_core::WriteCtx);

impl<S: Send + Sync> FromRequestParts<S> for WriteContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<clientele_core::Caller>()
            .ok_or_else(|| ApiError::internal("write route without a caller"))?;
        Ok(WriteContext(clientele_core::WriteCtx {
            tenant: caller.tenant.id,
            actor: caller.actor.clone(),
            idempotency: parts
                .extensions
                .get::<clientele_core::idempotency::IdempotencyScope>()
                .cloned(),
            // `/v1` refuses an amount without a currency; a dialect that writes amounts without
            // one opts into the currency rule with `WriteCtx::filling_currency_of`.
            fill_currency: None,
            import_id: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_ignores_brackets_in_strings() {
        assert!(!json_depth_exceeds(br#"{"a":[{"b":"[[[[[["}]}"#, 3));
        assert!(json_depth_exceeds(br#"{"a":[{"b":[1]}]}"#, 3));
        assert!(!json_depth_exceeds(br#"{"a":"\"[[[[\""}"#, 1));
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert!(json_depth_exceeds(deep.as_bytes(), MAX_JSON_DEPTH));
        let ok = "[".repeat(32) + &"]".repeat(32);
        assert!(!json_depth_exceeds(ok.as_bytes(), MAX_JSON_DEPTH));
    }

    #[test]
    fn unstorable_text_is_found_by_its_wire_path() {
        use serde_json::json;
        let at = |v: Value| unstorable_text_at(&v);
        assert_eq!(
            at(json!({"name": "ok", "address": {"city": "Malm\u{f6}"}})),
            None
        );
        assert_eq!(
            at(json!({"address": {"city": "a\u{0}b"}})),
            Some("address.city".into())
        );
        assert_eq!(
            at(json!({"metadata": {"k": "\u{0}"}})),
            Some("metadata.k".into())
        );
        assert_eq!(
            at(json!({"metadata": {"k\u{0}": "v"}})),
            Some("metadata".into())
        );
        assert_eq!(at(json!({"x\u{0}": 1})), Some("body".into()));
        assert_eq!(
            at(json!({"permissions": ["a", "b\u{0}"]})),
            Some("permissions.1".into())
        );
        assert_eq!(at(json!("\u{0}")), Some("body".into()));
        assert!(QueryPairs::parse("filter=name%20eq%20%27a%00b%27").is_err());
        assert!(QueryPairs::parse("a%00=1").is_err());
        assert!(QueryPairs::parse("search=ok").is_ok());
    }

    #[test]
    fn query_pairs_decode_percent_and_plus() {
        assert_eq!(
            serde_urlencoded_pairs("a=1&b=x+y%C3%A9&c"),
            Some(vec![
                ("a".into(), "1".into()),
                ("b".into(), "x yé".into()),
                ("c".into(), "".into())
            ])
        );
        assert_eq!(serde_urlencoded_pairs("a=%zz"), None);
    }
}
