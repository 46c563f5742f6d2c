//! The OpenAPI document: generated from the route registrations, completed here with the
//! security scheme and the error responses every authenticated route can give.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
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

/// The errors an operation can give because of what it takes: 400 for a bad parameter, header
/// or body field (`details` names it), 404 for an id that is not in the tenant, 413 and 415 for
/// a body over the limit or not JSON. Added only where an operation does not declare them itself.
fn add_input_errors(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or(&[]);
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = op.request_body.is_some();
    let mut errors = Vec::new();
    if !params.is_empty() || has_body {
        errors.push((
            "400",
            "A parameter, header or body field breaks a rule (VALIDATION_ERROR, `details` names \
             it), or the body is not readable JSON (BAD_REQUEST)",
        ));
    }
    if has_path {
        errors.push(("404", "No such resource in the caller's tenant"));
    }
    if has_body {
        errors.push(("413", "Body over the limit"));
        errors.push(("415", "Body is not JSON"));
    }
    for (status, description) in errors {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description).into());
    }
}

/// The names of a path's parameters, in order (`/v1/clients/{id}/accounts/{item_id}`).
fn path_params(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect()
}

/// Where the new resource's `id` sits in a created response of schema `schema` (a JSON
/// pointer): the schema's own `id`, or the `id` of the object under one of its properties
/// (`/data/id` in the native envelope, `/client/id` in a dialect's wrapper).
fn id_pointer(
    schemas: &serde_json::Value,
    schema: &serde_json::Value,
    depth: u8,
) -> Option<String> {
    let resolved = match schema["$ref"].as_str() {
        Some(r) => &schemas[r.rsplit('/').next()?],
        None => schema,
    };
    let mut properties = serde_json::Map::new();
    for part in std::iter::once(resolved).chain(resolved["allOf"].as_array().into_iter().flatten())
    {
        let part = match part["$ref"].as_str() {
            Some(r) => &schemas[r.rsplit('/').next()?],
            None => part,
        };
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
    }
    if properties.contains_key("id") {
        return Some("/id".into());
    }
    if depth > 0 {
        return None;
    }
    let inner = |key: &str| {
        properties
            .get(key)
            .and_then(|s| id_pointer(schemas, s, depth + 1))
            .map(|p| format!("/{key}{p}"))
    };
    inner("data").or_else(|| properties.keys().find_map(|k| inner(k)))
}

/// OpenAPI links from every create (a `POST` answering 201) to the operations that take the new
/// resource's id: those at the create's path plus `/{param}`, and below it, whose other path
/// parameters are the create's own. The id is read from the response (`data.id`, or `id` for a
/// dialect that answers the bare resource); the create's own parameters are passed on.
fn add_links(doc: &mut OpenApi) {
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in &doc.paths.paths {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            if let Some(id) = &op.operation_id {
                targets.push((path.clone(), id.clone()));
            }
        }
    }
    let schemas = doc
        .components
        .as_ref()
        .and_then(|c| serde_json::to_value(&c.schemas).ok())
        .unwrap_or_default();
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(post) = &mut item.post else {
            continue;
        };
        let Some(RefOr::T(created)) = post.responses.responses.get_mut("201") else {
            continue;
        };
        let Some(pointer) = serde_json::to_value(&created.content)
            .ok()
            .and_then(|c| id_pointer(&schemas, &c["application/json"]["schema"], 0))
        else {
            continue;
        };
        let id = format!("$response.body#{pointer}");
        let own = path_params(path);
        for (target, op_id) in &targets {
            let Some(new) = target
                .strip_prefix(path.as_str())
                .and_then(|rest| rest.strip_prefix("/{"))
                .and_then(|rest| rest.split('}').next())
            else {
                continue;
            };
            if path_params(target)
                .iter()
                .any(|p| *p != new && !own.contains(p))
            {
                continue;
            }
            // utoipa 5 writes `operation_id` in snake case; the field is `operationId`.
            let operation_id = Extensions::from_iter([("operationId", op_id.clone())]);
            let mut link = LinkBuilder::new()
                .extensions(Some(operation_id))
                .description(format!("`{new}` is the id of the resource just created"))
                .parameter(new, id.as_str());
            for p in &own {
                link = link.parameter(*p, format!("$request.path.{p}"));
            }
            created.links.insert(op_id.clone(), link.build().into());
        }
    }
}

/// A string holding a character other than white space, as the service trims it (Unicode
/// `White_Space`, Rust's `char::is_whitespace`): written out, because a regex engine's `\S`
/// differs (ECMAScript counts U+FEFF as space and U+0085 as not).
const NON_BLANK: &str =
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// The request schemas of the native resources, beside the resource schemas the responses use:
/// `{Data}Input` for a create or replace and `{Data}Patch` for a merge patch. Both refuse unknown
/// fields (as the service does: 400 naming the field) and require only what the service
/// requires: a client's `name` unless it is a person, then `first_name` and `last_name` (not
/// blank); a sub-resource's `name`. A patch requires nothing and, for a person, the names with it.
/// `Address` and `Credit` refuse unknown fields everywhere; `Credit` requires `currency` when
/// `limit` or `used` is a number.
fn add_input_schemas(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let closed = |o: &mut utoipa::openapi::Object| {
        o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    };
    let non_blank = serde_json::json!({"type": "string", "pattern": NON_BLANK});
    let person = serde_json::json!({
        "if": {"properties": {"kind": {"const": "person"}}, "required": ["kind"]},
        "then": {"required": ["first_name", "last_name"],
                 "properties": {"first_name": non_blank, "last_name": non_blank}},
    });
    let client_rule = {
        let mut r = person.clone();
        r["else"] = serde_json::json!({"required": ["name"]});
        r
    };
    for name in ["Address", "Credit", "NewApiKeyBody"] {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            closed(o);
            if name == "Credit" {
                let number = serde_json::json!({"type": "number"});
                o.extensions = Some(rule_extensions(&serde_json::json!({
                    "if": {"anyOf": [
                        {"required": ["limit"], "properties": {"limit": number}},
                        {"required": ["used"], "properties": {"used": number}},
                    ]},
                    "then": {"required": ["currency"],
                             "properties": {"currency": {"type": "string"}}},
                })));
            }
        }
    }
    for name in [
        "ClientData",
        "ContactPersonData",
        "LocationData",
        "AccountData",
    ] {
        let Some(RefOr::T(Schema::Object(data))) = components.schemas.get(name).cloned() else {
            continue;
        };
        let mut input = data.clone();
        closed(&mut input);
        // `null` is "not given" in a body: the field takes its default (create, replace) or is
        // removed, which also restores its default (merge patch). Only a client's `name`, which
        // an organisation requires, is left as it is.
        for (field, schema) in input.properties.iter_mut() {
            if field != "name" {
                *schema = or_null(schema);
            }
        }
        let mut patch = input.clone();
        patch.required.clear();
        if name == "ClientData" {
            input.required.clear();
            input.extensions = Some(rule_extensions(&client_rule));
            patch.extensions = Some(rule_extensions(&person));
        } else {
            input.required = vec!["name".to_string()];
        }
        let base = name.trim_end_matches("Data");
        components
            .schemas
            .insert(format!("{base}Input"), Schema::Object(input).into());
        components
            .schemas
            .insert(format!("{base}Patch"), Schema::Object(patch).into());
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let base = if path.starts_with("/v1/clients/{id}/contact-persons") {
            "ContactPerson"
        } else if path.starts_with("/v1/clients/{id}/locations") {
            "Location"
        } else if path.starts_with("/v1/clients/{id}/accounts") {
            "Account"
        } else if path.starts_with("/v1/clients") {
            "Client"
        } else {
            continue;
        };
        for op in [&mut item.put, &mut item.post, &mut item.patch]
            .into_iter()
            .flatten()
        {
            let Some(body) = op.request_body.as_mut() else {
                continue;
            };
            for (media, content) in body.content.iter_mut() {
                let target = if media.contains("merge-patch") {
                    format!("{base}Patch")
                } else if media == "application/json" {
                    format!("{base}Input")
                } else {
                    continue;
                };
                content.schema = Some(Ref::from_schema_name(target).into());
            }
        }
    }
}

/// A dialect's partial-update schema, derived from its create's.
struct DialectPatch {
    /// The create's schema.
    input: &'static str,
    /// The patch schema it becomes.
    patch: &'static str,
    /// Fields a patch refuses (by name, 400), left out.
    refused: &'static [&'static str],
    /// A property whose schema is itself a create's, replaced by that create's patch.
    nested: Option<(&'static str, &'static str)>,
}

/// The request schemas of the dialects, beside the types that describe them (`seedNNN/input.rs`):
/// each refuses unknown fields, as the dialects do (400 naming the field), and a dialect's partial
/// update gets its own schema, `…Patch`, derived from its create's: nothing required, and
/// without the fields only a create takes (004's `contactPersons`, 002's `primary_location`,
/// which a patch or 002's `PUT` refuse by name).
fn add_dialect_input_schemas(doc: &mut OpenApi) {
    const PATCHES: &[DialectPatch] = &[
        DialectPatch {
            input: "Seed002ClientFields",
            patch: "Seed002ClientFieldsPatch",
            refused: &["primary_location"],
            nested: None,
        },
        DialectPatch {
            input: "Seed002ClientInput",
            patch: "Seed002ClientPatch",
            refused: &[],
            nested: Some(("client", "Seed002ClientFieldsPatch")),
        },
        DialectPatch {
            input: "Seed003ClientInput",
            patch: "Seed003ClientPatch",
            refused: &[],
            nested: None,
        },
        DialectPatch {
            input: "Seed004ClientInput",
            patch: "Seed004ClientPatch",
            refused: &["contactPersons"],
            nested: None,
        },
        DialectPatch {
            input: "Seed004ContactPersonInput",
            patch: "Seed004ContactPersonPatch",
            refused: &[],
            nested: None,
        },
    ];
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for (name, schema) in components.schemas.iter_mut() {
        let input = name.ends_with("Input") || name == "Seed002ClientFields";
        if let (true, RefOr::T(Schema::Object(o))) = (name.starts_with("Seed") && input, schema) {
            o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
    for p in PATCHES {
        let Some(RefOr::T(Schema::Object(mut o))) = components.schemas.get(p.input).cloned() else {
            continue;
        };
        o.required.clear();
        for field in p.refused {
            o.properties.shift_remove(*field);
        }
        if let Some((field, target)) = p.nested {
            o.properties
                .insert(field.to_string(), Ref::from_schema_name(target).into());
            o.required = vec![field.to_string()];
        }
        components
            .schemas
            .insert(p.patch.to_string(), Schema::Object(o).into());
    }
    // The partial updates: every dialect's PATCH, and 002's PUT (the seed's "all fields are
    // optional").
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            item.patch.as_mut(),
            item.put.as_mut().filter(|_| path.starts_with("/api/v1/")),
        ];
        for op in ops.into_iter().flatten() {
            let Some(body) = op.request_body.as_mut() else {
                continue;
            };
            for content in body.content.values_mut() {
                let Some(RefOr::Ref(r)) = &content.schema else {
                    continue;
                };
                let current = r.ref_location.rsplit('/').next().unwrap_or("");
                if let Some(p) = PATCHES.iter().find(|p| p.input == current) {
                    content.schema = Some(Ref::from_schema_name(p.patch).into());
                }
            }
        }
    }
}

/// `schema`, or null.
fn or_null(schema: &RefOr<Schema>) -> RefOr<Schema> {
    let null = || {
        RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(Type::Null).build(),
        ))
    };
    match schema {
        RefOr::Ref(_) => RefOr::T(Schema::OneOf(
            OneOfBuilder::new()
                .item(null())
                .item(schema.clone())
                .build(),
        )),
        RefOr::T(Schema::Object(o)) => {
            let mut o = o.clone();
            match &mut o.schema_type {
                SchemaType::Type(t) if *t != Type::Null => {
                    o.schema_type = SchemaType::Array(vec![t.clone(), Type::Null]);
                }
                SchemaType::Array(types) if !types.contains(&Type::Null) => types.push(Type::Null),
                _ => {}
            }
            if let Some(values) = o.enum_values.as_mut() {
                if !values.contains(&serde_json::Value::Null) {
                    values.push(serde_json::Value::Null);
                }
            }
            RefOr::T(Schema::Object(o))
        }
        RefOr::T(Schema::OneOf(one)) => {
            let mut one = one.clone();
            let is_null = |s: &RefOr<Schema>| {
                matches!(s, RefOr::T(Schema::Object(o))
                    if o.schema_type == SchemaType::Type(Type::Null))
            };
            if !one.items.iter().any(is_null) {
                one.items.insert(0, null());
            }
            RefOr::T(Schema::OneOf(one))
        }
        other => other.clone(),
    }
}

/// A JSON Schema rule (`if` / `then` / `else`) as the schema's `allOf`: utoipa's `Object` has no
/// field for these keywords, and its extensions are written as they are. One key keeps the
/// document's order stable (extensions are a hash map).
fn rule_extensions(rule: &serde_json::Value) -> Extensions {
    Extensions::from_iter([("allOf", serde_json::json!([rule]))])
}

/// `(a|b)` of a closed set, for a pattern.
fn alternatives(values: &[&str]) -> String {
    format!("({})", values.join("|"))
}

/// A comma list of items matching `item`: 1 to 100 of them, as the list parameters take.
fn comma_list(item: &str) -> String {
    format!("^{item}(,{item}){{0,99}}$")
}

fn string_param() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The rules of the native list parameters (`crate::v1::query`), declared on every `/v1`
/// operation that takes them: ranges, closed sets, comma lists of 1-100 non-empty items, lengths.
fn v1_param_schema(name: &str) -> Option<ObjectBuilder> {
    use clientele_core::codes::{COUNTRIES, CURRENCIES};
    use clientele_core::{ClientKind, ClientStatus, Creditworthiness, PartnerType};
    let text_item = r"[^,]*[^,\s][^,]*";
    let uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    let list = |item: String| Some(string_param().pattern(Some(comma_list(&item))));
    match name {
        "limit" => Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(100)),
        ),
        "offset" => Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(i64::MAX)),
        ),
        "page" => Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(i64::MAX)),
        ),
        "status" => list(alternatives(ClientStatus::ALL)),
        "kind" => list(alternatives(ClientKind::ALL)),
        "partner_type" => list(alternatives(PartnerType::ALL)),
        "creditworthiness" => list(alternatives(Creditworthiness::ALL)),
        "country" => list(alternatives(COUNTRIES)),
        "currency" => list(alternatives(CURRENCIES)),
        "owner_id" | "salesperson_id" | "case_manager_id" | "account_code" | "external_id"
        | "source" => list(text_item.to_string()),
        "id" => list(uuid.to_string()),
        // Empty means none.
        "expand" => Some(string_param().pattern(Some(format!(
            "^({})?$",
            comma_list(&alternatives(&["contact_persons", "locations", "accounts"]))
                .trim_start_matches('^')
                .trim_end_matches('$')
        )))),
        "archived" => Some(string_param().enum_values(Some(["false", "true", "all"]))),
        "search" => Some(string_param().max_length(Some(120))),
        "name" => Some(string_param().max_length(Some(200))),
        "created_from" | "created_to" | "updated_from" | "updated_to" => {
            Some(string_param().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
        }
        "Idempotency-Key" => Some(string_param().pattern(Some("^[!-~]{1,255}$"))),
        // Bulk import and export.
        "format" => Some(string_param().enum_values(Some(["ndjson", "csv"]))),
        "mode" => Some(string_param().enum_values(Some(["create", "upsert"]))),
        _ => None,
    }
}

/// The operations of a path item that the service serves (GET, PUT, POST, DELETE, PATCH).
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

fn constrain_v1_params(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        // The dialects' parameters are declared where they are read; the idempotency key is
        // the native one everywhere.
        let native = path.starts_with("/v1/");
        for op in operations_mut(item) {
            for p in op.parameters.iter_mut().flatten() {
                if matches!(p.parameter_in, ParameterIn::Path)
                    || !(native || p.name == "Idempotency-Key")
                {
                    continue;
                }
                if let Some(schema) = v1_param_schema(&p.name) {
                    p.schema = Some(schema.build().into());
                }
            }
        }
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
            for op in operations_mut(item) {
                if let Some(reqs) = &mut op.security {
                    add_bearer_alternatives(reqs);
                    add_common_errors(op);
                }
                add_input_errors(op);
            }
        }
        add_links(doc);
        add_input_schemas(doc);
        add_dialect_input_schemas(doc);
        constrain_v1_params(doc);
    }
}
