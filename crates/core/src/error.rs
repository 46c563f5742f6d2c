//! Errors of the domain and of the store, independent of HTTP.

use serde::Serialize;

/// One problem with one input field. `field` is the dotted path (`address.country`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Dotted path of the offending field, e.g. `credit.limit`.
    pub field: String,
    /// Machine-readable reason, e.g. `required`, `invalid_type`, `too_long`, `invalid_format`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// Collects field errors while a document is parsed, so one response reports all of them.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// What a store operation can fail with. Messages never contain SQL or stored values.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the string names the key (e.g. `external_id`).
    #[error("conflict on {0}")]
    Conflict(String),
    /// The row changed since the caller read it (optimistic concurrency).
    #[error("version mismatch")]
    VersionMismatch,
    /// The write's input is invalid against the current state (e.g. a merge patch result).
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A field refers to something that does not exist in the tenant.
    #[error("invalid reference in {0}")]
    InvalidReference(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Other(String),
}
