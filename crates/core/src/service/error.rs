//! What a use case can fail with, independent of HTTP: each surface renders it in its own shape
//! (`/v1` as the API.md error envelope).

use crate::error::{FieldError, StoreError};

/// Why a use case failed. Messages never contain SQL or stored values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; one entry per field, named by its native dotted path.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such resource in the caller's tenant; the noun names it (`client`, `contact person`).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A unique key is taken: `key` names it (e.g. `external_id`).
    #[error("another {what} already has this {key}")]
    Conflict { what: &'static str, key: String },
    /// The resource is not at the version the write was conditioned on (`If-Match`).
    #[error("version mismatch")]
    VersionMismatch,
    /// A field refers to a client that does not exist in the tenant.
    #[error("invalid reference in {0}")]
    InvalidReference(String),
    /// The store cannot be reached; worth retrying.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected store failure; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// One invalid field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// A store failure on the resource named `what` (for `NotFound` and `Conflict`).
    pub fn from_store(e: StoreError, what: &'static str) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound(what),
            StoreError::Conflict(key) => Self::Conflict { what, key },
            StoreError::VersionMismatch => Self::VersionMismatch,
            StoreError::Invalid(details) => Self::Invalid(details),
            StoreError::InvalidReference(field) => Self::InvalidReference(field),
            StoreError::Unavailable(detail) => Self::Unavailable(detail),
            StoreError::Other(detail) => Self::Internal(detail),
        }
    }
}

/// The store error of a client operation.
pub(super) fn client_err(e: StoreError) -> ServiceError {
    ServiceError::from_store(e, "client")
}
