//! The `changes` text of a new client written straight from its typed data: no JSON document,
//! no serde walk, no list of leaves to sort. [`super::created_changes_text`] of the client's
//! document (`ClientData::to_json`) is the reference: same leaves, same order, same bytes
//! (tests in `audit.rs`, and the CLI's demo clients). The fields are written in the order of
//! their dotted paths, which is the order that text sorts them in; every struct is taken apart
//! whole (`let ClientData { .. } = d` without `..`), so a new field does not compile until it
//! is placed here.
//!
//! A single create builds this text on the request's thread, a bulk import once per row; the
//! serde walk it replaces cost about 36,000 instructions per create (docs/performance.md,
//! "h16-postreq").

use serde::Serialize;
use serde_json::Value;

use crate::client::{Address, ClientData, Credit};
use crate::mask::{is_sensitive_field, mask};

/// The creation's `changes` text of a client with data `d`.
pub(super) fn client_changes_text(d: &ClientData) -> String {
    let ClientData {
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
        metadata,
    } = d;
    let mut t = Text::default();
    t.string("account_code", account_code.as_deref());
    if let Some(a) = address {
        t.address(a);
    }
    t.value("archived", Some(archived));
    t.string("billing_email", billing_email.as_ref().map(|e| e.as_str()));
    t.string("case_manager_id", case_manager_id.as_deref());
    t.credit(credit);
    t.string("email", email.as_ref().map(|e| e.as_str()));
    t.string("external_id", external_id.as_deref());
    t.string("fax", fax.as_ref().map(|p| p.as_str()));
    t.string("first_name", first_name.as_deref());
    t.string("home_phone", home_phone.as_ref().map(|p| p.as_str()));
    t.string("image_url", image_url.as_ref().map(|u| u.as_str()));
    t.value("invoice_reminders", Some(invoice_reminders));
    t.string("kind", Some(kind.as_str()));
    t.string("last_name", last_name.as_deref());
    t.string("legal_name", legal_name.as_deref());
    // "metadata.<key>" sorts after "legal_name" and before "mobile" whatever the key, and
    // the map's own order is the byte order of its keys, which is that of their paths.
    for (key, value) in metadata {
        t.metadata(key, value);
    }
    t.string("mobile", mobile.as_ref().map(|p| p.as_str()));
    t.string("name", Some(name));
    t.string("notes", notes.as_deref());
    t.string("org_number", org_number.as_deref());
    t.string("owner_id", owner_id.as_deref());
    t.string("partner_type", partner_type.as_ref().map(|p| p.as_str()));
    t.string("phone", phone.as_ref().map(|p| p.as_str()));
    t.value("referred_by_id", referred_by_id.as_ref());
    t.string("salesperson_id", salesperson_id.as_deref());
    t.value("show_location_on_invoice", Some(show_location_on_invoice));
    t.value("silenced", Some(silenced));
    t.string("source", source.as_deref());
    t.string("status", Some(status.as_str()));
    t.string("structure_id", structure_id.as_deref());
    t.string("tax_id", tax_id.as_deref());
    t.string("website", website.as_ref().map(|u| u.as_str()));
    t.finish()
}

/// The text being written: `{`, then one `"path":[null,value]` per leaf.
struct Text {
    out: Vec<u8>,
}

impl Default for Text {
    fn default() -> Self {
        let mut out = Vec::with_capacity(768);
        out.push(b'{');
        Self { out }
    }
}

impl Text {
    /// Starts the leaf at `path` (a constant path: nothing in it to escape).
    fn start(&mut self, path: &str) {
        if self.out.len() > 1 {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(path.as_bytes());
        self.out.extend_from_slice(b"\":[null,");
    }

    /// A text leaf; a sensitive one masked as `mask_field` masks it.
    fn string(&mut self, path: &str, value: Option<&str>) {
        let Some(value) = value else {
            return;
        };
        self.start(path);
        self.text_value(path, value);
    }

    fn text_value(&mut self, path: &str, value: &str) {
        // Writing into a Vec cannot fail.
        let _ = if is_sensitive_field(path) {
            serde_json::to_writer(&mut self.out, &mask(value))
        } else {
            serde_json::to_writer(&mut self.out, value)
        };
        self.out.push(b']');
    }

    /// A leaf that is not text (a number, a flag, an id): as serde_json writes it, or `"***"`
    /// if its path were sensitive.
    fn value<T: Serialize + ?Sized>(&mut self, path: &str, value: Option<&T>) {
        let Some(value) = value else {
            return;
        };
        self.start(path);
        let _ = if is_sensitive_field(path) {
            serde_json::to_writer(&mut self.out, "***")
        } else {
            serde_json::to_writer(&mut self.out, value)
        };
        self.out.push(b']');
    }

    /// A coordinate: a number when finite; the document holds `null` (no leaf) otherwise.
    fn float(&mut self, path: &str, value: Option<f64>) {
        let number = value.filter(|v| v.is_finite()).map(Value::from);
        self.value(path, number.as_ref());
    }

    /// `metadata.<key>`: the key escaped as a JSON string's contents.
    fn metadata(&mut self, key: &str, value: &str) {
        if self.out.len() > 1 {
            self.out.push(b',');
        }
        self.out.extend_from_slice(b"\"metadata.");
        let at = self.out.len();
        let _ = serde_json::to_writer(&mut self.out, key);
        // The key's own opening quote: the path's is already written.
        self.out.remove(at);
        self.out.extend_from_slice(b":[null,");
        // The last segment of `metadata.<key>` is that of the key.
        self.text_value(key, value);
    }

    fn address(&mut self, a: &Address) {
        let Address {
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
        } = a;
        self.string("address.apartment", apartment.as_deref());
        self.string("address.city", city.as_deref());
        self.string("address.corner", corner.as_deref());
        self.string("address.country", country.as_ref().map(|c| c.as_str()));
        self.float("address.latitude", *latitude);
        self.string("address.line2", line2.as_deref());
        self.string("address.line3", line3.as_deref());
        self.float("address.longitude", *longitude);
        self.string("address.postal_code", postal_code.as_deref());
        self.string("address.region", region.as_deref());
        self.string("address.street", street.as_deref());
        self.string("address.street_number", street_number.as_deref());
    }

    fn credit(&mut self, c: &Credit) {
        let Credit {
            limit,
            used,
            // Derived (`limit − used`): left out of every diff (`DERIVED`).
            available: _,
            currency,
            payment_terms_days,
            rating,
            creditworthiness,
            fico,
            total_income,
            total_debt_payments,
            first_time_buyer,
            frame_contract,
            self_insurance,
            pricing,
            custom_price_id,
        } = c;
        self.string(
            "credit.creditworthiness",
            creditworthiness.as_ref().map(|w| w.as_str()),
        );
        self.string("credit.currency", currency.as_ref().map(|c| c.as_str()));
        self.string("credit.custom_price_id", custom_price_id.as_deref());
        self.value("credit.fico", fico.as_ref());
        self.value("credit.first_time_buyer", first_time_buyer.as_ref());
        self.value("credit.frame_contract", frame_contract.as_ref());
        self.value("credit.limit", limit.as_ref());
        self.value("credit.payment_terms_days", payment_terms_days.as_ref());
        self.string("credit.pricing", pricing.as_deref());
        self.string("credit.rating", rating.as_deref());
        self.value("credit.self_insurance", self_insurance.as_ref());
        self.value("credit.total_debt_payments", total_debt_payments.as_ref());
        self.value("credit.total_income", total_income.as_ref());
        self.value("credit.used", used.as_ref());
    }

    fn finish(mut self) -> String {
        self.out.push(b'}');
        // Only UTF-8 text and ASCII were written.
        String::from_utf8(self.out).unwrap_or_default()
    }
}
