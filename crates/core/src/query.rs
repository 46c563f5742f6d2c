//! The parsed form of a list request. The HTTP layer builds it; the store compiles it to SQL.
//!
//! The allow-list of fields a list can filter, sort and select lives here, in one place: each
//! field's public path (`credit.limit`), its type, which decides how literals are read and
//! compared, and whether it can be null. Where a field is stored is the store's business: it
//! derives its columns from these paths.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::enums::{ClientKind, ClientStatus, Creditworthiness, PartnerType};
use crate::filter::Filter;

/// Which archived state a list includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchivedFilter {
    #[default]
    Exclude,
    Only,
    All,
}

/// How a field's values are written in queries and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text; compared as text (binary order).
    Text,
    /// One of a closed set of `snake_case` values.
    Enum(&'static [&'static str]),
    /// ISO 3166-1 alpha-2, stored upper-cased.
    Country,
    /// ISO 4217, stored upper-cased.
    Currency,
    /// A UUID, stored as lower-case hyphenated text.
    Uuid,
    Int,
    /// Exact money; compared and sorted as an integer in units of 10⁻⁴ (its literals too).
    Money,
    Float,
    /// Stored as 0/1.
    Bool,
    /// Stored as fixed-width RFC 3339 text `YYYY-MM-DDTHH:MM:SS.mmmZ`, which sorts in time order.
    Timestamp,
}

impl FieldType {
    /// Whether `contains`/`startswith`/`endswith` apply.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            Self::Text | Self::Enum(_) | Self::Country | Self::Currency | Self::Uuid
        )
    }

    /// Whether `gt ge lt le` apply.
    pub fn is_ordered(self) -> bool {
        !matches!(self, Self::Bool)
    }

    /// How a value of this type is described in error messages.
    pub fn describe(self) -> String {
        match self {
            Self::Text | Self::Uuid => "a quoted string".into(),
            Self::Enum(values) => format!("one of {}", values.join(", ")),
            Self::Country => "a quoted ISO 3166-1 alpha-2 code".into(),
            Self::Currency => "a quoted ISO 4217 code".into(),
            Self::Int => "an integer".into(),
            Self::Money => "a number with at most 4 fraction digits".into(),
            Self::Float => "a number".into(),
            Self::Bool => "true or false".into(),
            Self::Timestamp => "an RFC 3339 timestamp or a date".into(),
        }
    }
}

/// A field a list can filter and sort on.
#[derive(Debug, PartialEq)]
pub struct Field {
    /// The public dotted path, e.g. `credit.limit`.
    pub path: &'static str,
    pub ty: FieldType,
    pub nullable: bool,
}

const fn f(path: &'static str, ty: FieldType, nullable: bool) -> Field {
    Field { path, ty, nullable }
}

use FieldType as T;

/// Every scalar field of a client, in document order.
pub static CLIENT_FIELDS: &[Field] = &[
    f("id", T::Uuid, false),
    f("number", T::Int, false),
    f("kind", T::Enum(ClientKind::ALL), false),
    f("name", T::Text, false),
    f("legal_name", T::Text, true),
    f("first_name", T::Text, true),
    f("last_name", T::Text, true),
    f("org_number", T::Text, true),
    f("tax_id", T::Text, true),
    f("external_id", T::Text, true),
    f("account_code", T::Text, true),
    f("status", T::Enum(ClientStatus::ALL), false),
    f("archived", T::Bool, false),
    f("silenced", T::Bool, false),
    f("invoice_reminders", T::Bool, false),
    f("show_location_on_invoice", T::Bool, false),
    f("partner_type", T::Enum(PartnerType::ALL), true),
    f("email", T::Text, true),
    f("billing_email", T::Text, true),
    f("phone", T::Text, true),
    f("mobile", T::Text, true),
    f("home_phone", T::Text, true),
    f("fax", T::Text, true),
    f("website", T::Text, true),
    f("image_url", T::Text, true),
    f("notes", T::Text, true),
    f("address.street", T::Text, true),
    f("address.street_number", T::Text, true),
    f("address.apartment", T::Text, true),
    f("address.corner", T::Text, true),
    f("address.line2", T::Text, true),
    f("address.line3", T::Text, true),
    f("address.city", T::Text, true),
    f("address.region", T::Text, true),
    f("address.postal_code", T::Text, true),
    f("address.country", T::Country, true),
    f("address.latitude", T::Float, true),
    f("address.longitude", T::Float, true),
    f("credit.limit", T::Money, true),
    f("credit.used", T::Money, true),
    f("credit.currency", T::Currency, true),
    f("credit.payment_terms_days", T::Int, true),
    f("credit.rating", T::Text, true),
    f(
        "credit.creditworthiness",
        T::Enum(Creditworthiness::ALL),
        true,
    ),
    f("credit.fico", T::Int, true),
    f("credit.total_income", T::Money, true),
    f("credit.total_debt_payments", T::Money, true),
    f("credit.first_time_buyer", T::Bool, true),
    f("credit.frame_contract", T::Bool, true),
    f("credit.self_insurance", T::Bool, true),
    f("credit.pricing", T::Text, true),
    f("credit.custom_price_id", T::Text, true),
    f("owner_id", T::Text, true),
    f("salesperson_id", T::Text, true),
    f("case_manager_id", T::Text, true),
    f("referred_by_id", T::Uuid, true),
    f("source", T::Text, true),
    f("structure_id", T::Text, true),
    f("associated_accounts", T::Int, false),
    f("version", T::Int, false),
    f("created_at", T::Timestamp, false),
    f("updated_at", T::Timestamp, false),
];

/// The creation sequence: a unique integer per row whose order is exactly `(created_at, id)`
/// order (the store assigns it so). Sorting by `created_at` with ties by `id` is sorting by it,
/// which gives the default order and its cursors a single, unique, indexed integer key. It is not
/// a field of the document (the store keeps it apart), so only the store and [`ClientQuery::order`]
/// name it.
pub static CREATION_SEQ: Field = f("created_at", T::Int, false);

/// Object-valued fields that `fields` may name as a whole.
pub const CLIENT_OBJECT_FIELDS: &[&str] = &["address", "credit", "metadata"];
/// Read-only computed fields that `fields` may name (not filterable or sortable).
pub const CLIENT_COMPUTED_FIELDS: &[&str] = &["credit.available"];

/// Resolves the list parameters' short names `country`, `currency` and `creditworthiness`
/// (API.md, "Listing") to their full paths, for `filter`, `sort` and `fields` alike.
pub fn canonical_path(name: &str) -> &str {
    match name {
        "country" => "address.country",
        "currency" => "credit.currency",
        "creditworthiness" => "credit.creditworthiness",
        other => other,
    }
}

/// The scalar client field with this (possibly short) name.
pub fn client_field(name: &str) -> Option<&'static Field> {
    let path = canonical_path(name);
    CLIENT_FIELDS.iter().find(|f| f.path == path)
}

/// Whether `fields` may name this (canonical) path.
pub fn is_selectable(path: &str) -> bool {
    client_field(path).is_some()
        || CLIENT_OBJECT_FIELDS.contains(&path)
        || CLIENT_COMPUTED_FIELDS.contains(&path)
}

/// A literal value already in its stored form (money as 10⁻⁴ units, timestamps as fixed-width
/// text, booleans as booleans, codes upper-cased).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn to_json(&self) -> Value {
        match self {
            Self::Text(s) => Value::String(s.clone()),
            Self::Int(n) => Value::from(*n),
            Self::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Self::Bool(b) => Value::Bool(*b),
        }
    }

    /// Reads a cursor value of a field of type `ty`; `None` when it does not fit the type.
    fn from_json(v: &Value, ty: FieldType) -> Option<Self> {
        match ty {
            T::Int | T::Money => v.as_i64().map(Self::Int),
            T::Float => v.as_f64().map(Self::Float),
            T::Bool => v.as_bool().map(Self::Bool),
            _ => v.as_str().map(|s| Self::Text(s.to_string())),
        }
    }
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortKey {
    pub field: &'static Field,
    pub desc: bool,
}

/// A keyset position: the values of every order key (see [`ClientQuery::order`]) of the last row
/// already seen; `None` stands for SQL NULL.
pub type KeysetPosition = Vec<Option<Scalar>>;

/// The largest page of clients the store reads: seed 003's `$top` (1000). Each surface keeps
/// its own, smaller bound where it has one (`/v1` 1..=100, seed 002's `per_page` 1..=500).
pub const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct ClientQuery {
    /// 1..=[`MAX_PAGE_SIZE`]; the store refuses anything else.
    pub limit: u32,
    pub offset: u64,
    pub archived: ArchivedFilter,
    /// Whether to compute the total count of matching rows.
    pub count: bool,
    /// Search words (see [`crate::search::query_terms`]); every one must prefix-match.
    pub search: Vec<String>,
    /// Every filter (parameters and the `filter` expression), all of which must hold.
    pub filters: Vec<Filter>,
    /// The requested order, without the `id` tie-breaker; default `-created_at`.
    pub sort: Vec<SortKey>,
    /// Canonical paths to return besides `id`; `None` returns every field.
    pub fields: Option<Vec<String>>,
    /// Sub-resources to embed in each listed client.
    pub expand: Vec<crate::sub::SubKind>,
    /// Continue after this position (cursor pagination).
    pub after: Option<KeysetPosition>,
}

fn created_at() -> &'static Field {
    // CLIENT_FIELDS always holds created_at; the fallback only keeps this total.
    client_field("created_at").unwrap_or(&CREATION_SEQ)
}

impl Default for ClientQuery {
    fn default() -> Self {
        Self {
            limit: 25,
            offset: 0,
            archived: ArchivedFilter::Exclude,
            count: true,
            search: Vec::new(),
            filters: Vec::new(),
            sort: vec![SortKey {
                field: created_at(),
                desc: true,
            }],
            fields: None,
            expand: Vec::new(),
            after: None,
        }
    }
}

/// Fields whose values are unique within a tenant: nothing after them can break a tie.
fn is_unique(f: &Field) -> bool {
    matches!(f.path, "id" | "number") || std::ptr::eq(f, &CREATION_SEQ)
}

impl ClientQuery {
    /// The complete, total order of the list: the requested keys, then `id` (in the direction of
    /// the last key) unless a unique key already decides every tie. A trailing `created_at`
    /// becomes the creation sequence, which orders exactly like `(created_at, id)`.
    pub fn order(&self) -> Vec<SortKey> {
        let mut out: Vec<SortKey> = Vec::new();
        let n = self.sort.len();
        for (i, k) in self.sort.iter().enumerate() {
            let key = if k.field.path == "created_at" && i + 1 == n {
                SortKey {
                    field: &CREATION_SEQ,
                    desc: k.desc,
                }
            } else {
                *k
            };
            out.push(key);
            if is_unique(key.field) {
                return out;
            }
        }
        let desc = out.last().is_some_and(|k| k.desc);
        if let Some(id) = client_field("id") {
            out.push(SortKey { field: id, desc });
        }
        out
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` when counting was skipped.
    pub total: Option<u64>,
    /// The keyset position of the last item, when more rows follow it.
    pub next: Option<KeysetPosition>,
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorError(pub &'static str);

/// Encodes a cursor: the position plus a fingerprint of the filters and sort it belongs to.
pub fn encode_cursor(fingerprint: u64, position: &KeysetPosition) -> String {
    let keys: Vec<Value> = position
        .iter()
        .map(|v| v.as_ref().map_or(Value::Null, Scalar::to_json))
        .collect();
    let doc = serde_json::json!({ "f": format!("{fingerprint:016x}"), "k": keys });
    URL_SAFE_NO_PAD.encode(doc.to_string())
}

/// Decodes a cursor made by [`encode_cursor`] for the same fingerprint and order.
pub fn decode_cursor(
    token: &str,
    fingerprint: u64,
    order: &[SortKey],
) -> Result<KeysetPosition, CursorError> {
    const BAD: CursorError = CursorError("is not a cursor issued by this API");
    if token.len() > 4096 {
        return Err(BAD);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| BAD)?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| BAD)?;
    let fp = doc.get("f").and_then(Value::as_str).ok_or(BAD)?;
    let keys = doc.get("k").and_then(Value::as_array).ok_or(BAD)?;
    if fp != format!("{fingerprint:016x}") || keys.len() != order.len() {
        return Err(CursorError(
            "does not fit this query: send the same filters, search and sort as the first page",
        ));
    }
    keys.iter()
        .zip(order)
        .map(|(v, k)| {
            if v.is_null() {
                // Only nullable keys can hold NULL; the last key (id or a unique key) never does.
                return k.field.nullable.then_some(None).ok_or(BAD);
            }
            Scalar::from_json(v, k.field.ty).map(Some).ok_or(BAD)
        })
        .collect()
}

/// A stable 64-bit FNV-1a hash, used to tie a cursor to the query that issued it.
pub fn fingerprint(parts: &[(&str, &str)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in parts {
        for b in k.bytes().chain([0]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, desc: bool) -> SortKey {
        SortKey {
            field: client_field(path).expect("field"),
            desc,
        }
    }

    #[test]
    fn short_names_resolve_to_their_full_paths() {
        assert_eq!(
            client_field("country").map(|f| f.path),
            Some("address.country")
        );
        assert_eq!(
            client_field("currency").map(|f| f.path),
            Some("credit.currency")
        );
        assert_eq!(
            client_field("credit.limit").map(|f| f.ty),
            Some(FieldType::Money)
        );
        assert!(client_field("address").is_none());
        assert!(is_selectable("address") && is_selectable("credit.available"));
    }

    #[test]
    fn order_ends_with_a_unique_key() {
        let q = ClientQuery::default();
        assert_eq!(q.order().len(), 1);
        assert!(std::ptr::eq(q.order()[0].field, &CREATION_SEQ));
        let q = ClientQuery {
            sort: vec![key("credit.limit", true), key("name", false)],
            ..Default::default()
        };
        let o: Vec<(&str, bool)> = q.order().iter().map(|k| (k.field.path, k.desc)).collect();
        assert_eq!(
            o,
            vec![("credit.limit", true), ("name", false), ("id", false)]
        );
        let q = ClientQuery {
            sort: vec![key("created_at", false), key("name", false)],
            ..Default::default()
        };
        assert_eq!(q.order()[0].field.ty, FieldType::Timestamp);
        let q = ClientQuery {
            sort: vec![key("number", false), key("name", false)],
            ..Default::default()
        };
        assert_eq!(q.order().len(), 1);
    }

    #[test]
    fn cursors_round_trip_and_refuse_other_queries() {
        let order = ClientQuery {
            sort: vec![key("credit.limit", true)],
            ..Default::default()
        }
        .order();
        let pos = vec![None, Some(Scalar::Text("0190-x".into()))];
        let c = encode_cursor(7, &pos);
        assert_eq!(decode_cursor(&c, 7, &order), Ok(pos));
        assert!(decode_cursor(&c, 8, &order).is_err());
        assert!(decode_cursor("!!", 7, &order).is_err());
        let wrong = encode_cursor(7, &vec![Some(Scalar::Text("x".into())), None]);
        assert!(decode_cursor(&wrong, 7, &order).is_err());
    }
}
