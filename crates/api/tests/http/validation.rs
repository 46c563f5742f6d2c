//! Every field rule of API.md's Client, Address and Credit tables, over HTTP.

use serde_json::{json, Value};

use crate::common::TestApp;

/// (body, field, code): each body breaks exactly one rule.
fn cases() -> Vec<(Value, &'static str, &'static str)> {
    let long = |n: usize| "a".repeat(n);
    vec![
        (json!({}), "name", "required"),
        (json!({"name": "   "}), "name", "too_short"),
        (json!({"name": long(201)}), "name", "too_long"),
        (json!({"name": 42}), "name", "invalid_type"),
        (
            json!({"name": "A", "kind": "robot"}),
            "kind",
            "invalid_value",
        ),
        (
            json!({"kind": "person", "last_name": "B"}),
            "first_name",
            "required",
        ),
        (
            json!({"kind": "person", "first_name": "A"}),
            "last_name",
            "required",
        ),
        (
            json!({"name": "A", "first_name": long(101)}),
            "first_name",
            "too_long",
        ),
        (
            json!({"name": "A", "legal_name": long(201)}),
            "legal_name",
            "too_long",
        ),
        (
            json!({"name": "A", "org_number": long(65)}),
            "org_number",
            "too_long",
        ),
        (
            json!({"name": "A", "tax_id": long(65)}),
            "tax_id",
            "too_long",
        ),
        (
            json!({"name": "A", "external_id": long(129)}),
            "external_id",
            "too_long",
        ),
        (
            json!({"name": "A", "account_code": long(65)}),
            "account_code",
            "too_long",
        ),
        (
            json!({"name": "A", "status": "deleted"}),
            "status",
            "invalid_value",
        ),
        (
            json!({"name": "A", "archived": "yes"}),
            "archived",
            "invalid_type",
        ),
        (
            json!({"name": "A", "silenced": 1}),
            "silenced",
            "invalid_type",
        ),
        (
            json!({"name": "A", "invoice_reminders": "true"}),
            "invoice_reminders",
            "invalid_type",
        ),
        (
            json!({"name": "A", "show_location_on_invoice": []}),
            "show_location_on_invoice",
            "invalid_type",
        ),
        (
            json!({"name": "A", "partner_type": "bank"}),
            "partner_type",
            "invalid_value",
        ),
        (
            json!({"name": "A", "email": "not-an-email"}),
            "email",
            "invalid_format",
        ),
        (
            json!({"name": "A", "email": format!("{}@x.se", long(250))}),
            "email",
            "too_long",
        ),
        (
            json!({"name": "A", "billing_email": "a@b"}),
            "billing_email",
            "invalid_format",
        ),
        (
            json!({"name": "A", "phone": "call me"}),
            "phone",
            "invalid_format",
        ),
        (
            json!({"name": "A", "mobile": "1".repeat(33)}),
            "mobile",
            "too_long",
        ),
        (
            json!({"name": "A", "home_phone": "12#34"}),
            "home_phone",
            "invalid_format",
        ),
        (json!({"name": "A", "fax": 123}), "fax", "invalid_type"),
        (
            json!({"name": "A", "website": "ftp://x.se"}),
            "website",
            "invalid_format",
        ),
        (
            json!({"name": "A", "image_url": "/relative.png"}),
            "image_url",
            "invalid_format",
        ),
        (
            json!({"name": "A", "notes": long(10_001)}),
            "notes",
            "too_long",
        ),
        (
            json!({"name": "A", "address": "Main St"}),
            "address",
            "invalid_type",
        ),
        (
            json!({"name": "A", "address": {"city": long(201)}}),
            "address.city",
            "too_long",
        ),
        (
            json!({"name": "A", "address": {"country": "XX"}}),
            "address.country",
            "invalid_format",
        ),
        (
            json!({"name": "A", "address": {"country": "SWE"}}),
            "address.country",
            "invalid_format",
        ),
        (
            json!({"name": "A", "address": {"latitude": 90.5}}),
            "address.latitude",
            "out_of_range",
        ),
        (
            json!({"name": "A", "address": {"longitude": -181}}),
            "address.longitude",
            "out_of_range",
        ),
        (
            json!({"name": "A", "address": {"planet": "Earth"}}),
            "address.planet",
            "unknown_field",
        ),
        (json!({"name": "A", "credit": []}), "credit", "invalid_type"),
        (
            json!({"name": "A", "credit": {"limit": -1, "currency": "EUR"}}),
            "credit.limit",
            "out_of_range",
        ),
        (
            json!({"name": "A", "credit": {"used": "10", "currency": "EUR"}}),
            "credit.used",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"limit": 1.23456, "currency": "EUR"}}),
            "credit.limit",
            "too_many_decimals",
        ),
        (
            json!({"name": "A", "credit": {"limit": 100}}),
            "credit.currency",
            "required",
        ),
        (
            json!({"name": "A", "credit": {"currency": "EURO"}}),
            "credit.currency",
            "invalid_format",
        ),
        (
            json!({"name": "A", "credit": {"payment_terms_days": 3651}}),
            "credit.payment_terms_days",
            "out_of_range",
        ),
        (
            json!({"name": "A", "credit": {"payment_terms_days": 1.5}}),
            "credit.payment_terms_days",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"rating": long(17)}}),
            "credit.rating",
            "too_long",
        ),
        (
            json!({"name": "A", "credit": {"creditworthiness": "great"}}),
            "credit.creditworthiness",
            "invalid_value",
        ),
        (
            json!({"name": "A", "credit": {"fico": 299}}),
            "credit.fico",
            "out_of_range",
        ),
        (
            json!({"name": "A", "credit": {"fico": 851}}),
            "credit.fico",
            "out_of_range",
        ),
        (
            json!({"name": "A", "credit": {"total_income": -5}}),
            "credit.total_income",
            "out_of_range",
        ),
        (
            json!({"name": "A", "credit": {"total_debt_payments": "x"}}),
            "credit.total_debt_payments",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"first_time_buyer": "no"}}),
            "credit.first_time_buyer",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"frame_contract": 0}}),
            "credit.frame_contract",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"self_insurance": {}}}),
            "credit.self_insurance",
            "invalid_type",
        ),
        (
            json!({"name": "A", "credit": {"score": 1}}),
            "credit.score",
            "unknown_field",
        ),
        (
            json!({"name": "A", "owner_id": long(65)}),
            "owner_id",
            "too_long",
        ),
        (
            json!({"name": "A", "salesperson_id": long(65)}),
            "salesperson_id",
            "too_long",
        ),
        (
            json!({"name": "A", "case_manager_id": 7}),
            "case_manager_id",
            "invalid_type",
        ),
        (
            json!({"name": "A", "source": long(65)}),
            "source",
            "too_long",
        ),
        (
            json!({"name": "A", "structure_id": long(65)}),
            "structure_id",
            "too_long",
        ),
        (
            json!({"name": "A", "metadata": []}),
            "metadata",
            "invalid_type",
        ),
        (
            json!({"name": "A", "metadata": {"k": 1}}),
            "metadata.k",
            "invalid_type",
        ),
        (
            json!({"name": "A", "metadata": {"k": long(501)}}),
            "metadata.k",
            "too_long",
        ),
        (
            json!({"name": "A", "unknown": true}),
            "unknown",
            "unknown_field",
        ),
    ]
}

#[tokio::test]
async fn each_field_rule_is_a_validation_error_naming_the_field() {
    let app = spawn_app!();
    for (body, field, code) in cases() {
        let r = app.post("/v1/clients", body.clone()).await;
        let details = r.error(400, "VALIDATION_ERROR");
        assert_eq!(
            details,
            vec![(field.to_string(), code.to_string())],
            "body {body}"
        );
    }
    // Nothing was created by any of them.
    let list = app.get("/v1/clients?archived=all").await;
    assert_eq!(list.body["meta"]["total"], 0);
}

#[tokio::test]
async fn metadata_allows_at_most_fifty_keys() {
    let app = spawn_app!();
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = app
        .post("/v1/clients", json!({"name": "A", "metadata": many}))
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("metadata".into(), "too_many_keys".into())]
    );
    let fifty: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    app.create(json!({"name": "A", "metadata": fifty})).await;
    let key = "k".repeat(41);
    let r = app
        .post(
            "/v1/clients",
            json!({"name": "A", "metadata": {key.clone(): "v"}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![(format!("metadata.{key}"), "invalid_key".into())]
    );
}

#[tokio::test]
async fn several_problems_are_reported_together() {
    let app = spawn_app!();
    let r = app
        .post(
            "/v1/clients",
            json!({"name": "", "email": "x", "address": {"country": "ZZ"}}),
        )
        .await;
    let d = r.error(400, "VALIDATION_ERROR");
    assert_eq!(d.len(), 3, "{d:?}");
}

#[tokio::test]
async fn boundary_values_are_accepted() {
    let app = spawn_app!();
    let c = app
        .create(json!({
            "name": "a".repeat(200),
            "email": "x@y.io",
            "address": {"latitude": -90, "longitude": 180, "country": "no"},
            "credit": {"limit": 0, "used": 0.0001, "currency": "nok", "fico": 300,
                       "payment_terms_days": 0},
            "notes": "n".repeat(10_000)
        }))
        .await;
    assert_eq!(c["address"]["country"], "NO");
    assert_eq!(c["credit"]["fico"], 300);
}

/// A merge patch that removes a field the resource does not have names it as unknown, like any
/// other unknown field (found by Schemathesis: `{"": null}` was accepted).
#[tokio::test]
async fn a_patch_removing_an_unknown_field_is_refused() {
    let app = spawn_app!();
    let c = app.create(serde_json::json!({"name": "Patchable"})).await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    let r = app
        .patch(&format!("/v1/clients/{id}"), serde_json::json!({"": null}))
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("".to_string(), "unknown_field".to_string())]
    );
    let r = app
        .patch(
            &format!("/v1/clients/{id}"),
            serde_json::json!({"credit": {"colour": null}, "metadata": {"gone": null}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("credit.colour".to_string(), "unknown_field".to_string())]
    );
    let loc = app
        .post(
            &format!("/v1/clients/{id}/locations"),
            serde_json::json!({"name": "HQ"}),
        )
        .await;
    let loc_id = loc.data()["id"].as_str().unwrap_or("").to_string();
    let r = app
        .patch(
            &format!("/v1/clients/{id}/locations/{loc_id}"),
            serde_json::json!({"floor": null}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("floor".to_string(), "unknown_field".to_string())]
    );
    // Removing known fields and read-only ones still works.
    let r = app
        .patch(
            &format!("/v1/clients/{id}"),
            serde_json::json!({"email": null, "version": null, "metadata": {"gone": null}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
