//! The rules of every `Store` operation, written once and run by both backends over the seam in
//! `crate::db`: version checks, the main-contact / primary-location hand-off, cascades, audit
//! records, idempotency claims, the patch flow, row decoding, list pages.
//!
//! Each operation is a small struct implementing [`Write`](crate::db::Write) or
//! [`Read`](crate::db::Read), named after what it does (`clients::Create`,
//! `subresources::Delete`); helpers shared by several operations are plain `async fn`s generic
//! over the connection.

pub mod audit;
pub mod clients;
pub mod idempotency;
pub mod import;
pub mod list;
pub mod search;
pub mod sequences;
pub mod subresources;
pub mod tenants;
pub mod with_subs;

use clientele_core::store::StoreResult;
use clientele_core::{FieldError, StoreError};

/// The `If-Match` check, inside the write transaction: `expected` (if any) must be current.
pub fn check_version(expected: Option<i64>, current: i64) -> StoreResult<()> {
    match expected {
        Some(v) if v != current => Err(StoreError::VersionMismatch),
        _ => Ok(()),
    }
}

/// The data a merge patch makes of the current data at version `current`: the `If-Match` check
/// first, then the merged document validated as a whole (`merge` is the resource's
/// `apply_patch`).
pub fn patched<D>(
    expected: Option<i64>,
    current: i64,
    merge: impl FnOnce() -> Result<D, Vec<FieldError>>,
) -> StoreResult<D> {
    check_version(expected, current)?;
    merge().map_err(StoreError::Invalid)
}
