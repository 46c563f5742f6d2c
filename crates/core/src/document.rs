//! A client's JSON document written straight into a byte buffer: the answer of a point read.
//!
//! [`ClientView`] is a client as borrowed values, the one form both a [`Client`] and a stored
//! row give ([`ClientView::of`]; the store decodes its rows into it without a `String` per
//! column). [`ClientView::write_json`] writes it with the keys as literal bytes and only the
//! values escaped, byte for byte what the derived `Serialize` of [`Client`] writes with
//! `serde_json` (the same keys in the same order, the same escapes, numbers and timestamps;
//! tests compare the two).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::client::{Address, Client, ClientData, Credit};
use crate::enums::{ClientKind, ClientStatus, Creditworthiness, PartnerType};
use crate::types::{
    write_decimal_json, CountryCode, CurrencyCode, Email, HttpUrl, Money, Phone, Timestamp,
};

/// A client's JSON document (what `GET /v1/clients/{id}` holds under `data`) and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientJson {
    pub version: i64,
    pub json: Vec<u8>,
}

/// Room for a client document: most fit.
const DOCUMENT_BYTES: usize = 2048;

impl ClientJson {
    pub fn of(client: &Client) -> Self {
        ClientView::of(client).to_json()
    }
}

/// What a client's document holds besides its own fields: the values the store assigns, written
/// around the fields ([`ClientView::write_fields`]) by [`Assigned::write_json`], as
/// [`ClientView::write_json`] writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    pub id: Uuid,
    pub number: i64,
    pub associated_accounts: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Assigned {
    pub fn of(c: &Client) -> Self {
        Self {
            id: c.id,
            number: c.number,
            associated_accounts: c.associated_accounts,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }

    /// None yet (nil id, zeros, the Unix epoch): for a view whose own fields alone are written.
    pub fn none() -> Self {
        let epoch = Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH);
        Self {
            id: Uuid::nil(),
            number: 0,
            associated_accounts: 0,
            version: 0,
            created_at: epoch,
            updated_at: epoch,
        }
    }

    /// Appends the document of a client whose own fields were written as `fields` (by
    /// [`ClientView::write_fields`]): these values around them.
    pub fn write_json(&self, fields: &[u8], out: &mut Vec<u8>) {
        self.write_head(out);
        out.extend_from_slice(fields);
        self.write_tail(out);
    }

    /// `{"id":...,"number":...`
    fn write_head(&self, out: &mut Vec<u8>) {
        let mut w = Out(out);
        w.raw(b"{\"id\":");
        w.uuid(Some(self.id));
        w.key(b",\"number\":");
        w.int(Some(self.number));
    }

    /// `,"associated_accounts":...,"updated_at":...}`
    fn write_tail(&self, out: &mut Vec<u8>) {
        let mut w = Out(out);
        w.key(b",\"associated_accounts\":");
        w.int(Some(self.associated_accounts));
        w.key(b",\"version\":");
        w.int(Some(self.version));
        w.key(b",\"created_at\":");
        self.created_at.write_json(w.0);
        w.key(b",\"updated_at\":");
        self.updated_at.write_json(w.0);
        w.raw(b"}");
    }
}

/// A postal address as borrowed values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddressView<'a> {
    pub street: Option<&'a str>,
    pub street_number: Option<&'a str>,
    pub apartment: Option<&'a str>,
    pub corner: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub line3: Option<&'a str>,
    pub city: Option<&'a str>,
    pub region: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A client's credit as borrowed values; `available` as [`Credit::available_of`] gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditView<'a> {
    pub limit: Option<Money>,
    pub used: Option<Money>,
    pub available: Option<Decimal>,
    pub currency: Option<&'a str>,
    pub payment_terms_days: Option<i32>,
    pub rating: Option<&'a str>,
    pub creditworthiness: Option<Creditworthiness>,
    pub fico: Option<i32>,
    pub total_income: Option<Money>,
    pub total_debt_payments: Option<Money>,
    pub first_time_buyer: Option<bool>,
    pub frame_contract: Option<bool>,
    pub self_insurance: Option<bool>,
    pub pricing: Option<&'a str>,
    pub custom_price_id: Option<&'a str>,
}

/// A stored client as borrowed values, in the order of its document.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientView<'a> {
    pub id: Uuid,
    pub number: i64,
    pub kind: ClientKind,
    pub name: &'a str,
    pub legal_name: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub org_number: Option<&'a str>,
    pub tax_id: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub account_code: Option<&'a str>,
    pub status: ClientStatus,
    pub archived: bool,
    pub silenced: bool,
    pub invoice_reminders: bool,
    pub show_location_on_invoice: bool,
    pub partner_type: Option<PartnerType>,
    pub email: Option<&'a str>,
    pub billing_email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub home_phone: Option<&'a str>,
    pub fax: Option<&'a str>,
    pub website: Option<&'a str>,
    pub image_url: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub address: Option<AddressView<'a>>,
    pub credit: CreditView<'a>,
    pub owner_id: Option<&'a str>,
    pub salesperson_id: Option<&'a str>,
    pub case_manager_id: Option<&'a str>,
    pub referred_by_id: Option<Uuid>,
    pub source: Option<&'a str>,
    pub structure_id: Option<&'a str>,
    pub metadata: Cow<'a, BTreeMap<String, String>>,
    pub associated_accounts: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref()
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

impl<'a> AddressView<'a> {
    pub fn of(a: &'a Address) -> Self {
        Self {
            street: opt(&a.street),
            street_number: opt(&a.street_number),
            apartment: opt(&a.apartment),
            corner: opt(&a.corner),
            line2: opt(&a.line2),
            line3: opt(&a.line3),
            city: opt(&a.city),
            region: opt(&a.region),
            postal_code: opt(&a.postal_code),
            country: a.country.as_ref().map(CountryCode::as_str),
            latitude: a.latitude,
            longitude: a.longitude,
        }
    }

    /// The owned address; the values are stored ones (validated before they were written).
    pub fn to_address(&self) -> Address {
        Address {
            street: owned(self.street),
            street_number: owned(self.street_number),
            apartment: owned(self.apartment),
            corner: owned(self.corner),
            line2: owned(self.line2),
            line3: owned(self.line3),
            city: owned(self.city),
            region: owned(self.region),
            postal_code: owned(self.postal_code),
            country: self.country.map(|c| CountryCode::trusted(c.to_string())),
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

impl<'a> CreditView<'a> {
    pub fn of(c: &'a Credit) -> Self {
        Self {
            limit: c.limit,
            used: c.used,
            available: c.available,
            currency: c.currency.as_ref().map(CurrencyCode::as_str),
            payment_terms_days: c.payment_terms_days,
            rating: opt(&c.rating),
            creditworthiness: c.creditworthiness,
            fico: c.fico,
            total_income: c.total_income,
            total_debt_payments: c.total_debt_payments,
            first_time_buyer: c.first_time_buyer,
            frame_contract: c.frame_contract,
            self_insurance: c.self_insurance,
            pricing: opt(&c.pricing),
            custom_price_id: opt(&c.custom_price_id),
        }
    }

    fn to_credit(self) -> Credit {
        Credit {
            limit: self.limit,
            used: self.used,
            available: self.available,
            currency: self.currency.map(|c| CurrencyCode::trusted(c.to_string())),
            payment_terms_days: self.payment_terms_days,
            rating: owned(self.rating),
            creditworthiness: self.creditworthiness,
            fico: self.fico,
            total_income: self.total_income,
            total_debt_payments: self.total_debt_payments,
            first_time_buyer: self.first_time_buyer,
            frame_contract: self.frame_contract,
            self_insurance: self.self_insurance,
            pricing: owned(self.pricing),
            custom_price_id: owned(self.custom_price_id),
        }
    }
}

impl<'a> ClientView<'a> {
    pub fn of(c: &'a Client) -> Self {
        Self::of_data(&c.data, Assigned::of(c))
    }

    /// The view of a client with data `d` and these assigned values.
    pub fn of_data(d: &'a ClientData, a: Assigned) -> Self {
        Self {
            id: a.id,
            number: a.number,
            kind: d.kind,
            name: &d.name,
            legal_name: opt(&d.legal_name),
            first_name: opt(&d.first_name),
            last_name: opt(&d.last_name),
            org_number: opt(&d.org_number),
            tax_id: opt(&d.tax_id),
            external_id: opt(&d.external_id),
            account_code: opt(&d.account_code),
            status: d.status,
            archived: d.archived,
            silenced: d.silenced,
            invoice_reminders: d.invoice_reminders,
            show_location_on_invoice: d.show_location_on_invoice,
            partner_type: d.partner_type,
            email: d.email.as_ref().map(Email::as_str),
            billing_email: d.billing_email.as_ref().map(Email::as_str),
            phone: d.phone.as_ref().map(Phone::as_str),
            mobile: d.mobile.as_ref().map(Phone::as_str),
            home_phone: d.home_phone.as_ref().map(Phone::as_str),
            fax: d.fax.as_ref().map(Phone::as_str),
            website: d.website.as_ref().map(HttpUrl::as_str),
            image_url: d.image_url.as_ref().map(HttpUrl::as_str),
            notes: opt(&d.notes),
            address: d.address.as_ref().map(AddressView::of),
            credit: CreditView::of(&d.credit),
            owner_id: opt(&d.owner_id),
            salesperson_id: opt(&d.salesperson_id),
            case_manager_id: opt(&d.case_manager_id),
            referred_by_id: d.referred_by_id,
            source: opt(&d.source),
            structure_id: opt(&d.structure_id),
            metadata: Cow::Borrowed(&d.metadata),
            associated_accounts: a.associated_accounts,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }

    /// The values the store assigned.
    pub fn assigned(&self) -> Assigned {
        Assigned {
            id: self.id,
            number: self.number,
            associated_accounts: self.associated_accounts,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The owned client; the values are stored ones (validated before they were written).
    pub fn into_client(self) -> Client {
        let trusted = |s: Option<&str>| s.map(str::to_string);
        Client {
            id: self.id,
            number: self.number,
            associated_accounts: self.associated_accounts,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            data: ClientData {
                kind: self.kind,
                name: self.name.to_string(),
                legal_name: owned(self.legal_name),
                first_name: owned(self.first_name),
                last_name: owned(self.last_name),
                org_number: owned(self.org_number),
                tax_id: owned(self.tax_id),
                external_id: owned(self.external_id),
                account_code: owned(self.account_code),
                status: self.status,
                archived: self.archived,
                silenced: self.silenced,
                invoice_reminders: self.invoice_reminders,
                show_location_on_invoice: self.show_location_on_invoice,
                partner_type: self.partner_type,
                email: trusted(self.email).map(Email::trusted),
                billing_email: trusted(self.billing_email).map(Email::trusted),
                phone: trusted(self.phone).map(Phone::trusted),
                mobile: trusted(self.mobile).map(Phone::trusted),
                home_phone: trusted(self.home_phone).map(Phone::trusted),
                fax: trusted(self.fax).map(Phone::trusted),
                website: trusted(self.website).map(HttpUrl::trusted),
                image_url: trusted(self.image_url).map(HttpUrl::trusted),
                notes: owned(self.notes),
                address: self.address.as_ref().map(AddressView::to_address),
                credit: self.credit.to_credit(),
                owner_id: owned(self.owner_id),
                salesperson_id: owned(self.salesperson_id),
                case_manager_id: owned(self.case_manager_id),
                referred_by_id: self.referred_by_id,
                source: owned(self.source),
                structure_id: owned(self.structure_id),
                metadata: self.metadata.into_owned(),
            },
        }
    }

    /// The document and the version.
    pub fn to_json(&self) -> ClientJson {
        let mut json = Vec::with_capacity(DOCUMENT_BYTES);
        self.write_json(&mut json);
        ClientJson {
            version: self.version,
            json,
        }
    }

    /// Appends the client's document to `out`: the keys and order of the derived `Serialize`
    /// of [`Client`], each key as literal bytes. Its own fields ([`ClientView::write_fields`])
    /// between the values the store assigned ([`Assigned::write_json`]).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let assigned = self.assigned();
        assigned.write_head(out);
        self.write_fields(out);
        assigned.write_tail(out);
    }

    /// Appends the part of the document that the client's data alone gives: from `,"kind":`
    /// to the end of `metadata`.
    pub fn write_fields(&self, out: &mut Vec<u8>) {
        let mut w = Out(out);
        w.key(b",\"kind\":");
        w.word(Some(self.kind.as_str()));
        w.key(b",\"name\":");
        w.str(Some(self.name));
        w.key(b",\"legal_name\":");
        w.str(self.legal_name);
        w.key(b",\"first_name\":");
        w.str(self.first_name);
        w.key(b",\"last_name\":");
        w.str(self.last_name);
        w.key(b",\"org_number\":");
        w.str(self.org_number);
        w.key(b",\"tax_id\":");
        w.str(self.tax_id);
        w.key(b",\"external_id\":");
        w.str(self.external_id);
        w.key(b",\"account_code\":");
        w.str(self.account_code);
        w.key(b",\"status\":");
        w.word(Some(self.status.as_str()));
        w.key(b",\"archived\":");
        w.bool(Some(self.archived));
        w.key(b",\"silenced\":");
        w.bool(Some(self.silenced));
        w.key(b",\"invoice_reminders\":");
        w.bool(Some(self.invoice_reminders));
        w.key(b",\"show_location_on_invoice\":");
        w.bool(Some(self.show_location_on_invoice));
        w.key(b",\"partner_type\":");
        w.word(self.partner_type.map(|p| p.as_str()));
        w.key(b",\"email\":");
        w.str(self.email);
        w.key(b",\"billing_email\":");
        w.str(self.billing_email);
        w.key(b",\"phone\":");
        w.str(self.phone);
        w.key(b",\"mobile\":");
        w.str(self.mobile);
        w.key(b",\"home_phone\":");
        w.str(self.home_phone);
        w.key(b",\"fax\":");
        w.str(self.fax);
        w.key(b",\"website\":");
        w.str(self.website);
        w.key(b",\"image_url\":");
        w.str(self.image_url);
        w.key(b",\"notes\":");
        w.str(self.notes);
        w.key(b",\"address\":");
        match &self.address {
            None => w.raw(b"null"),
            Some(a) => {
                w.raw(b"{\"street\":");
                w.str(a.street);
                w.key(b",\"street_number\":");
                w.str(a.street_number);
                w.key(b",\"apartment\":");
                w.str(a.apartment);
                w.key(b",\"corner\":");
                w.str(a.corner);
                w.key(b",\"line2\":");
                w.str(a.line2);
                w.key(b",\"line3\":");
                w.str(a.line3);
                w.key(b",\"city\":");
                w.str(a.city);
                w.key(b",\"region\":");
                w.str(a.region);
                w.key(b",\"postal_code\":");
                w.str(a.postal_code);
                w.key(b",\"country\":");
                w.str(a.country);
                w.key(b",\"latitude\":");
                w.float(a.latitude);
                w.key(b",\"longitude\":");
                w.float(a.longitude);
                w.raw(b"}");
            }
        }
        let c = &self.credit;
        w.key(b",\"credit\":{\"limit\":");
        w.money(c.limit);
        w.key(b",\"used\":");
        w.money(c.used);
        w.key(b",\"available\":");
        w.decimal(c.available.as_ref());
        w.key(b",\"currency\":");
        w.str(c.currency);
        w.key(b",\"payment_terms_days\":");
        w.int(c.payment_terms_days.map(i64::from));
        w.key(b",\"rating\":");
        w.str(c.rating);
        w.key(b",\"creditworthiness\":");
        w.word(c.creditworthiness.map(|x| x.as_str()));
        w.key(b",\"fico\":");
        w.int(c.fico.map(i64::from));
        w.key(b",\"total_income\":");
        w.money(c.total_income);
        w.key(b",\"total_debt_payments\":");
        w.money(c.total_debt_payments);
        w.key(b",\"first_time_buyer\":");
        w.bool(c.first_time_buyer);
        w.key(b",\"frame_contract\":");
        w.bool(c.frame_contract);
        w.key(b",\"self_insurance\":");
        w.bool(c.self_insurance);
        w.key(b",\"pricing\":");
        w.str(c.pricing);
        w.key(b",\"custom_price_id\":");
        w.str(c.custom_price_id);
        w.key(b"},\"owner_id\":");
        w.str(self.owner_id);
        w.key(b",\"salesperson_id\":");
        w.str(self.salesperson_id);
        w.key(b",\"case_manager_id\":");
        w.str(self.case_manager_id);
        w.key(b",\"referred_by_id\":");
        w.uuid(self.referred_by_id);
        w.key(b",\"source\":");
        w.str(self.source);
        w.key(b",\"structure_id\":");
        w.str(self.structure_id);
        w.key(b",\"metadata\":{");
        for (i, (k, v)) in self.metadata.iter().enumerate() {
            if i > 0 {
                w.raw(b",");
            }
            w.str(Some(k));
            w.raw(b":");
            w.str(Some(v));
        }
        w.raw(b"}");
    }
}

/// The buffer a document is written into, with one method per kind of value (`None` is `null`).
struct Out<'o>(&'o mut Vec<u8>);

impl Out<'_> {
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// A key with its punctuation (`,"name":`), written as it is.
    fn key(&mut self, k: &'static [u8]) {
        self.0.extend_from_slice(k);
    }

    fn null(&mut self) {
        self.0.extend_from_slice(b"null");
    }

    /// A string, escaped as `serde_json` escapes it.
    fn str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => write_escaped(self.0, s),
            None => self.null(),
        }
    }

    /// A name of a closed set (`organization`): letters and `_`, which need no escaping.
    fn word(&mut self, s: Option<&'static str>) {
        match s {
            Some(s) => {
                self.0.push(b'"');
                self.0.extend_from_slice(s.as_bytes());
                self.0.push(b'"');
            }
            None => self.null(),
        }
    }

    fn bool(&mut self, b: Option<bool>) {
        match b {
            Some(true) => self.raw(b"true"),
            Some(false) => self.raw(b"false"),
            None => self.null(),
        }
    }

    fn int(&mut self, n: Option<i64>) {
        let Some(n) = n else {
            return self.null();
        };
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut m = n.unsigned_abs();
        loop {
            at -= 1;
            buf[at] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if n < 0 {
            self.0.push(b'-');
        }
        self.0.extend_from_slice(&buf[at..]);
    }

    /// As `serde_json` writes an `f64` (`null` when it is not finite).
    fn float(&mut self, f: Option<f64>) {
        match f {
            Some(f) => {
                let _ = serde_json::to_writer(&mut *self.0, &f);
            }
            None => self.null(),
        }
    }

    fn money(&mut self, m: Option<Money>) {
        self.decimal(m.map(|m| m.decimal()).as_ref());
    }

    fn decimal(&mut self, d: Option<&Decimal>) {
        match d {
            Some(d) => write_decimal_json(d, self.0),
            None => self.null(),
        }
    }

    fn uuid(&mut self, id: Option<Uuid>) {
        let Some(id) = id else {
            return self.null();
        };
        let mut buf = Uuid::encode_buffer();
        self.0.push(b'"');
        self.0
            .extend_from_slice(id.hyphenated().encode_lower(&mut buf).as_bytes());
        self.0.push(b'"');
    }
}

/// `s` as a JSON string, escaped exactly as `serde_json` escapes it: `"` and `\` with a
/// backslash, `\b \f \n \r \t` by name, the other control characters below 0x20 as `\u00XX`
/// (lower-case hex), everything else (0x7f and non-ASCII included) as it is.
pub fn write_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    // One pass without branches over the bytes first: most values need no escape at all.
    let plain = bytes
        .iter()
        .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.extend_from_slice(bytes);
    } else {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let named: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x00..=0x1f => &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ],
                _ => continue,
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(named);
            start = i + 1;
        }
        out.extend_from_slice(&bytes[start..]);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("Ångström \u{2028} \u{1f600} \"q\" \\ end");
        for s in ["", "plain", every.as_str(), "\u{7f}\u{0}", "a\"", "\\"] {
            let mut out = Vec::new();
            write_escaped(&mut out, s);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(s).expect("json"),
                "{s:?}"
            );
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for n in [0, 1, -1, 9, 10, 42, -42, 1234567890, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            Out(&mut out).int(Some(n));
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(&n).expect("json")
            );
        }
    }
}
