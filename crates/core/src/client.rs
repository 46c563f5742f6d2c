//! The Client resource: its writable data, how a JSON document becomes that data, and the stored
//! record around it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::enums::{ClientKind, ClientStatus, Creditworthiness, PartnerType};
use crate::error::{Errors, FieldError};
use crate::parse::ObjectReader;
use crate::query::{CLIENT_FIELDS, CLIENT_OBJECT_FIELDS};
use crate::types::{
    serialize_decimal, CountryCode, CurrencyCode, Email, HttpUrl, Invalid, Money, Phone, Timestamp,
};

/// A postal address with optional coordinates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub street: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub street_number: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub apartment: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub corner: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub line2: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub line3: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub city: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub region: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper-cased.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::country))]
    pub country: Option<CountryCode>,
    /// −90..90
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub latitude: Option<f64>,
    /// −180..180
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub longitude: Option<f64>,
}

const ADDRESS_TEXT: [&str; 9] = [
    "street",
    "street_number",
    "apartment",
    "corner",
    "line2",
    "line3",
    "city",
    "region",
    "postal_code",
];

impl Address {
    /// The `address` field: `null` when absent, `null` or has no field set, so a client or
    /// location has one shape for "no address" however it was written (create, replace, patch).
    pub(crate) fn read_optional(r: &mut ObjectReader<'_>) -> Option<Self> {
        r.nested("address", Self::read)
            .filter(|a| *a != Self::default())
    }

    pub(crate) fn read(r: &mut ObjectReader<'_>) -> Self {
        let mut fields = ADDRESS_TEXT.iter().map(|k| r.string(k, 200));
        let mut next = || fields.next().flatten();
        let (street, street_number, apartment, corner, line2, line3, city, region, postal_code) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        );
        drop(fields);
        let mut known: Vec<&str> = ADDRESS_TEXT.to_vec();
        known.extend(["country", "latitude", "longitude"]);
        r.reject_unknown(&known, &[]);
        Self {
            street,
            street_number,
            apartment,
            corner,
            line2,
            line3,
            city,
            region,
            postal_code,
            country: r.parsed("country", CountryCode::parse),
            latitude: r.float("latitude", -90.0, 90.0),
            longitude: r.float("longitude", -180.0, 180.0),
        }
    }
}

/// Credit context. Always present on a client; every field may be null.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credit {
    /// Credit limit, ≥ 0, exact decimal.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::money))]
    pub limit: Option<Money>,
    /// Credit used, ≥ 0, exact decimal.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::money))]
    pub used: Option<Money>,
    /// Read-only: `limit − used`; null when `limit` is null.
    #[serde(serialize_with = "serialize_opt_decimal")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::money_read_only))]
    pub available: Option<rust_decimal::Decimal>,
    /// ISO 4217; required when `limit` or `used` is set.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::currency))]
    pub currency: Option<CurrencyCode>,
    /// 0..3650
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub payment_terms_days: Option<i32>,
    /// ≤ 16 characters, e.g. `AA`.
    #[cfg_attr(feature = "openapi", schema(max_length = 16))]
    pub rating: Option<String>,
    pub creditworthiness: Option<Creditworthiness>,
    /// 300..850
    #[cfg_attr(feature = "openapi", schema(minimum = 300, maximum = 850))]
    pub fico: Option<i32>,
    /// ≥ 0, exact decimal.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::money))]
    pub total_income: Option<Money>,
    /// ≥ 0, exact decimal.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::money))]
    pub total_debt_payments: Option<Money>,
    pub first_time_buyer: Option<bool>,
    pub frame_contract: Option<bool>,
    pub self_insurance: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub pricing: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub custom_price_id: Option<String>,
}

fn serialize_opt_decimal<S: serde::Serializer>(
    d: &Option<rust_decimal::Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serialize_decimal(d, s),
        None => s.serialize_none(),
    }
}

impl Credit {
    fn read(r: &mut ObjectReader<'_>) -> Self {
        r.reject_unknown(
            &[
                "limit",
                "used",
                "currency",
                "payment_terms_days",
                "rating",
                "creditworthiness",
                "fico",
                "total_income",
                "total_debt_payments",
                "first_time_buyer",
                "frame_contract",
                "self_insurance",
                "pricing",
                "custom_price_id",
            ],
            &["available"],
        );
        let mut c = Self {
            limit: r.money("limit"),
            used: r.money("used"),
            available: None,
            currency: r.parsed("currency", CurrencyCode::parse),
            payment_terms_days: r.integer("payment_terms_days", 0, 3650).map(|n| n as i32),
            rating: r.string("rating", 16),
            creditworthiness: r.parsed("creditworthiness", Creditworthiness::parse),
            fico: r.integer("fico", 300, 850).map(|n| n as i32),
            total_income: r.money("total_income"),
            total_debt_payments: r.money("total_debt_payments"),
            first_time_buyer: r.boolean("first_time_buyer"),
            frame_contract: r.boolean("frame_contract"),
            self_insurance: r.boolean("self_insurance"),
            pricing: r.string("pricing", 200),
            custom_price_id: r.string("custom_price_id", 64),
        };
        let money_given = r.raw("limit").is_some() || r.raw("used").is_some();
        if money_given && r.raw("currency").is_none() {
            let path = r.path("currency");
            r.errors
                .push(&path, "required", "is required when limit or used is set");
        }
        c.compute_available();
        c
    }

    /// Recomputes the read-only `available` from `limit` and `used`.
    pub fn compute_available(&mut self) {
        self.available = Self::available_of(self.limit, self.used);
    }

    /// The read-only `available` of a credit with this `limit` and `used`: `limit − used`,
    /// `None` without a limit.
    pub fn available_of(
        limit: Option<Money>,
        used: Option<Money>,
    ) -> Option<rust_decimal::Decimal> {
        limit.map(|l| match used {
            Some(u) => l.decimal() - u.decimal(),
            None => l.decimal(),
        })
    }
}

/// The credit amounts of a client document (under `credit`): what the dialects' currency rule
/// looks at.
pub const CREDIT_AMOUNTS: [&str; 4] = ["limit", "used", "total_income", "total_debt_payments"];

/// The dialects' currency rule, on a native client document before it is parsed: when its
/// `credit` has an amount ([`CREDIT_AMOUNTS`], not `null`) and no `currency` (absent or
/// `null`), the currency becomes `currency`. Applied to the merged document of a patch, where a
/// stored currency is already present, it keeps the client's currency and fills in `currency`
/// only for a client that has none. Anything else (no `credit` object, no amount, a currency
/// given, a document that is not an object) is left for the parser to judge. Returns whether
/// it filled the currency in.
pub fn fill_credit_currency(doc: &mut Value, currency: &CurrencyCode) -> bool {
    let Some(Value::Object(credit)) = doc.get_mut("credit") else {
        return false;
    };
    let has_amount = CREDIT_AMOUNTS
        .iter()
        .any(|k| credit.get(*k).is_some_and(|v| !v.is_null()));
    let has_currency = credit.get("currency").is_some_and(|v| !v.is_null());
    if !has_amount || has_currency {
        return false;
    }
    credit.insert("currency".into(), Value::String(currency.to_string()));
    true
}

/// Every writable field of a client, already validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientData {
    /// `organization` (default) or `person`.
    #[cfg_attr(feature = "openapi", schema(default = "organization"))]
    pub kind: ClientKind,
    /// 1-200 characters, trimmed. Required for organizations; for persons defaults to
    /// `first_name last_name`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    /// Business name / long name, ≤ 200.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub legal_name: Option<String>,
    /// ≤ 100; required when `kind` is `person`.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub first_name: Option<String>,
    /// ≤ 100; required when `kind` is `person`.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub last_name: Option<String>,
    /// Company registration / document number, ≤ 64. Sensitive.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub org_number: Option<String>,
    /// ≤ 64. Sensitive.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub tax_id: Option<String>,
    /// ≤ 128, unique per tenant when set.
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub external_id: Option<String>,
    /// Internal reference, ≤ 64, not unique.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub account_code: Option<String>,
    /// Default `active`.
    pub status: ClientStatus,
    /// Default false; archived clients are left out of lists unless asked for.
    pub archived: bool,
    /// Default false: no notifications to this client.
    pub silenced: bool,
    /// Default false: send overdue-invoice reminders.
    pub invoice_reminders: bool,
    /// Default false: print the location name on invoices.
    pub show_location_on_invoice: bool,
    pub partner_type: Option<PartnerType>,
    /// ≤ 254, a valid address. Sensitive.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::email))]
    pub email: Option<Email>,
    /// ≤ 254, a valid address.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::email))]
    pub billing_email: Option<Email>,
    /// ≤ 32: digits, spaces and `+ - ( ) .`. Sensitive.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub phone: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub mobile: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub home_phone: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub fax: Option<Phone>,
    /// Absolute http(s) URL, ≤ 2048.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::http_url))]
    pub website: Option<HttpUrl>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::http_url))]
    pub image_url: Option<HttpUrl>,
    /// ≤ 10000.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub notes: Option<String>,
    pub address: Option<Address>,
    pub credit: Credit,
    /// Id of a person in the caller's own systems, ≤ 64.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub owner_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub salesperson_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub case_manager_id: Option<String>,
    /// Id of another client of the same tenant; must exist.
    pub referred_by_id: Option<Uuid>,
    /// Where the client came from, ≤ 64.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub source: Option<String>,
    /// The organisational unit of the tenant the client belongs to, ≤ 64.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub structure_id: Option<String>,
    /// ≤ 50 keys, key ≤ 40 characters, string values ≤ 500 characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::metadata))]
    pub metadata: BTreeMap<String, String>,
}

/// Read-only fields of a client: accepted in bodies and ignored (an `id` is checked separately).
pub const CLIENT_READ_ONLY: &[&str] = &[
    "id",
    "number",
    "associated_accounts",
    "version",
    "created_at",
    "updated_at",
];

/// Top-level keys a client document may set: the first segment of every field of the list
/// ([`CLIENT_FIELDS`]) that is not read-only, and the fields taken as a whole object.
static CLIENT_WRITABLE: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut keys: Vec<&'static str> = Vec::new();
    let segments = CLIENT_FIELDS
        .iter()
        .map(|f| f.path.split('.').next().unwrap_or(f.path));
    for key in segments.chain(CLIENT_OBJECT_FIELDS.iter().copied()) {
        if !CLIENT_READ_ONLY.contains(&key) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
});

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn parse_uuid(s: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(s).map_err(|_| Invalid::new("invalid_format", "must be a client id (UUID)"))
}

fn read_metadata(r: &mut ObjectReader<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(obj) = r.object("metadata") else {
        return out;
    };
    if obj.len() > 50 {
        r.errors
            .push("metadata", "too_many_keys", "must have at most 50 keys");
    }
    for (k, v) in obj {
        let path = format!("metadata.{k}");
        if k.is_empty() || k.chars().count() > 40 {
            r.errors
                .push(&path, "invalid_key", "keys must be 1-40 characters");
            continue;
        }
        match v {
            Value::Null => {}
            Value::String(s) if s.chars().count() <= 500 => {
                out.insert(k.clone(), s.clone());
            }
            Value::String(_) => r
                .errors
                .push(&path, "too_long", "must be at most 500 characters"),
            other => r.errors.push(
                &path,
                "invalid_type",
                format!("must be a string, not {}", crate::parse::type_name(other)),
            ),
        }
    }
    out
}

impl ClientData {
    /// Parses a complete document: absent or `null` fields take their defaults (PUT semantics).
    pub fn from_json(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let Some(obj) = body.as_object() else {
            errors.push(
                "body",
                "invalid_type",
                format!(
                    "must be a JSON object, not {}",
                    crate::parse::a_type_name(body)
                ),
            );
            return Err(errors.0);
        };
        let mut r = ObjectReader::new(obj, "", &mut errors);
        r.reject_unknown(&CLIENT_WRITABLE, CLIENT_READ_ONLY);

        let kind = r
            .parsed("kind", ClientKind::parse)
            .unwrap_or(ClientKind::Organization);
        let first_name = trimmed(r.string("first_name", 100));
        let last_name = trimmed(r.string("last_name", 100));
        let given_name = r.string("name", 200).map(|s| s.trim().to_string());
        let name = match (kind, given_name) {
            (_, Some(n)) if !n.is_empty() => n,
            (ClientKind::Person, _) => {
                let joined = [first_name.as_deref(), last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                joined.chars().take(200).collect()
            }
            (ClientKind::Organization, given) => {
                if given.is_some() {
                    r.errors.push("name", "too_short", "must not be empty");
                } else if !r.errors.0.iter().any(|e| e.field == "name") {
                    r.errors
                        .push("name", "required", "is required for an organization");
                }
                String::new()
            }
        };
        if kind == ClientKind::Person {
            for (key, v) in [("first_name", &first_name), ("last_name", &last_name)] {
                if v.is_none() && !r.errors.0.iter().any(|e| e.field == key) {
                    // Only when the field was not already refused for its type or length.
                    r.errors.push(key, "required", "is required for a person");
                }
            }
        }

        let data = Self {
            kind,
            name,
            legal_name: r.string("legal_name", 200),
            first_name,
            last_name,
            org_number: r.string("org_number", 64),
            tax_id: r.string("tax_id", 64),
            external_id: r.string("external_id", 128),
            account_code: r.string("account_code", 64),
            status: r
                .parsed("status", ClientStatus::parse)
                .unwrap_or(ClientStatus::Active),
            archived: r.boolean("archived").unwrap_or(false),
            silenced: r.boolean("silenced").unwrap_or(false),
            invoice_reminders: r.boolean("invoice_reminders").unwrap_or(false),
            show_location_on_invoice: r.boolean("show_location_on_invoice").unwrap_or(false),
            partner_type: r.parsed("partner_type", PartnerType::parse),
            email: r.parsed("email", Email::parse),
            billing_email: r.parsed("billing_email", Email::parse),
            phone: r.parsed("phone", Phone::parse),
            mobile: r.parsed("mobile", Phone::parse),
            home_phone: r.parsed("home_phone", Phone::parse),
            fax: r.parsed("fax", Phone::parse),
            website: r.parsed("website", HttpUrl::parse),
            image_url: r.parsed("image_url", HttpUrl::parse),
            notes: r.string("notes", 10_000),
            address: Address::read_optional(&mut r),
            credit: r.nested("credit", Credit::read).unwrap_or_default(),
            owner_id: r.string("owner_id", 64),
            salesperson_id: r.string("salesperson_id", 64),
            case_manager_id: r.string("case_manager_id", 64),
            referred_by_id: r.parsed("referred_by_id", parse_uuid),
            source: r.string("source", 64),
            structure_id: r.string("structure_id", 64),
            metadata: read_metadata(&mut r),
        };
        errors.into_result(data)
    }

    /// The document form of this data, the base a merge patch is applied to.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl ClientData {
    /// Applies an RFC 7396 merge patch to this data and validates the result as a whole.
    pub fn apply_patch(&self, patch: &Value) -> Result<ClientData, Vec<FieldError>> {
        self.apply_patch_filling(patch, None)
    }

    /// [`apply_patch`](Self::apply_patch), with the dialects' currency rule
    /// ([`fill_credit_currency`]) applied to the merged document when `fill_currency` is set.
    pub fn apply_patch_filling(
        &self,
        patch: &Value,
        fill_currency: Option<&CurrencyCode>,
    ) -> Result<ClientData, Vec<FieldError>> {
        let mut doc = self.to_json();
        let unknown = unknown_removals(&doc, patch, CLIENT_READ_ONLY, &["metadata"]);
        if !unknown.is_empty() {
            return Err(unknown);
        }
        merge_patch(&mut doc, patch);
        if let Some(c) = fill_currency {
            fill_credit_currency(&mut doc, c);
        }
        ClientData::from_json(&doc)
    }
}

/// A stored client: its data plus the server-assigned fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Client {
    /// Server-assigned UUIDv7.
    pub id: Uuid,
    /// Per-tenant sequence number (1, 2, 3, ...); never reused.
    pub number: i64,
    #[serde(flatten)]
    pub data: ClientData,
    /// Number of accounts of this client.
    pub associated_accounts: i64,
    /// +1 on every change; the `ETag` is derived from it.
    pub version: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// An address with every field empty: what a merge patch's removals inside `address` are
/// checked against when the document has no address (`null`), so that removing an unknown
/// field of it is refused there as it is where the address exists.
static EMPTY_ADDRESS: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(Address::default()).unwrap_or(Value::Null));

/// The fields a merge patch removes (`null`) that the document does not have: unknown fields,
/// refused like any other unknown field although merging would drop them silently. `read_only`
/// names top-level fields that are accepted and ignored; objects named in `free` (`metadata`)
/// take any key. A top-level `address` that is `null` counts as an address with every field
/// empty.
pub fn unknown_removals(
    doc: &Value,
    patch: &Value,
    read_only: &[&str],
    free: &[&str],
) -> Vec<FieldError> {
    fn walk(
        doc: &Value,
        patch: &Value,
        prefix: &str,
        read_only: &[&str],
        free: &[&str],
        out: &mut Vec<FieldError>,
    ) {
        let (Value::Object(d), Value::Object(p)) = (doc, patch) else {
            return;
        };
        for (k, v) in p {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            let inner = match d.get(k) {
                Some(Value::Null) if prefix.is_empty() && k == "address" => Some(&*EMPTY_ADDRESS),
                inner => inner,
            };
            match inner {
                None if v.is_null() && !(prefix.is_empty() && read_only.contains(&k.as_str())) => {
                    out.push(FieldError::new(
                        &path,
                        "unknown_field",
                        "is not a known field",
                    ));
                }
                Some(inner) if !free.contains(&path.as_str()) => {
                    walk(inner, v, &path, read_only, free, out);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(doc, patch, "", read_only, free, &mut out);
    out
}

/// RFC 7396 JSON merge patch: `null` removes, objects merge key by key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_obj) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch_obj {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The point read's document (`crate::document`, keys as literal bytes) is byte for byte
    /// the derived one, for a client with every field set (strings that need escaping, control
    /// characters, amounts of each scale, metadata) and for a minimal one (every optional field
    /// null, no address); and the view of a client turns back into the same client.
    #[test]
    fn a_client_document_is_the_derived_serialization_byte_for_byte() {
        let rich = ClientData::from_json(&json!({
            "kind": "organization", "name": "Ångström \"Bygg\" AB\\", "legal_name": "Legal Ltd",
            "first_name": "Ann", "last_name": "Berg", "org_number": "556677-8899",
            "tax_id": "SE556677889901", "external_id": "ext/1", "account_code": "acc-1",
            "status": "inactive", "archived": true, "silenced": true, "invoice_reminders": true,
            "show_location_on_invoice": true, "partner_type": "construction",
            "email": "a@example.com", "billing_email": "b@example.com", "phone": "+46 8 123",
            "mobile": "+46 70 1", "home_phone": "+46 8 2", "fax": "+46 8 3",
            "website": "https://example.com/a?b=c", "image_url": "https://example.com/i.png",
            "notes": "line one\nline two\t</script>\u{1}\u{1f}\u{7f}\r\u{c}\u{8} \u{2028}",
            "address": {
                "street": "Storgatan", "street_number": "1", "apartment": "1102",
                "corner": "Kungsgatan", "line2": "c/o A", "line3": "Box 1", "city": "Malmö",
                "region": "Skåne", "postal_code": "211 20", "country": "SE",
                "latitude": 55.605, "longitude": 13.0038
            },
            "credit": {
                "limit": 50000.5, "used": 0.1234, "currency": "SEK", "payment_terms_days": 30,
                "rating": "AA", "creditworthiness": "good", "fico": 720,
                "total_income": 123456789.0123, "total_debt_payments": 0,
                "first_time_buyer": true, "frame_contract": false, "self_insurance": true,
                "pricing": "list", "custom_price_id": "p-1"
            },
            "owner_id": "o-1", "salesperson_id": "s-1", "case_manager_id": "c-1",
            "referred_by_id": "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b", "source": "web",
            "structure_id": "u-1", "metadata": {"b": "2", "a": "\"1\"", "ö": "", "c\\d": "\n"}
        }))
        .expect("valid");
        let minimal = ClientData::from_json(&json!({"name": "Min AB"})).expect("valid");
        for data in [rich, minimal] {
            let mut client = Client {
                id: Uuid::now_v7(),
                number: 42,
                data,
                associated_accounts: 3,
                version: 7,
                created_at: Timestamp::parse("2026-11-30T07:00:00.123Z").expect("time"),
                updated_at: Timestamp::now(),
            };
            client.data.credit.compute_available();
            let derived = serde_json::to_vec(&client).expect("derived");
            let document = crate::document::ClientJson::of(&client);
            assert_eq!(document.version, client.version);
            assert_eq!(
                String::from_utf8(document.json).expect("utf-8"),
                String::from_utf8(derived).expect("utf-8")
            );
            let view = crate::document::ClientView::of(&client);
            assert_eq!(view.into_client(), client);
        }
    }

    fn fields(r: Result<ClientData, Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn minimal_organization_gets_every_default() {
        let c = ClientData::from_json(&json!({"name": "  Acme AB "})).expect("valid");
        assert_eq!(c.name, "Acme AB");
        assert_eq!(c.kind, ClientKind::Organization);
        assert_eq!(c.status, ClientStatus::Active);
        assert!(!c.archived && c.metadata.is_empty() && c.address.is_none());
        assert_eq!(c.credit, Credit::default());
    }

    #[test]
    fn an_address_without_any_field_is_none() {
        for address in [
            json!(null),
            json!({}),
            json!({"city": null, "latitude": null}),
        ] {
            let c =
                ClientData::from_json(&json!({"name": "A", "address": address})).expect("valid");
            assert_eq!(c.address, None, "{address}");
        }
        let c = ClientData::from_json(&json!({"name": "A", "address": {"city": "Lund"}}))
            .expect("valid");
        assert_eq!(
            c.address.as_ref().and_then(|a| a.city.as_deref()),
            Some("Lund")
        );
        let patched = c
            .apply_patch(&json!({"address": {"city": null}}))
            .expect("valid");
        assert_eq!(patched.address, None);
    }

    /// Without an address, a patch that removes a field of one is checked against an empty
    /// address: a known field is a removal of nothing, an unknown one is refused.
    #[test]
    fn removals_inside_a_missing_address_are_checked_like_any_other() {
        let c = ClientData::from_json(&json!({"name": "A"})).expect("valid");
        assert_eq!(c.address, None);
        let patched = c
            .apply_patch(&json!({"address": {"city": null}}))
            .expect("a known field");
        assert_eq!(patched.address, None);
        for unknown in ["", "town"] {
            let e = c
                .apply_patch(&json!({"address": {unknown: null}}))
                .expect_err("an unknown field");
            assert_eq!(e[0].field, format!("address.{unknown}"));
            assert_eq!(e[0].code, "unknown_field");
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_says_what_it_is() {
        let e = ClientData::from_json(&json!([1, 2])).expect_err("not an object");
        assert_eq!(e[0].field, "body");
        assert_eq!(e[0].message, "must be a JSON object, not an array");
    }

    #[test]
    fn person_name_defaults_to_first_and_last() {
        let c = ClientData::from_json(
            &json!({"kind": "person", "first_name": "Anna", "last_name": "Berg"}),
        )
        .expect("valid");
        assert_eq!(c.name, "Anna Berg");
        let e = fields(ClientData::from_json(
            &json!({"kind": "person", "first_name": "Anna"}),
        ));
        assert_eq!(e, vec![("last_name".into(), "required".into())]);
    }

    #[test]
    fn every_problem_is_reported_with_its_dotted_path() {
        let e = fields(ClientData::from_json(&json!({
            "name": 5, "bogus": 1, "address": {"country": "XX", "latitude": 91},
            "credit": {"limit": 10}, "metadata": {"k": 1}
        })));
        assert!(e.contains(&("name".into(), "invalid_type".into())));
        assert!(e.contains(&("bogus".into(), "unknown_field".into())));
        assert!(e.contains(&("address.country".into(), "invalid_format".into())));
        assert!(e.contains(&("address.latitude".into(), "out_of_range".into())));
        assert!(e.contains(&("credit.currency".into(), "required".into())));
        assert!(e.contains(&("metadata.k".into(), "invalid_type".into())));
    }

    #[test]
    fn a_negative_zero_coordinate_is_read_as_zero() {
        let c = ClientData::from_json(
            &json!({"name": "A", "address": {"latitude": -0.0, "longitude": -0.0}}),
        )
        .expect("valid");
        let a = c.address.expect("address");
        for v in [a.latitude, a.longitude] {
            let v = v.expect("a coordinate");
            assert!(v == 0.0 && v.is_sign_positive(), "{v:?}");
        }
    }

    #[test]
    fn available_is_computed_and_read_only() {
        let c = ClientData::from_json(&json!({"name": "A", "credit": {"limit": 100.5, "used": 20, "currency": "eur", "available": 1}}))
            .expect("valid");
        assert_eq!(
            c.credit.available.map(|d| d.to_string()),
            Some("80.50".into())
        );
        assert_eq!(
            c.credit.currency.map(|c| c.into_inner()),
            Some("EUR".into())
        );
    }

    fn cur(s: &str) -> CurrencyCode {
        CurrencyCode::parse(s).expect("currency")
    }

    #[test]
    fn an_amount_without_a_currency_takes_the_given_one() {
        for amount in CREDIT_AMOUNTS {
            let mut doc = json!({"name": "A", "credit": {amount: 10, "currency": null}});
            assert!(fill_credit_currency(&mut doc, &cur("SEK")), "{amount}");
            assert_eq!(doc["credit"]["currency"], "SEK");
            assert!(ClientData::from_json(&doc).is_ok(), "{amount}");
        }
        let mut doc = json!({"name": "A", "credit": {"used": 1, "rating": "AA"}});
        assert!(fill_credit_currency(&mut doc, &cur("NOK")));
        assert_eq!(doc["credit"]["currency"], "NOK");
    }

    #[test]
    fn a_given_currency_no_amount_or_no_credit_is_left_alone() {
        for doc in [
            json!({"name": "A", "credit": {"limit": 10, "currency": "USD"}}),
            json!({"name": "A", "credit": {"limit": null, "rating": "AA"}}),
            json!({"name": "A", "credit": {}}),
            json!({"name": "A", "credit": null}),
            json!({"name": "A", "credit": "x"}),
            json!({"name": "A"}),
            json!([1]),
        ] {
            let mut filled = doc.clone();
            assert!(!fill_credit_currency(&mut filled, &cur("SEK")), "{doc}");
            assert_eq!(filled, doc);
        }
    }

    #[test]
    fn a_patch_keeps_the_stored_currency_and_fills_in_only_a_missing_one() {
        let stored =
            ClientData::from_json(&json!({"name": "A", "credit": {"limit": 5, "currency": "USD"}}))
                .expect("valid");
        let patch = json!({"credit": {"limit": 20, "used": 3}});
        let c = stored
            .apply_patch_filling(&patch, Some(&cur("SEK")))
            .expect("valid");
        assert_eq!(c.credit.currency, Some(cur("USD")));
        assert_eq!(c.credit.limit.map(|m| m.to_string()), Some("20.00".into()));
        let bare = ClientData::from_json(&json!({"name": "A"})).expect("valid");
        let c = bare
            .apply_patch_filling(&patch, Some(&cur("SEK")))
            .expect("valid");
        assert_eq!(c.credit.currency, Some(cur("SEK")));
        // Without the rule (`/v1`), the amount still needs its currency.
        let e = fields(bare.apply_patch(&patch));
        assert_eq!(e, vec![("credit.currency".into(), "required".into())]);
        assert_eq!(
            bare.apply_patch_filling(&patch, None),
            bare.apply_patch(&patch)
        );
    }

    #[test]
    fn a_patch_that_removes_an_unknown_field_is_refused() {
        let c =
            ClientData::from_json(&json!({"name": "A", "metadata": {"x": "y"}})).expect("valid");
        let fields = |patch: Value| {
            c.apply_patch(&patch)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(json!({"": null})), vec![""]);
        assert_eq!(
            fields(json!({"credit": {"colour": null}})),
            vec!["credit.colour"]
        );
        assert!(fields(json!({"metadata": {"gone": null}, "id": null, "email": null})).is_empty());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn data_round_trips_through_its_document_form() {
        let c = ClientData::from_json(&json!({"name": "A", "email": "a@b.se", "credit": {"limit": 10.25, "currency": "SEK"}, "metadata": {"x": "y"}}))
            .expect("valid");
        assert_eq!(ClientData::from_json(&c.to_json()), Ok(c));
    }
}
