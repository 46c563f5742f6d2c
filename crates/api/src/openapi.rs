//! The OpenAPI document: generated from the route registrations, completed here with the
//! security scheme and the error responses every authenticated route can give.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref};
use utoipa::Modify;

use crate::auth::API_KEY_SCHEME;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Clientele API",
        description = "Client master data for many tenants. Every success body is \
`{\"success\": true, \"data\": ..., \"meta\": {...}}`; every error body is \
`{\"success\": false, \"status\", \"error\", \"message\", \"details\", \"request_id\"}`. \
Every response carries `X-Request-Id`. Each operation's required permission is the scope of \
its security requirement.",
    ),
    tags(
        (name = "clients", description = "Clients: organisations and people a tenant serves"),
        (name = "contact persons", description = "People to talk to at a client; at most one main"),
        (name = "locations", description = "A client's sites; at most one primary"),
        (name = "accounts", description = "Accounts a client holds; counted in `associated_accounts`"),
        (name = "audit", description = "Audit trail and change feed"),
        (name = "operations", description = "Probes and documentation; no credential needed"),
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
                if op.security.is_some() {
                    add_common_errors(op);
                }
            }
        }
    }
}
