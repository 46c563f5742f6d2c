//! Request headers that must not be repeated. With two `X-API-Key`, two `Authorization` or two
//! `tenant` headers the first one used to win silently, which hides a client bug (or lets a proxy
//! and a client disagree about who is calling); now the request is refused, naming the header.

use axum::http::{header, HeaderMap, HeaderName};

use crate::error::ApiError;

/// `X-API-Key` (a name parsed once: looking a header up by a `&str` parses the name each time).
pub static X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// `tenant`.
pub static TENANT: HeaderName = HeaderName::from_static("tenant");

/// Headers of which a request may carry at most one, as they are written in messages.
pub const SINGLE_HEADERS: [&str; 3] = ["X-API-Key", "Authorization", "tenant"];

/// 400 BAD_REQUEST naming the first header of [`SINGLE_HEADERS`] sent more than once.
pub fn refuse_repeated(headers: &HeaderMap) -> Result<(), ApiError> {
    let names = [&X_API_KEY, &header::AUTHORIZATION, &TENANT];
    for (name, key) in SINGLE_HEADERS.into_iter().zip(names) {
        let n = headers.get_all(key).iter().count();
        if n > 1 {
            return Err(ApiError::bad_request(format!(
                "The {name} header was sent {n} times; send it at most once"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_repeated_credential_or_tenant_header_is_named() {
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static("a"));
        h.insert("tenant", HeaderValue::from_static("acme"));
        assert!(refuse_repeated(&h).is_ok());
        for name in ["x-api-key", "authorization", "tenant"] {
            let mut h = h.clone();
            h.append(name, HeaderValue::from_static("b"));
            h.append(name, HeaderValue::from_static("c"));
            let e = refuse_repeated(&h).expect_err("repeated");
            assert_eq!(e.code, "BAD_REQUEST");
            assert!(
                e.message.to_ascii_lowercase().contains(name),
                "{}",
                e.message
            );
        }
    }
}
