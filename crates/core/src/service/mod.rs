//! The use cases, between every API surface and the [`Store`](crate::Store): `/v1`, the seed
//! dialects, a console or a bulk import all call these functions, so a rule that is not a
//! storage rule (how an upsert reconciles its path with its body, what `expand` embeds, when a
//! conditional read may skip work) is written once, here, and never in an HTTP handler.
//!
//! Every function takes the store as `&dyn Store` and the tenant (a [`TenantId`] for reads, a
//! [`WriteCtx`] for writes), and returns domain values or a [`ServiceError`]; none knows HTTP.
//!
//! Writes take the **native document**: the JSON form of API.md that
//! [`ClientData::from_json`](crate::ClientData::from_json) and
//! [`SubData::from_json`](crate::sub::SubData::from_json) read, and that a merge patch applies
//! to. A surface with another wire shape maps its body to this document (renaming fields), so
//! the parse, its per-field errors, and the rules that look at the document before it is parsed
//! (a body `id` must name the resource written; an upsert body's `external_id` must match the
//! path's) are the same for every surface.
//!
//! [`TenantId`]: crate::TenantId
//! [`WriteCtx`]: crate::WriteCtx

mod clients;
mod error;
mod expand;
mod import;
mod subs;
mod with_subs;

pub use clients::{
    create_client, delete_client, get_client, get_client_by_external_id, get_client_by_number,
    get_client_detail, get_client_json, list_clients, patch_client, replace_client,
    upsert_client_by_external_id,
};
pub use error::{ServiceError, ServiceResult};
pub use expand::{ClientDetail, ClientPage, Embedded, EXPAND_LIMIT, LIST_EXPAND_LIMIT};
pub use import::{
    import_batch, parse_row, BatchReport, ClientExport, ImportCounts, ParsedRow, RowError,
    IMPORT_BATCH,
};
pub use subs::{
    create_sub, delete_sub, flagged_subs, get_sub, get_sub_by_external_id, list_subs, patch_sub,
    replace_sub,
};
pub use with_subs::{create_client_with_subs, NewClientDocs};

use std::borrow::Cow;

use serde_json::Value;
use uuid::Uuid;

use crate::store::WriteCtx;

/// A condition on a resource's version, as `If-Match` and `If-None-Match` state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current version.
    Any,
    /// This version.
    Version(i64),
    /// Something no version can match (e.g. an ETag that is not one of ours).
    Never,
}

impl Precondition {
    pub fn matches(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Version(v) => *v == version,
            Self::Never => false,
        }
    }

    /// The version a conditional write must find, for the store's atomic check (`None`: no
    /// condition, or `*`).
    pub fn expected_version(this: Option<Self>) -> Option<i64> {
        match this? {
            Self::Any => None,
            Self::Version(v) => Some(v),
            Self::Never => Some(-1),
        }
    }
}

/// The outcome of a conditional read.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// The resource, as it is now.
    Current(T),
    /// The caller's copy is current (its `If-None-Match` matched this version); nothing more was
    /// read.
    NotModified { version: i64 },
}

/// The client document a create parses: with the dialects' currency rule applied when the
/// context asks for it (`WriteCtx::fill_currency`), else the document as given.
fn fill_currency<'a>(ctx: &WriteCtx, doc: &'a Value) -> Cow<'a, Value> {
    match &ctx.fill_currency {
        Some(c) => {
            let mut filled = doc.clone();
            crate::client::fill_credit_currency(&mut filled, c);
            Cow::Owned(filled)
        }
        None => Cow::Borrowed(doc),
    }
}

/// A merge patch must be an object (RFC 7396 would let any other value replace the whole
/// resource); checked before the store merges it.
fn require_patch_object(patch: &Value) -> ServiceResult<()> {
    if patch.is_object() {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "body",
        "invalid_type",
        "a merge patch must be a JSON object",
    ))
}

/// A body `id` is read-only and ignored, but one naming another resource is a mistake.
fn check_body_id(doc: &Value, id: Uuid) -> ServiceResult<()> {
    match doc.get("id").filter(|v| !v.is_null()) {
        Some(given) if given.as_str().and_then(|s| Uuid::parse_str(s).ok()) != Some(id) => {
            Err(ServiceError::invalid(
                "id",
                "mismatch",
                "must be absent or equal to the id in the path",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_codes(e: ServiceError) -> Vec<(String, String)> {
        match e {
            ServiceError::Invalid(d) => d.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_body_id_may_be_absent_null_or_the_target() {
        let id = Uuid::now_v7();
        assert!(check_body_id(&json!({}), id).is_ok());
        assert!(check_body_id(&json!({"id": null}), id).is_ok());
        assert!(check_body_id(&json!({"id": id.to_string()}), id).is_ok());
        for other in [json!(Uuid::now_v7().to_string()), json!("x"), json!(7)] {
            let e = check_body_id(&json!({ "id": other }), id).expect_err("refused");
            assert_eq!(field_codes(e), vec![("id".into(), "mismatch".into())]);
        }
    }

    #[test]
    fn a_merge_patch_must_be_an_object() {
        assert!(require_patch_object(&json!({})).is_ok());
        let e = require_patch_object(&json!([1])).expect_err("refused");
        assert_eq!(field_codes(e), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn preconditions_match_versions_and_become_the_stores_expected_version() {
        assert!(Precondition::Any.matches(3));
        assert!(Precondition::Version(3).matches(3));
        assert!(!Precondition::Version(2).matches(3));
        assert!(!Precondition::Never.matches(3));
        assert_eq!(Precondition::expected_version(None), None);
        assert_eq!(
            Precondition::expected_version(Some(Precondition::Any)),
            None
        );
        assert_eq!(
            Precondition::expected_version(Some(Precondition::Version(4))),
            Some(4)
        );
        assert_eq!(
            Precondition::expected_version(Some(Precondition::Never)),
            Some(-1)
        );
    }

    #[test]
    fn store_failures_keep_the_noun_of_the_resource() {
        use crate::error::StoreError;
        assert_eq!(
            ServiceError::from_store(StoreError::NotFound, "location"),
            ServiceError::NotFound("location")
        );
        assert_eq!(
            ServiceError::from_store(StoreError::Conflict("external_id".into()), "client"),
            ServiceError::Conflict {
                what: "client",
                key: "external_id".into()
            }
        );
    }
}
