//! The OpenAPI document: generated from the route registrations, completed here with the
//! security scheme and the error responses every authenticated route can give.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref};
use utoipa::Modify;

use crate::policy::{API_KEY_SCHEME, BEARER_SCHEME, TENANT_SCHEME};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Clientele API",
        description = "Client master data for many tenants. Every success body is \
`{\"success\": true, \"data\": ..., \"meta\": {...}}`; every error body is \
`{\"success\": false, \"status\", \"error\", \"message\", \"details\", \"request_id\"}`. \
Every response carries `X-Request-Id`.\n\n\
**Credentials.** Send `X-API-Key: <key>` or `Authorization: Bearer <JWT>` (either suffices). \
Each operation's required permission is the scope of its security requirement, the same for \
both schemes; an empty scope list means any valid credential. A JWT carries `sub`, `tenant` \
(the tenant's name), `exp` (required), optionally `nbf`, and `permissions` (array) or `scope` \
(space-separated); the two are never merged: `permissions`, when present (even empty), alone \
grants, and `scope` is read only without it. `exp` and `nbf` are NumericDates (a number of \
seconds since 1970, fractions allowed); another type is refused as malformed. A token whose \
header has `crit` is refused (no extension is understood). It is verified with the one \
algorithm the server is configured for (HS256, RS256 or ES256) with 30 s of clock leeway. \
Each of `X-API-Key`, `Authorization` and `tenant` may be sent once (twice: 400 BAD_REQUEST \
naming it). When both headers are sent, both must be valid and \
of the same tenant; the request runs as the token's `sub`, on the key's rate limit, with only \
the permissions both grant. The optional `tenant` header must name the credential's tenant.\n\n\
**Rate limits.** Per credential (API key, or JWT subject within its tenant), GCRA: the budget \
is available as a burst and refills evenly. Every `/v1` response carries `RateLimit-Limit`, \
`RateLimit-Remaining`, `RateLimit-Reset` (seconds until the full budget is back) and \
`RateLimit-Policy` (`1200;w=60`); over it, 429 `RATE_LIMITED` with `Retry-After` (seconds). \
Requests without a valid credential are counted per client address with the default budget.\n\n\
**Limits.** Bodies ≤ 1 MiB (413), JSON nesting ≤ 32 levels (400), request headers ≤ 16 KiB \
(431), 30 s per request (503), request headers complete within 10 s of their first byte (408, \
then the connection closes), keep-alive connections idle for 60 s are closed. `/v1` responses \
are `Cache-Control: no-store`.",
    ),
    tags(
        (name = "clients", description = "Clients: organisations and people a tenant serves"),
        (name = "contact persons", description = "People to talk to at a client; at most one main"),
        (name = "locations", description = "A client's sites; at most one primary"),
        (name = "accounts", description = "Accounts a client holds; counted in `associated_accounts`"),
        (name = "audit", description = "Audit trail and change feed"),
        (name = "auth", description = "The caller and its credential"),
        (name = "api-keys", description = "The tenant's API keys (permission `admin`)"),
        (name = "operations", description = "Probes and documentation; no credential needed"),
        (name = "dialect 000", description = "Seed 000, a credit-screening guide: read-only clients at `/api/1.0/clients`, with the native credentials and rate limit"),
        (name = "dialect 001", description = "Seed 001, tenant list and detail at `/apidev/v1/clients`: JWT, API key and `tenant` header together, both credentials granting `clients:read` (`APICLI_CLIENTS_READ`); 10 requests a minute per API key"),
        (name = "dialect 002", description = "Seed 002, a CRM with client locations, at `/api/v1/clients` (docs/dialects.md): clients addressed by their number (`id`), each with its primary location; bodies and answers nested under `client`, lists as `{\"clients\", \"meta\": {page, per_page, total}}`. A create makes the client and its primary location in one transaction, the location's address becoming the client's; an update changes only the fields given. Errors are the native body, with fields named as here (`client`, `email_invoice`, `primary_location.state`)"),
        (name = "dialect 003", description = "Seed 003, lending clients with OData queries, at `/clients` (docs/dialects.md): people in camelCase, the list a bare JSON array queried with `ownerId`, `searchText` and the OData options `$filter`, `$select`, `$orderby`, `$skip`, `$top` (default 50, at most 1000); archived clients are listed (filter on `isArchived`). Writes answer `{id, type, createdTimestamp, updatedTimestamp}`. `Authorization: Bearer <JWT>` only: an API key is not a credential here. `totalIncome` and `totalDebtPayments` carry no currency: a client keeps its stored currency, a new one takes the organisation's default. Errors are the native body, with fields named as here (`$filter`, `firstName`)"),
        (name = "dialect 004", description = "Seed 004, master-data client management, at `/master-data/v1/client-management/clients` (docs/dialects.md): clients in camelCase with all their contact persons, enums in UPPER_CASE, single resources as the bare model, lists as `{\"data\", \"meta\": {page, limit, total, totalPages}}`. `creditLimit` and `usedLimit` carry no currency: a client keeps its stored currency, a new one takes the organisation's default. Errors are the native body, a superset of the seed's `{status, success, message, error}`, with fields named as here (`creditLimit`, `contactPersons.0.email`)"),
    )
)]
pub struct ApiDoc;

/// Applied to the assembled document (after the routes are registered).
pub struct Completion;

fn error_response(description: &str) -> utoipa::openapi::response::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn add_common_errors(op: &mut Operation) {
    let common = [
        ("401", "Missing, invalid or revoked credential"),
        (
            "403",
            "The credential lacks the permission, or the tenant header is not its tenant",
        ),
        ("429", "Over the credential's rate limit"),
        ("500", "A bug; the body reveals nothing internal"),
        ("503", "The store is unavailable or the server is draining"),
    ];
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description).into());
    }
}

/// Each `api_key` requirement gets a `bearer` alternative with the same scopes, so a route
/// declares its permission once and the document still lists both credentials.
fn add_bearer_alternatives(reqs: &mut Vec<SecurityRequirement>) {
    let mut extra = Vec::new();
    for r in reqs.iter() {
        let Ok(json) = serde_json::to_value(r) else {
            continue;
        };
        if json.get(BEARER_SCHEME).is_some() {
            return;
        }
        if let Some(scopes) = json.get(API_KEY_SCHEME).and_then(|s| s.as_array()) {
            let scopes: Vec<String> = scopes
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            extra.push(SecurityRequirement::new(BEARER_SCHEME, scopes));
        }
    }
    reqs.extend(extra);
}

impl Modify for Completion {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key created with `clientele keys create`. Its permissions are the scopes.",
            ))),
        );
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT with claims `sub`, `tenant`, `exp` and `permissions` or `scope` \
                         (`permissions` wins when both are present). The scopes are the \
                         permissions, as for `api_key`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            TENANT_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "tenant",
                "The tenant's name. Required, beside both credentials, on the routes whose \
                 requirement names it; elsewhere optional, and then it must name the \
                 credential's tenant.",
            ))),
        );
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(reqs) = &mut op.security {
                    add_bearer_alternatives(reqs);
                    add_common_errors(op);
                }
            }
        }
    }
}
