//! `/v1/api-keys`: a tenant admin manages the API keys of its own tenant. The plaintext of a key
//! is returned once, when it is created; listings show its prefix only, never the hash.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use clientele_core::enums::Permission;
use clientele_core::tenant::RateLimit;
use clientele_core::{ApiKey, Caller, FieldError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::envelope::{ok, Envelope};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::keys::issue_key;
use crate::state::AppState;

/// Longest key label accepted.
const MAX_NAME_CHARS: usize = 100;

/// An API key as listed: never its plaintext or hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    /// A label to recognise the key by.
    pub name: Option<String>,
    /// The first characters of the key, e.g. `ck_1a2b3c4d`.
    #[schema(example = "ck_1a2b3c4d")]
    pub prefix: String,
    pub permissions: Vec<Permission>,
    /// The key's own budget (e.g. `600/min`); `null` = the server default.
    #[schema(example = "600/min")]
    pub rate_limit: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// When the key was revoked; `null` while it is live.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions,
            rate_limit: k.rate_limit.map(|r| r.to_string()),
            created_at: k.created_at.to_rfc3339(),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A new key: as listed, plus its plaintext, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKeyView,
    /// The key itself, for the `X-API-Key` header; only its hash is stored, so it is shown once.
    #[schema(example = "ck_1a2b3c4d...")]
    pub key: String,
}

/// The body of `POST /v1/api-keys`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct NewApiKeyBody {
    /// A label, ≤ 100 characters once trimmed (surrounding whitespace is dropped; blank is no
    /// label).
    // The whitespace is Rust's (`str::trim`), spelled out: `\s` differs between regex dialects.
    #[schema(
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([\s\S]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?)?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    name: Option<String>,
    /// One or more of `clients:read`, `clients:write`, `clients:delete`, `audit:read`, `admin`.
    #[schema(min_items = 1)]
    permissions: Vec<Permission>,
    /// The key's own budget, e.g. `600/min` (units `s`, `min`, `h`); default: the server's.
    /// It may not exceed the server's ceiling (`--max-key-rate-limit`, else the default rate
    /// limit) in rate or in burst: above it → 400 naming `rate_limit`.
    #[schema(
        example = "600/min",
        pattern = r"^\s*0*[1-9][0-9]{0,8}\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$"
    )]
    rate_limit: Option<String>,
}

pub(crate) struct NewKey {
    pub(crate) name: Option<String>,
    pub(crate) permissions: Vec<Permission>,
    pub(crate) rate_limit: Option<RateLimit>,
}

pub(crate) fn parse_new_key(body: &Value) -> Result<NewKey, ApiError> {
    let Some(obj) = body.as_object() else {
        return Err(ApiError::invalid(
            "body",
            "invalid_type",
            "must be a JSON object",
        ));
    };
    let mut errors = Vec::new();
    for k in obj.keys() {
        if !["name", "permissions", "rate_limit"].contains(&k.as_str()) {
            errors.push(FieldError::new(k, "unknown_field", "is not a known field"));
        }
    }
    let name = match obj.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) if s.trim().chars().count() <= MAX_NAME_CHARS => {
            Some(s.trim().to_string())
        }
        Some(Value::String(_)) => {
            errors.push(FieldError::new(
                "name",
                "too_long",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new("name", "invalid_type", "must be a string"));
            None
        }
    };
    let mut permissions = Vec::new();
    match obj.get("permissions") {
        None | Some(Value::Null) => errors.push(FieldError::new(
            "permissions",
            "required",
            "at least one permission is required",
        )),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(Permission::parse) {
                    Some(Ok(p)) if !permissions.contains(&p) => permissions.push(p),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => errors.push(FieldError::new(
                        format!("permissions.{i}"),
                        e.code,
                        e.message,
                    )),
                    None => errors.push(FieldError::new(
                        format!("permissions.{i}"),
                        "invalid_type",
                        "must be a string",
                    )),
                }
            }
            if items.is_empty() {
                errors.push(FieldError::new(
                    "permissions",
                    "required",
                    "at least one permission is required",
                ));
            }
        }
        Some(_) => errors.push(FieldError::new(
            "permissions",
            "invalid_type",
            "must be an array of permission names",
        )),
    }
    let rate_limit = match obj.get("rate_limit") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match RateLimit::parse(s) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.push(FieldError::new("rate_limit", e.code, e.message));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(
                "rate_limit",
                "invalid_type",
                "must be a string such as 600/min",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(NewKey {
        name,
        permissions,
        rate_limit,
    })
}

/// List the tenant's API keys, revoked ones included, oldest first.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys",
    responses((status = 200, description = "The tenant's keys", body = Envelope<Vec<ApiKeyView>>)),
    security(("api_key" = ["admin"])))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Envelope<Vec<ApiKeyView>>>, ApiError> {
    let keys = state.store.list_api_keys(caller.tenant.id).await?;
    Ok(ok(keys.into_iter().map(ApiKeyView::from).collect()))
}

/// Create an API key for the caller's tenant.
///
/// The response holds the key's plaintext in `key`: store it now, it is never shown again.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys",
    request_body(content = NewApiKeyBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `key` is shown this once", body = Envelope<CreatedApiKey>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["admin"])))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let new = parse_new_key(&body)?;
    if let Some(limit) = new.rate_limit {
        crate::keys::check_rate_ceiling(limit, state.config.key_rate_ceiling())?;
    }
    let (key, plaintext) = issue_key(
        state.store.as_ref(),
        caller.tenant.id,
        new.permissions,
        new.rate_limit,
        new.name,
    )
    .await?;
    let created = CreatedApiKey {
        info: key.into(),
        key: plaintext,
    };
    Ok((StatusCode::CREATED, ok(created)).into_response())
}

/// Revoke an API key of the caller's tenant; it answers 401 at once.
///
/// Revoking a revoked key changes nothing and answers 204 again. Another tenant's key id is
/// 404, like any unknown id.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key in this tenant", body = ErrorBody),
    ),
    security(("api_key" = ["admin"])))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = crate::extract::path_uuid("id", &id)?;
    state
        .store
        .revoke_api_key(Some(caller.tenant.id), id)
        .await
        .map_err(|e| ApiError::from_store(e, "API key"))?;
    Ok(StatusCode::NO_CONTENT)
}
