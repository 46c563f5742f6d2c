//! Seed 003's shapes: the camelCase CLIENT and the AUDIT record a write answers, built from the
//! core's types by pure functions (no axum), and the table of its field names.

use clientele_core::types::{Email, Money, Phone, Timestamp};
use clientele_core::{Client, ClientKind};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// The metadata key that holds `loginToken`.
pub const LOGIN_TOKEN_KEY: &str = "login_token";

/// CLIENT's fields that are native fields of a client, in the seed's order: (this dialect's
/// name, native path). `loginToken` (a metadata key) and the read-only `id`, `createdOn` and
/// `updatedOn` are apart.
pub const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("externalId", "external_id"),
    ("source", "source"),
    ("ownerId", "owner_id"),
    ("referredById", "referred_by_id"),
    ("email", "email"),
    ("homePhone", "home_phone"),
    ("workPhone", "phone"),
    ("mobilePhone", "mobile"),
    ("fax", "fax"),
    ("isSilenced", "silenced"),
    ("isArchived", "archived"),
    ("fico", "credit.fico"),
    ("totalIncome", "credit.total_income"),
    ("totalDebtPayments", "credit.total_debt_payments"),
    ("firstTimeBuyer", "credit.first_time_buyer"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
];

/// The read-only fields of CLIENT and the native fields they show.
pub const READ_ONLY_FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("createdOn", "created_at"),
    ("updatedOn", "updated_at"),
];

/// Every property of CLIENT, as `$select` names them.
pub const ALL_PROPERTIES: &[&str] = &[
    "externalId",
    "source",
    "ownerId",
    "referredById",
    "email",
    "homePhone",
    "workPhone",
    "mobilePhone",
    "fax",
    "isSilenced",
    "isArchived",
    "createdOn",
    "updatedOn",
    "fico",
    "totalIncome",
    "totalDebtPayments",
    "firstTimeBuyer",
    "loginToken",
    "id",
    "firstName",
    "lastName",
];

/// A lending client (seed 003).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed003Client {
    /// ≤ 128, unique in the organisation.
    pub external_id: Option<String>,
    /// Where the client came from, ≤ 64.
    pub source: Option<String>,
    /// The owner (a user of the caller's own systems): a UUID when written here; a client
    /// written through `/v1` or another dialect may carry any owner id of ≤ 64 characters.
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<String>,
    /// Another client of the organisation.
    pub referred_by_id: Option<Uuid>,
    /// Null only for a client created elsewhere without one.
    #[schema(value_type = Option<String>, example = "jane.doe@example.com")]
    pub email: Option<Email>,
    #[schema(value_type = Option<String>)]
    pub home_phone: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub work_phone: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub mobile_phone: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub fax: Option<Phone>,
    pub is_silenced: bool,
    pub is_archived: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_on: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_on: Option<Timestamp>,
    /// 300..850.
    pub fico: Option<i32>,
    /// ≥ 0, in the client's currency.
    #[schema(value_type = Option<f64>)]
    pub total_income: Option<Money>,
    /// ≥ 0, in the client's currency.
    #[schema(value_type = Option<f64>)]
    pub total_debt_payments: Option<Money>,
    pub first_time_buyer: Option<bool>,
    /// ≤ 500.
    pub login_token: Option<String>,
    pub id: Uuid,
    /// Null for a client that is not a person.
    pub first_name: Option<String>,
    /// Null for a client that is not a person.
    pub last_name: Option<String>,
}

impl Seed003Client {
    /// The client as this dialect shows it. A client that is not a person has no first and
    /// last name here (docs/dialects.md, 003).
    pub fn new(client: &Client) -> Self {
        let d = &client.data;
        let person = d.kind == ClientKind::Person;
        Self {
            external_id: d.external_id.clone(),
            source: d.source.clone(),
            owner_id: d.owner_id.clone(),
            referred_by_id: d.referred_by_id,
            email: d.email.clone(),
            home_phone: d.home_phone.clone(),
            work_phone: d.phone.clone(),
            mobile_phone: d.mobile.clone(),
            fax: d.fax.clone(),
            is_silenced: d.silenced,
            is_archived: d.archived,
            created_on: client.created_at,
            updated_on: Some(client.updated_at),
            fico: d.credit.fico,
            total_income: d.credit.total_income,
            total_debt_payments: d.credit.total_debt_payments,
            first_time_buyer: d.credit.first_time_buyer,
            login_token: d.metadata.get(LOGIN_TOKEN_KEY).cloned(),
            id: client.id,
            first_name: person.then(|| d.first_name.clone()).flatten(),
            last_name: person.then(|| d.last_name.clone()).flatten(),
        }
    }
}

/// Keeps the `$select`ed properties of a serialized client, in the order they were named.
pub fn select(client: Value, properties: &[&str]) -> Value {
    let Value::Object(mut src) = client else {
        return client;
    };
    let mut out = Map::new();
    for p in properties {
        if let Some(v) = src.remove(*p) {
            out.insert((*p).to_string(), v);
        }
    }
    Value::Object(out)
}

/// The audit record a write answers: what was written, and when.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed003Audit {
    /// The client's id.
    pub id: String,
    /// Always `Client`.
    #[schema(example = "Client")]
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_timestamp: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_timestamp: Timestamp,
}

impl Seed003Audit {
    pub fn of(client: &Client) -> Self {
        Self {
            id: client.id.to_string(),
            kind: "Client",
            created_timestamp: client.created_at,
            updated_timestamp: client.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::ClientData;
    use serde_json::json;

    fn client(doc: Value) -> Client {
        let data = ClientData::from_json(&doc).expect("valid");
        let created = Timestamp::parse("2026-11-23T10:15:00.123Z").expect("ts");
        let updated = Timestamp::parse("2026-11-24T08:00:00Z").expect("ts");
        Client {
            id: Uuid::nil(),
            number: 7,
            data,
            associated_accounts: 0,
            version: 3,
            created_at: created,
            updated_at: updated,
        }
    }

    #[test]
    fn a_person_reads_in_camel_case_with_every_field() {
        let owner = Uuid::now_v7().to_string();
        let c = client(json!({
            "kind": "person", "first_name": "Jane", "last_name": "Doe", "external_id": "LOS-1",
            "source": "web", "owner_id": owner, "email": "jane.doe@example.com",
            "home_phone": "+1 555 0100", "phone": "+1 555 0101", "mobile": "+1 555 0102",
            "fax": "+1 555 0103", "silenced": true, "archived": true,
            "credit": {"fico": 720, "total_income": 85000.5, "total_debt_payments": 1200,
                "first_time_buyer": true, "currency": "USD"},
            "metadata": {"login_token": "tok-1", "other": "kept"}
        }));
        let v = serde_json::to_value(Seed003Client::new(&c)).expect("json");
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = ALL_PROPERTIES.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(v["firstName"], "Jane");
        assert_eq!(v["lastName"], "Doe");
        assert_eq!(v["workPhone"], "+1 555 0101");
        assert_eq!(v["mobilePhone"], "+1 555 0102");
        assert_eq!(v["homePhone"], "+1 555 0100");
        assert_eq!(v["ownerId"], json!(owner));
        assert_eq!(
            (v["isSilenced"].clone(), v["isArchived"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(v["fico"], 720);
        assert_eq!(v["totalIncome"].to_string(), "85000.50");
        assert_eq!(v["totalDebtPayments"].to_string(), "1200.00");
        assert_eq!(v["firstTimeBuyer"], true);
        assert_eq!(v["loginToken"], "tok-1");
        assert_eq!(v["createdOn"], "2026-11-23T10:15:00.123Z");
        assert_eq!(v["updatedOn"], "2026-11-24T08:00:00.000Z");
        assert_eq!(v["id"], json!(Uuid::nil().to_string()));
    }

    #[test]
    fn an_organization_reads_without_first_and_last_name() {
        let c = client(json!({"name": "Acme Ltd", "first_name": "A", "last_name": "B"}));
        let v = serde_json::to_value(Seed003Client::new(&c)).expect("json");
        assert_eq!(v["firstName"], Value::Null);
        assert_eq!(v["lastName"], Value::Null);
        assert_eq!(v["email"], Value::Null);
        assert_eq!(v["loginToken"], Value::Null);
        assert_eq!(v["isArchived"], false);
    }

    #[test]
    fn select_keeps_the_named_properties_in_their_order() {
        let v = json!({"id": "x", "firstName": "Jane", "lastName": "Doe", "fico": 700});
        assert_eq!(
            select(v, &["lastName", "id"]),
            json!({"lastName": "Doe", "id": "x"})
        );
    }

    #[test]
    fn the_audit_record_names_the_client() {
        let c = client(json!({"name": "A"}));
        let v = serde_json::to_value(Seed003Audit::of(&c)).expect("json");
        assert_eq!(
            v,
            json!({"id": Uuid::nil().to_string(), "type": "Client",
                   "createdTimestamp": "2026-11-23T10:15:00.123Z",
                   "updatedTimestamp": "2026-11-24T08:00:00.000Z"})
        );
    }
}
