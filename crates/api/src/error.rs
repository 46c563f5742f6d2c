//! The one place where failures become the API's error envelope.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clientele_core::service::ServiceError;
use clientele_core::{FieldError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// The HTTP status, repeated.
    pub status: u16,
    /// Machine-readable error code, e.g. `VALIDATION_ERROR`.
    #[schema(example = "NOT_FOUND")]
    pub error: &'static str,
    pub message: String,
    /// Field problems, for `VALIDATION_ERROR`; otherwise empty.
    pub details: Vec<FieldError>,
    /// The id of this request, as in the `X-Request-Id` header.
    pub request_id: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The standard code for an HTTP status, for errors produced outside our handlers.
    pub fn code_for(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "BAD_REQUEST",
            401 => "UNAUTHORIZED",
            403 => "FORBIDDEN",
            404 => "NOT_FOUND",
            405 => "METHOD_NOT_ALLOWED",
            408 | 504 => "REQUEST_TIMEOUT",
            409 => "CONFLICT",
            412 => "PRECONDITION_FAILED",
            // 414 and 431 have no code of their own in the contract's table: the closest is
            // PAYLOAD_TOO_LARGE (the request is too large, in its URI or its headers rather
            // than its body); `status` tells which.
            413 | 414 | 431 => "PAYLOAD_TOO_LARGE",
            415 => "UNSUPPORTED_MEDIA_TYPE",
            429 => "RATE_LIMITED",
            503 => "SERVICE_UNAVAILABLE",
            s if s >= 500 => "INTERNAL_ERROR",
            _ => "BAD_REQUEST",
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            // The body as a whole (`[1,2]`, a merge patch that is not an object).
            [one] if one.field == "body" => match one.message.strip_prefix("must ") {
                Some(rest) => format!("The request body must {rest}"),
                None => capitalized(&one.message),
            },
            [one] => format!("{} {}", one.field, one.message),
            _ => format!("{} fields are invalid", details.len()),
        };
        Self {
            details,
            ..Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
        }
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer, ApiKey header=\"X-API-Key\""),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    /// Over the caller's rate limit; `Retry-After` says when to try again.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("Rate limit exceeded; retry in {retry_after_secs} s"),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION_FAILED",
            "If-Match does not match the current ETag; fetch the resource again",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
    }

    /// A bug. The detail is logged with the request id and never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let error = clientele_core::mask::mask_text(&detail.to_string());
        tracing::error!(request_id = %request_id::current(), %error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "An internal error occurred; quote the request id when reporting it",
        )
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Maps a store failure; `what` names the resource for 404 and 409 messages.
    pub fn from_store(e: StoreError, what: &'static str) -> Self {
        ServiceError::from_store(e, what).into()
    }
}

/// The one mapping of a use case's failure to the API.md error envelope.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(details) => Self::validation(details),
            ServiceError::NotFound(what) => Self::not_found(format!("No such {what}")),
            ServiceError::Conflict { what, key } => {
                Self::conflict(format!("Another {what} already has this {key}"))
            }
            ServiceError::VersionMismatch => Self::precondition_failed(),
            ServiceError::InvalidReference(field) => Self::invalid(
                &field,
                "not_found",
                "must be the id of another existing client of this tenant",
            ),
            ServiceError::Unavailable(detail) => {
                let error = clientele_core::mask::mask_text(&detail);
                tracing::warn!(request_id = %request_id::current(), %error, "store unavailable");
                Self::unavailable("The store is unavailable; retry shortly")
            }
            ServiceError::Internal(detail) => Self::internal(detail),
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::from_store(e, "resource")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            success: false,
            status: self.status.as_u16(),
            error: self.code,
            message: self.message,
            details: self.details,
            request_id: request_id::current(),
        };
        let mut res = (self.status, Json(body)).into_response();
        for (k, v) in self.headers {
            res.headers_mut().insert(k, v);
        }
        res
    }
}
