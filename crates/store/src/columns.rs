//! How a client maps to table columns. Shared by every backend: the columns are derived from
//! the field list (`clientele_core::query::CLIENT_FIELDS`) by one rule ([`column()`]), the values
//! are produced here once, in that order, and decoded in the same order.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use std::borrow::Cow;

use clientele_core::client::{Address, ClientData, Credit, CLIENT_READ_ONLY};
use clientele_core::document::{AddressView, Assigned, ClientJson, ClientView, CreditView};
use clientele_core::query::{Field, FieldType, CLIENT_FIELDS, CREATION_SEQ};
use clientele_core::store::StoreResult;
use clientele_core::types::{Email, Invalid, Money, Phone, Timestamp};
use clientele_core::{Client, ClientKind, ClientStatus, Creditworthiness, PartnerType, StoreError};
use sea_query::Value;
use uuid::Uuid;

/// The column that stores a listed field, by the one rule from paths to columns: the path with
/// `.` for `_` (`address.country` is `address_country`). Money is compared and sorted through its
/// integer twin, the key of `clientele_core::types::money_key` (units of 10⁻⁴ less 5 × 10¹⁸;
/// `credit_limit_e4`, beside the exact text in `credit_limit`); the creation sequence is `rid`.
pub fn column(f: &Field) -> String {
    if std::ptr::eq(f, &CREATION_SEQ) {
        return "rid".into();
    }
    let name = f.path.replace('.', "_");
    match f.ty {
        FieldType::Money => format!("{name}_e4"),
        _ => name,
    }
}

/// `has_address` then the column of every address field, as in every table that holds an
/// address (clients, locations).
static ADDRESS_COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let fields = CLIENT_FIELDS
        .iter()
        .filter(|f| f.path.starts_with("address."));
    std::iter::once("has_address".to_string())
        .chain(fields.map(column))
        .collect()
});

/// The columns of a client's writable data, in the order of the field list: each field's column
/// (money as its exact text, then its twin), the address as [`ADDRESS_COLUMNS`], then
/// `metadata` (JSON). [`data_values`] writes and [`decode_client`] reads them in this order.
static DATA_COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut out: Vec<String> = Vec::new();
    for f in CLIENT_FIELDS
        .iter()
        .filter(|f| !CLIENT_READ_ONLY.contains(&f.path))
    {
        if f.path.starts_with("address.") {
            if !out.contains(&ADDRESS_COLUMNS[0]) {
                out.extend(ADDRESS_COLUMNS.iter().cloned());
            }
        } else if f.ty == FieldType::Money {
            out.extend([f.path.replace('.', "_"), column(f)]);
        } else {
            out.push(column(f));
        }
    }
    out.push("metadata".into());
    out
});

/// The columns of [`data_values`].
pub fn data_columns() -> impl Iterator<Item = &'static str> {
    DATA_COLUMNS.iter().map(String::as_str)
}

/// Every column of `clients` that a read returns, in decode order: the server-assigned fields
/// (`CLIENT_READ_ONLY`), then [`data_columns`].
pub fn select_columns() -> impl Iterator<Item = &'static str> {
    CLIENT_READ_ONLY.iter().copied().chain(data_columns())
}

/// [`select_columns`] qualified by `clients` and quoted as both backends' query builders write
/// identifiers (`"clients"."id", "clients"."number", ...`), written once: a list statement takes
/// it as one expression instead of rendering some 75 column names again for every request.
pub fn qualified_select_text() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        select_columns()
            .map(|c| format!("\"clients\".\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    });
    &TEXT
}

fn s<T: ToString>(v: &Option<T>) -> Value {
    Value::String(v.as_ref().map(|x| Box::new(x.to_string())))
}

fn money(v: &Option<Money>) -> [Value; 2] {
    [s(v), Value::BigInt(v.map(|m| m.key()))]
}

/// The values of the address columns: `has_address`, then each address field.
pub fn address_values(address: &Option<Address>) -> [Value; 13] {
    let a = address.clone().unwrap_or_default();
    [
        address.is_some().into(),
        s(&a.street),
        s(&a.street_number),
        s(&a.apartment),
        s(&a.corner),
        s(&a.line2),
        s(&a.line3),
        s(&a.city),
        s(&a.region),
        s(&a.postal_code),
        s(&a.country),
        Value::Double(a.latitude),
        Value::Double(a.longitude),
    ]
}

/// Decodes the address columns ([`ADDRESS_COLUMNS`]).
pub fn decode_address(r: &mut dyn RowSource) -> Result<Option<Address>, StoreError> {
    let mut out = None;
    r.borrowed(&mut |c| {
        out = Some(decode_address_view(c)?.map(|a| a.to_address()));
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Other("no address decoded".into()))
}

fn decode_address_view<'r>(r: &mut dyn Columns<'r>) -> StoreResult<Option<AddressView<'r>>> {
    let has_address = req(r.boolean()?, "has_address")?;
    let address = AddressView {
        street: r.text()?,
        street_number: r.text()?,
        apartment: r.text()?,
        corner: r.text()?,
        line2: r.text()?,
        line3: r.text()?,
        city: r.text()?,
        region: r.text()?,
        postal_code: r.text()?,
        country: r.text()?,
        latitude: r.float()?,
        longitude: r.float()?,
    };
    Ok(has_address.then_some(address))
}

/// The values of [`data_columns`], in the same order.
pub fn data_values(d: &ClientData) -> Vec<Value> {
    let [has_address, street, street_number, apartment, corner, line2, line3, city, region, postal_code, country, latitude, longitude] =
        address_values(&d.address);
    let c = &d.credit;
    let [limit, limit_e4] = money(&c.limit);
    let [used, used_e4] = money(&c.used);
    let [income, income_e4] = money(&c.total_income);
    let [debt, debt_e4] = money(&c.total_debt_payments);
    let metadata = serde_json::to_string(&d.metadata).unwrap_or_else(|_| "{}".into());
    vec![
        d.kind.as_str().into(),
        d.name.clone().into(),
        s(&d.legal_name),
        s(&d.first_name),
        s(&d.last_name),
        s(&d.org_number),
        s(&d.tax_id),
        s(&d.external_id),
        s(&d.account_code),
        d.status.as_str().into(),
        d.archived.into(),
        d.silenced.into(),
        d.invoice_reminders.into(),
        d.show_location_on_invoice.into(),
        s(&d.partner_type.map(|p| p.as_str())),
        s(&d.email),
        s(&d.billing_email),
        s(&d.phone),
        s(&d.mobile),
        s(&d.home_phone),
        s(&d.fax),
        s(&d.website),
        s(&d.image_url),
        s(&d.notes),
        has_address,
        street,
        street_number,
        apartment,
        corner,
        line2,
        line3,
        city,
        region,
        postal_code,
        country,
        latitude,
        longitude,
        limit,
        limit_e4,
        used,
        used_e4,
        s(&c.currency),
        Value::Int(c.payment_terms_days),
        s(&c.rating),
        s(&c.creditworthiness.map(|x| x.as_str())),
        Value::Int(c.fico),
        income,
        income_e4,
        debt,
        debt_e4,
        Value::Bool(c.first_time_buyer),
        Value::Bool(c.frame_contract),
        Value::Bool(c.self_insurance),
        s(&c.pricing),
        s(&c.custom_price_id),
        s(&d.owner_id),
        s(&d.salesperson_id),
        s(&d.case_manager_id),
        s(&d.referred_by_id),
        s(&d.source),
        s(&d.structure_id),
        metadata.into(),
    ]
}

/// A source of column values in select order; each backend implements it over its row type.
pub trait RowSource {
    fn text(&mut self) -> Result<Option<String>, StoreError>;
    fn int(&mut self) -> Result<Option<i64>, StoreError>;
    fn float(&mut self) -> Result<Option<f64>, StoreError>;
    fn boolean(&mut self) -> Result<Option<bool>, StoreError>;
    fn bytes(&mut self) -> Result<Option<Vec<u8>>, StoreError>;
    /// Runs `f` over the same columns from the current one on, with text borrowed from the row
    /// (no `String` per column); the columns `f` reads are consumed.
    fn borrowed(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Columns<'_>) -> StoreResult<()>,
    ) -> StoreResult<()>;
}

/// A row's column values in select order, text borrowed from the row (`'r`).
pub trait Columns<'r> {
    fn text(&mut self) -> StoreResult<Option<&'r str>>;
    fn int(&mut self) -> StoreResult<Option<i64>>;
    fn float(&mut self) -> StoreResult<Option<f64>>;
    fn boolean(&mut self) -> StoreResult<Option<bool>>;
    /// Passes over a column without reading it.
    fn skip(&mut self);
}

fn corrupt(what: &str, e: Invalid) -> StoreError {
    StoreError::Other(format!("stored {what} is invalid: {}", e.message))
}

fn req<T>(v: Option<T>, what: &str) -> Result<T, StoreError> {
    v.ok_or_else(|| StoreError::Other(format!("stored {what} is null")))
}

// Stored e-mails, phones, URLs, country and currency codes were validated (and normalised) by
// their `parse` before they were written, so they are read back with `trusted`, not validated
// again on every read; timestamps are read by `Timestamp::parse_stored` (the stored form first).

fn parse_opt<T>(
    v: Option<&str>,
    what: &str,
    f: fn(&str) -> Result<T, Invalid>,
) -> Result<Option<T>, StoreError> {
    v.map(|s| f(s).map_err(|e| corrupt(what, e))).transpose()
}

fn uuid(s: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(s).map_err(|_| Invalid::new("invalid_format", "bad uuid"))
}

/// Decodes one row selected with [`select_columns`].
pub fn decode_client(r: &mut dyn RowSource) -> Result<Client, StoreError> {
    let mut out = None;
    r.borrowed(&mut |c| {
        out = Some(decode_client_view(c)?.into_client());
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Other("no client decoded".into()))
}

/// One row selected with [`select_columns`], as the client's JSON document (the point read's
/// answer), written straight from the row's values.
pub fn decode_client_json(r: &mut dyn RowSource) -> Result<ClientJson, StoreError> {
    let mut out = None;
    r.borrowed(&mut |c| {
        out = Some(decode_client_view(c)?.to_json());
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Other("no client decoded".into()))
}

/// The part of a new client's document that its data alone gives
/// ([`ClientView::write_fields`]), as a point read of the row that [`data_values`] writes for it
/// writes that part: `available` computed from the amounts, as a read computes it, and a
/// coordinate of `-0.0` as `0.0` (SQLite keeps a `REAL` that is a whole number as an integer,
/// which has no sign). With the values the store assigns around it (`Assigned::write_json`) it
/// is the document SQLite keeps of the new client (`client_docs`, migration 32).
pub fn new_client_fields(data: &ClientData) -> Vec<u8> {
    let mut view = ClientView::of_data(data, Assigned::none());
    let c = &mut view.credit;
    c.available = Credit::available_of(c.limit, c.used);
    if let Some(a) = &mut view.address {
        for f in [&mut a.latitude, &mut a.longitude].into_iter().flatten() {
            if *f == 0.0 {
                *f = 0.0;
            }
        }
    }
    let mut out = Vec::with_capacity(FIELDS_BYTES);
    view.write_fields(&mut out);
    out
}

/// Room for the fields of a document ([`new_client_fields`]): most fit.
const FIELDS_BYTES: usize = 1536;

/// The stored metadata (a JSON object of strings, as [`data_values`] writes it).
fn decode_metadata(text: &str) -> StoreResult<BTreeMap<String, String>> {
    if text == "{}" {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text)
        .map_err(|_| StoreError::Other("stored metadata is not a JSON object".into()))
}

/// The columns of [`select_columns`], in their order, as a borrowed view of the client: the one
/// decode of a client row ([`decode_client`], [`decode_client_json`]).
pub fn decode_client_view<'r>(r: &mut dyn Columns<'r>) -> StoreResult<ClientView<'r>> {
    let id = uuid(req(r.text()?, "id")?).map_err(|e| corrupt("id", e))?;
    let number = req(r.int()?, "number")?;
    let associated_accounts = req(r.int()?, "associated_accounts")?;
    let version = req(r.int()?, "version")?;
    let created_at = Timestamp::parse_stored(req(r.text()?, "created_at")?)
        .map_err(|e| corrupt("created_at", e))?;
    let updated_at = Timestamp::parse_stored(req(r.text()?, "updated_at")?)
        .map_err(|e| corrupt("updated_at", e))?;

    let kind = ClientKind::parse(req(r.text()?, "kind")?).map_err(|e| corrupt("kind", e))?;
    let name = req(r.text()?, "name")?;
    let legal_name = r.text()?;
    let first_name = r.text()?;
    let last_name = r.text()?;
    let org_number = r.text()?;
    let tax_id = r.text()?;
    let external_id = r.text()?;
    let account_code = r.text()?;
    let status =
        ClientStatus::parse(req(r.text()?, "status")?).map_err(|e| corrupt("status", e))?;
    let archived = req(r.boolean()?, "archived")?;
    let silenced = req(r.boolean()?, "silenced")?;
    let invoice_reminders = req(r.boolean()?, "invoice_reminders")?;
    let show_location_on_invoice = req(r.boolean()?, "show_location_on_invoice")?;
    let partner_type = parse_opt(r.text()?, "partner_type", PartnerType::parse)?;
    let email = r.text()?;
    let billing_email = r.text()?;
    let phone = r.text()?;
    let mobile = r.text()?;
    let home_phone = r.text()?;
    let fax = r.text()?;
    let website = r.text()?;
    let image_url = r.text()?;
    let notes = r.text()?;
    let address = decode_address_view(r)?;
    // An amount: its exact text, then its `_e4` twin (only used by queries).
    let mut money = |what: &str| -> StoreResult<Option<Money>> {
        let v = parse_opt(r.text()?, what, Money::parse)?;
        r.skip();
        Ok(v)
    };
    let limit = money("credit.limit")?;
    let used = money("credit.used")?;
    let currency = r.text()?;
    let payment_terms_days = r.int()?.map(|n| n as i32);
    let rating = r.text()?;
    let creditworthiness = parse_opt(
        r.text()?,
        "credit.creditworthiness",
        Creditworthiness::parse,
    )?;
    let fico = r.int()?.map(|n| n as i32);
    let mut money = |what: &str| -> StoreResult<Option<Money>> {
        let v = parse_opt(r.text()?, what, Money::parse)?;
        r.skip();
        Ok(v)
    };
    let total_income = money("credit.total_income")?;
    let total_debt_payments = money("credit.total_debt_payments")?;
    let credit = CreditView {
        limit,
        used,
        available: Credit::available_of(limit, used),
        currency,
        payment_terms_days,
        rating,
        creditworthiness,
        fico,
        total_income,
        total_debt_payments,
        first_time_buyer: r.boolean()?,
        frame_contract: r.boolean()?,
        self_insurance: r.boolean()?,
        pricing: r.text()?,
        custom_price_id: r.text()?,
    };
    let owner_id = r.text()?;
    let salesperson_id = r.text()?;
    let case_manager_id = r.text()?;
    let referred_by_id = parse_opt(r.text()?, "referred_by_id", uuid)?;
    let source = r.text()?;
    let structure_id = r.text()?;
    let metadata = decode_metadata(req(r.text()?, "metadata")?)?;

    Ok(ClientView {
        id,
        number,
        kind,
        name,
        legal_name,
        first_name,
        last_name,
        org_number,
        tax_id,
        external_id,
        account_code,
        status,
        archived,
        silenced,
        invoice_reminders,
        show_location_on_invoice,
        partner_type,
        email,
        billing_email,
        phone,
        mobile,
        home_phone,
        fax,
        website,
        image_url,
        notes,
        address,
        credit,
        owner_id,
        salesperson_id,
        case_manager_id,
        referred_by_id,
        source,
        structure_id,
        metadata: Cow::Owned(metadata),
        associated_accounts,
        version,
        created_at,
        updated_at,
    })
}

// ---- sub-resources -----------------------------------------------------------------------

use clientele_core::enums::ClientStatus as AccountStatus;
use clientele_core::sub::{
    AccountData, ContactPersonData, LocationData, SubData, SubKind, SubResource,
};

pub fn sub_table(kind: SubKind) -> &'static str {
    match kind {
        SubKind::ContactPerson => "contact_persons",
        SubKind::Location => "locations",
        SubKind::Account => "accounts",
    }
}

/// Server-assigned columns of every sub-resource table, read first.
pub const SUB_META_COLUMNS: [&str; 5] = ["id", "client_id", "version", "created_at", "updated_at"];

pub fn sub_data_columns(kind: SubKind) -> Vec<&'static str> {
    match kind {
        SubKind::ContactPerson => vec![
            "name",
            "job_title",
            "department",
            "email",
            "phone",
            "mobile",
            "is_main",
            "external_id",
        ],
        SubKind::Location => {
            let mut c = vec![
                "name",
                "is_primary",
                "billing_email",
                "phone_primary",
                "phone_secondary",
                "fax",
            ];
            c.extend(ADDRESS_COLUMNS.iter().map(String::as_str));
            c.push("notes");
            c
        }
        SubKind::Account => vec!["name", "external_code", "status"],
    }
}

/// Values in the order of [`sub_data_columns`].
pub fn sub_data_values(data: &SubData) -> Vec<Value> {
    match data {
        SubData::ContactPerson(c) => vec![
            c.name.clone().into(),
            s(&c.job_title),
            s(&c.department),
            s(&c.email),
            s(&c.phone),
            s(&c.mobile),
            c.is_main.into(),
            s(&c.external_id),
        ],
        SubData::Location(l) => {
            let mut v = vec![
                l.name.clone().into(),
                l.is_primary.into(),
                s(&l.billing_email),
                s(&l.phone_primary),
                s(&l.phone_secondary),
                s(&l.fax),
            ];
            v.extend(address_values(&l.address));
            v.push(s(&l.notes));
            v
        }
        SubData::Account(a) => vec![
            a.name.clone().into(),
            s(&a.external_code),
            a.status.as_str().into(),
        ],
    }
}

pub fn sub_select_columns(kind: SubKind) -> Vec<&'static str> {
    let mut c = SUB_META_COLUMNS.to_vec();
    c.extend(sub_data_columns(kind));
    c
}

/// Decodes one row selected with [`sub_select_columns`].
pub fn decode_sub(kind: SubKind, r: &mut dyn RowSource) -> Result<SubResource, StoreError> {
    let id = uuid(&req(r.text()?, "id")?).map_err(|e| corrupt("id", e))?;
    let client_id = uuid(&req(r.text()?, "client_id")?).map_err(|e| corrupt("client_id", e))?;
    let version = req(r.int()?, "version")?;
    let created_at = Timestamp::parse_stored(&req(r.text()?, "created_at")?)
        .map_err(|e| corrupt("created_at", e))?;
    let updated_at = Timestamp::parse_stored(&req(r.text()?, "updated_at")?)
        .map_err(|e| corrupt("updated_at", e))?;
    let name = req(r.text()?, "name")?;
    let data = match kind {
        SubKind::ContactPerson => SubData::ContactPerson(ContactPersonData {
            name,
            job_title: r.text()?,
            department: r.text()?,
            email: r.text()?.map(Email::trusted),
            phone: r.text()?.map(Phone::trusted),
            mobile: r.text()?.map(Phone::trusted),
            is_main: req(r.boolean()?, "is_main")?,
            external_id: r.text()?,
        }),
        SubKind::Location => SubData::Location(Box::new(LocationData {
            name,
            is_primary: req(r.boolean()?, "is_primary")?,
            billing_email: r.text()?.map(Email::trusted),
            phone_primary: r.text()?.map(Phone::trusted),
            phone_secondary: r.text()?.map(Phone::trusted),
            fax: r.text()?.map(Phone::trusted),
            address: decode_address(r)?,
            notes: r.text()?,
        })),
        SubKind::Account => SubData::Account(AccountData {
            name,
            external_code: r.text()?,
            status: AccountStatus::parse(&req(r.text()?, "status")?)
                .map_err(|e| corrupt("status", e))?,
        }),
    };
    Ok(SubResource {
        id,
        client_id,
        data,
        created_at,
        updated_at,
        version,
    })
}

#[cfg(test)]
mod tests {
    use clientele_core::query::client_field;
    use clientele_core::sub::{SubData, SubKind};
    use clientele_core::types::TenantName;
    use clientele_core::{Store, WriteCtx};
    use serde_json::{json, Value as Json};

    use super::*;

    #[test]
    fn columns_follow_the_paths_of_the_fields() {
        let col = |path| client_field(path).map(column);
        assert_eq!(col("country").as_deref(), Some("address_country"));
        assert_eq!(col("currency").as_deref(), Some("credit_currency"));
        assert_eq!(col("credit.limit").as_deref(), Some("credit_limit_e4"));
        assert_eq!(col("created_at").as_deref(), Some("created_at"));
        assert_eq!(column(&CREATION_SEQ), "rid");
        let data: Vec<&str> = data_columns().collect();
        let at = |c| data.iter().position(|d| *d == c);
        assert_eq!(at("has_address").map(|i| i + 1), at("address_street"));
        assert_eq!(at("credit_limit").map(|i| i + 1), at("credit_limit_e4"));
        assert_eq!(data.last(), Some(&"metadata"));
    }

    /// A client document with every field set, each to a value no other field has, so that two
    /// columns read in each other's place cannot go unnoticed.
    fn every_field(n: u32, referred_by: Uuid) -> Json {
        let even = n.is_multiple_of(2);
        json!({
            "kind": "organization", "name": format!("Name {n}"), "legal_name": format!("Legal {n}"),
            "first_name": format!("First {n}"), "last_name": format!("Last {n}"),
            "org_number": format!("556{n}-1"), "tax_id": format!("SE{n}01"),
            "external_id": format!("ext-{n}"), "account_code": format!("acc-{n}"),
            "status": "inactive", "archived": even, "silenced": !even,
            "invoice_reminders": even, "show_location_on_invoice": !even,
            "partner_type": "construction", "email": format!("e{n}@example.com"),
            "billing_email": format!("b{n}@example.com"), "phone": format!("+46 1{n}"),
            "mobile": format!("+46 2{n}"), "home_phone": format!("+46 3{n}"),
            "fax": format!("+46 4{n}"), "website": format!("https://w{n}.example.com"),
            "image_url": format!("https://i{n}.example.com/a.png"),
            "notes": format!("notes {n} \"q\" \\ \u{1}\n\t</script>"),
            "address": {
                "street": format!("street {n}"), "street_number": format!("{n}a"),
                "apartment": format!("apt {n}"), "corner": format!("corner {n}"),
                "line2": format!("line2 {n}"), "line3": format!("line3 {n}"),
                "city": format!("city {n}"), "region": format!("region {n}"),
                "postal_code": format!("1{n}"), "country": "SE",
                "latitude": 59.25 + f64::from(n), "longitude": 18.5 + f64::from(n)
            },
            "credit": {
                "limit": 1000 + n, "used": 100 + n, "currency": "SEK",
                "payment_terms_days": 30 + n, "rating": format!("A{n}"),
                "creditworthiness": "middle", "fico": 700 + n, "total_income": 5000 + n,
                "total_debt_payments": 50 + n, "first_time_buyer": even,
                "frame_contract": !even, "self_insurance": even,
                "pricing": format!("pricing {n}"), "custom_price_id": format!("price-{n}")
            },
            "owner_id": format!("owner-{n}"), "salesperson_id": format!("sales-{n}"),
            "case_manager_id": format!("case-{n}"), "referred_by_id": referred_by,
            "source": format!("source {n}"), "structure_id": format!("unit-{n}"),
            "metadata": {"k": format!("v{n}")}
        })
    }

    /// A new client's kept document (`client_docs`, SQLite) is byte for byte what a point read
    /// writes from its row: for every field set, none, text that needs escapes, amounts of each
    /// scale, coordinates of `-0.0` (stored without their sign), and for every way clients are
    /// inserted (one create, with sub-resources, a bulk load).
    #[tokio::test]
    async fn a_new_clients_kept_document_is_what_its_row_decodes_to() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("d.db");
        let store = crate::sqlite::SqliteStore::open(&path).expect("open");
        store.migrate().await.expect("migrate");
        let name = TenantName::parse("acme").expect("name");
        let tenant = store.create_tenant(&name).await.expect("tenant").id;
        let ctx = WriteCtx::new(tenant, "test");
        let data = |v: Json| ClientData::from_json(&v).expect("valid");
        let other = store
            .create_client(&ctx, data(json!({"name": "Referrer"})))
            .await
            .expect("referrer");
        let bodies = [
            every_field(1, other.id),
            every_field(2, other.id),
            json!({"name": "Minimal"}),
            json!({"kind": "person", "name": "Åsa Öberg \u{1f600} \"q\" \\ \u{7f}\u{1}",
                "first_name": "Åsa", "last_name": "Öberg", "address": {"city": "Malmö", "latitude": -0.0, "longitude": -0.0},
                "credit": {"limit": 0.5, "used": 12.3456, "currency": "EUR"},
                "metadata": {"ключ": "värde \"x\"\n", "a": ""}}),
            json!({"name": "Empty address", "address": {}, "credit": {"limit": 0, "used": 0, "currency": "NOK"}}),
        ];
        let mut ids = vec![other.id];
        for body in &bodies {
            ids.push(
                store
                    .create_client(&ctx, data(body.clone()))
                    .await
                    .expect("create")
                    .id,
            );
        }
        let with_subs = store
            .create_client_with_subs(
                &ctx,
                data(every_field(3, other.id)),
                vec![
                    SubData::from_json(SubKind::ContactPerson, &json!({"name": "Contact"}))
                        .expect("contact"),
                ],
            )
            .await
            .expect("with subs");
        ids.push(with_subs.client.id);
        let at = clientele_core::types::Timestamp::now();
        // Again, without the external ids (taken by the first ones).
        let rows: Vec<_> = bodies
            .iter()
            .map(|b| {
                let mut b = b.clone();
                b["external_id"] = Json::Null;
                (data(b), at)
            })
            .collect();
        store.insert_clients_bulk(&ctx, rows).await.expect("bulk");
        let all = rusqlite::Connection::open(&path).expect("sqlite");
        let listed: Vec<String> = all
            .prepare("SELECT id FROM clients ORDER BY rid")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("ids");
        assert_eq!(listed.len(), 2 * bodies.len() + 2);
        let ids: Vec<Uuid> = listed.iter().map(|s| s.parse().expect("uuid")).collect();
        let kept: i64 = all
            .query_row("SELECT count(*) FROM client_docs", [], |r| r.get(0))
            .expect("count");
        assert_eq!(kept, ids.len() as i64, "every new client has its document");

        let mut from_docs = Vec::new();
        for id in &ids {
            from_docs.push(store.get_client_json(tenant, *id).await.expect("document"));
        }
        all.execute("DELETE FROM client_docs", [])
            .expect("drop the documents");
        for (id, doc) in ids.iter().zip(&from_docs) {
            let from_row = store
                .get_client_json(tenant, *id)
                .await
                .expect("from the row");
            assert_eq!(
                String::from_utf8_lossy(&doc.json),
                String::from_utf8_lossy(&from_row.json)
            );
            assert_eq!(doc.version, from_row.version);
            let client = store.get_client(tenant, *id).await.expect("client");
            assert_eq!(
                String::from_utf8(from_row.json).expect("utf-8"),
                serde_json::to_string(&client).expect("derived")
            );
        }
        store.close().await.expect("close");
    }

    /// Clients without a document when a file is opened (made before migration 32, or changed
    /// since) get theirs while the writer is idle, the same the read answers without it.
    #[tokio::test]
    async fn the_idle_writer_writes_the_documents_of_earlier_clients() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("b.db");
        let store = crate::sqlite::SqliteStore::open(&path).expect("open");
        store.migrate().await.expect("migrate");
        let name = TenantName::parse("acme").expect("name");
        let tenant = store.create_tenant(&name).await.expect("tenant").id;
        let ctx = WriteCtx::new(tenant, "test");
        let mut ids = Vec::new();
        for n in 0..3 {
            let referrer = store
                .create_client(
                    &ctx,
                    ClientData::from_json(&json!({"name": "R"})).expect("ok"),
                )
                .await
                .expect("referrer");
            let data = ClientData::from_json(&every_field(n, referrer.id)).expect("valid");
            ids.push(store.create_client(&ctx, data).await.expect("create").id);
            ids.push(referrer.id);
        }
        let sql = rusqlite::Connection::open(&path).expect("sqlite");
        let count = |sql: &rusqlite::Connection| -> i64 {
            sql.query_row("SELECT count(*) FROM client_docs", [], |r| r.get(0))
                .expect("count")
        };
        // As migration 34 leaves a file: no documents, every client's wanted.
        sql.execute_batch(
            "DELETE FROM client_docs;
             INSERT INTO client_docs_wanted (rid) SELECT rid FROM clients;",
        )
        .expect("as after 34");
        sql.execute(
            "UPDATE clients SET notes = 'changed' WHERE id = ?1",
            [ids[0].to_string()],
        )
        .expect("changed");
        let mut from_rows = Vec::new();
        for id in &ids {
            from_rows.push(store.get_client_json(tenant, *id).await.expect("read"));
        }
        store.close().await.expect("close");

        let store = crate::sqlite::SqliteStore::open(&path).expect("reopen");
        store.migrate().await.expect("migrate");
        // Bounded: the writer is idle after 100 ms; a step takes milliseconds.
        for _ in 0..200 {
            if count(&sql) == ids.len() as i64 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(count(&sql), ids.len() as i64);
        for (id, from_row) in ids.iter().zip(&from_rows) {
            let kept = store.get_client_json(tenant, *id).await.expect("document");
            assert_eq!(&kept, from_row);
        }
        store.close().await.expect("close");
    }

    #[tokio::test]
    async fn a_client_with_every_field_set_is_written_and_read_back_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::sqlite::SqliteStore::open(&dir.path().join("c.db")).expect("open");
        store.migrate().await.expect("migrate");
        let name = TenantName::parse("acme").expect("name");
        let tenant = store.create_tenant(&name).await.expect("tenant").id;
        let ctx = WriteCtx {
            tenant,
            actor: "test".into(),
            idempotency: None,
            fill_currency: None,
            import_id: None,
        };
        let data = |v: Json| ClientData::from_json(&v).expect("valid");
        let other = store
            .create_client(&ctx, data(json!({"name": "Referrer"})))
            .await
            .expect("referrer");
        let first = data(every_field(1, other.id));
        assert_eq!(data_values(&first).len(), data_columns().count());
        let created = store
            .create_client(&ctx, first.clone())
            .await
            .expect("create");
        let read = store.get_client(tenant, created.id).await.expect("read");
        assert_eq!(read.data, first);
        // The point read's document, written from the row, is the derived serialization's.
        let document = store
            .get_client_json(tenant, created.id)
            .await
            .expect("document");
        assert_eq!(document.version, read.version);
        assert_eq!(
            String::from_utf8(document.json).expect("utf-8"),
            serde_json::to_string(&read).expect("derived")
        );
        let second = data(every_field(2, other.id));
        let replaced = store
            .replace_client(&ctx, created.id, second.clone(), None)
            .await
            .expect("replace");
        assert_eq!(replaced.data, second);
        let read = store.get_client(tenant, created.id).await.expect("read");
        assert_eq!(read.data, second);

        let site = SubData::from_json(
            SubKind::Location,
            &json!({"name": "Site", "address": every_field(3, other.id)["address"]}),
        )
        .expect("valid location");
        let loc = store
            .create_sub(&ctx, created.id, site.clone())
            .await
            .expect("location");
        let read = store
            .get_sub(tenant, SubKind::Location, created.id, loc.id)
            .await
            .expect("read location");
        let SubData::Location(read) = read.data else {
            panic!("not a location");
        };
        let SubData::Location(site) = site else {
            panic!("not a location");
        };
        assert_eq!(read.address, site.address);
        store.close().await.expect("close");
    }
}
