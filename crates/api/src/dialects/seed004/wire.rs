//! Seed 004's shapes as it reads them: the camelCase client with its contact persons, the list
//! page, and the UPPER_CASE enums, built from the core's types by pure functions (no axum).

use clientele_core::enums::{ClientStatus, Creditworthiness, PartnerType};
use clientele_core::sub::{SubData, SubResource};
use clientele_core::types::{CountryCode, Email, HttpUrl, Money, Phone, Timestamp};
use clientele_core::Client;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An enum of this dialect: the core's values in UPPER_CASE (`CITY_COMMUNITY`), one variant
/// per core variant (the match in `from_core` fails to compile if the core gains one). `$text`
/// must be the variant's name in SCREAMING_SNAKE_CASE (a unit test checks it).
macro_rules! upper_enum {
    ($(#[$m:meta])* $name:ident : $core:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        // `rename_all` rather than a `rename` per variant: utoipa does not see a `rename` whose
        // value comes from a macro fragment, and would document `CityCommunity`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, as written on the wire.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn from_core(c: $core) -> Self {
                match c {
                    $($core::$variant => Self::$variant),+
                }
            }

            pub fn to_core(self) -> $core {
                match self {
                    $(Self::$variant => $core::$variant),+
                }
            }

            /// The value as written on the wire (exactly, UPPER_CASE).
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

upper_enum!(
    /// Partner type classification.
    Seed004PartnerType: PartnerType {
        CityCommunity = "CITY_COMMUNITY",
        Construction = "CONSTRUCTION",
        Industry = "INDUSTRY",
        Other = "OTHER",
        Private = "PRIVATE",
    }
);
upper_enum!(
    /// Credit rating assessment.
    Seed004Creditworthiness: Creditworthiness {
        Good = "GOOD",
        Middle = "MIDDLE",
        Substandard = "SUBSTANDARD",
        Bad = "BAD",
    }
);
upper_enum!(
    /// Client status.
    Seed004Status: ClientStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
);

/// Geographical coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Seed004Point {
    /// Longitude, −180..180.
    pub lng: Option<f64>,
    /// Latitude, −90..90.
    pub lat: Option<f64>,
}

/// A contact person of a client (seed 004).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed004ContactPerson {
    /// UUID, assigned by the server.
    pub id: Uuid,
    /// The full name, 1-200 characters.
    pub name: String,
    pub job_title: Option<String>,
    pub department: Option<String>,
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Email>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub mobile: Option<Phone>,
    /// Whether this is the client's main contact: exactly one contact of a client is (a new
    /// main takes the flag from the old one; deleting the main hands it on).
    pub is_main: bool,
    /// ≤ 128, unique within the client.
    pub external_id: Option<String>,
    /// The client's id.
    pub client_id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl Seed004ContactPerson {
    /// `None` when the item is not a contact person.
    pub fn from_sub(s: &SubResource) -> Option<Self> {
        let SubData::ContactPerson(c) = &s.data else {
            return None;
        };
        Some(Self {
            id: s.id,
            name: c.name.clone(),
            job_title: c.job_title.clone(),
            department: c.department.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            mobile: c.mobile.clone(),
            is_main: c.is_main,
            external_id: c.external_id.clone(),
            client_id: s.client_id,
            updated_at: s.updated_at,
        })
    }
}

/// A client (seed 004), with all its contact persons.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed004Client {
    /// UUID, assigned by the server.
    pub id: Uuid,
    /// Per-organisation sequence number (1, 2, 3, ...), assigned by the server, never reused.
    pub number: i64,
    /// 1-200 characters.
    pub name: String,
    /// ≤ 128, unique per organisation when set.
    pub external_id: Option<String>,
    pub custom_price_id: Option<String>,
    /// Credit limit, ≥ 0; in the client's currency (see the tag's description).
    #[schema(value_type = Option<f64>, example = 50000.0)]
    pub credit_limit: Option<Money>,
    /// Credit used so far, ≥ 0; in the client's currency.
    #[schema(value_type = Option<f64>)]
    pub used_limit: Option<Money>,
    /// Payment terms in days, 0..3650.
    pub payment_terms: Option<i32>,
    /// Notes, ≤ 10000.
    pub additional_information: Option<String>,
    pub frame_contract: Option<bool>,
    pub self_insurance: Option<bool>,
    pub pricing: Option<String>,
    #[schema(schema_with = clientele_core::schema::http_url)]
    pub website: Option<HttpUrl>,
    #[schema(value_type = Option<String>)]
    pub fax: Option<Phone>,
    /// The coordinates, or null when the client has none.
    pub point: Option<Seed004Point>,
    pub street: Option<String>,
    /// `street` and the house number, joined by a space.
    pub street_and_number: Option<String>,
    pub city: Option<String>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<Phone>,
    /// ISO 3166-1 alpha-2.
    #[schema(value_type = Option<String>, example = "DE")]
    pub country: Option<CountryCode>,
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Email>,
    pub partner_type: Option<Seed004PartnerType>,
    /// Long descriptive name, ≤ 200.
    pub long_name: Option<String>,
    pub postal_code: Option<String>,
    pub creditworthiness: Option<Seed004Creditworthiness>,
    pub status: Seed004Status,
    /// The organisation (tenant) the client belongs to: its id as `GET /v1/me` shows it.
    pub organization: Uuid,
    /// The organisational unit the client belongs to, ≤ 64.
    pub structure_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// All the client's contact persons.
    pub contact_persons: Vec<Seed004ContactPerson>,
}

/// Items in the order the core lists them: newest first, ties by id, descending.
fn newest_first(items: &[SubResource]) -> impl Iterator<Item = &SubResource> {
    let mut sorted: Vec<&SubResource> = items.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
    sorted.into_iter()
}

/// `street` and `street_number` as one string: joined by a space, or whichever is set.
pub fn join_street_and_number(street: Option<&str>, number: Option<&str>) -> Option<String> {
    match (street, number) {
        (Some(s), Some(n)) => Some(format!("{s} {n}")),
        (Some(s), None) => Some(s.to_string()),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    }
}

impl Seed004Client {
    /// The client as this dialect shows it, in `organization`, with these contact persons
    /// (items of other kinds are skipped), newest first as the core lists them (so a create's
    /// answer lists them as every later read does).
    pub fn new(client: &Client, organization: Uuid, contacts: &[SubResource]) -> Self {
        let d = &client.data;
        let c = &d.credit;
        let a = d.address.as_ref();
        let text =
            |f: fn(&clientele_core::Address) -> &Option<String>| a.and_then(|a| f(a).clone());
        let (lat, lng) = (a.and_then(|a| a.latitude), a.and_then(|a| a.longitude));
        let street = text(|a| &a.street);
        let number = text(|a| &a.street_number);
        Self {
            id: client.id,
            number: client.number,
            name: d.name.clone(),
            external_id: d.external_id.clone(),
            custom_price_id: c.custom_price_id.clone(),
            credit_limit: c.limit,
            used_limit: c.used,
            payment_terms: c.payment_terms_days,
            additional_information: d.notes.clone(),
            frame_contract: c.frame_contract,
            self_insurance: c.self_insurance,
            pricing: c.pricing.clone(),
            website: d.website.clone(),
            fax: d.fax.clone(),
            point: (lat.is_some() || lng.is_some()).then_some(Seed004Point { lng, lat }),
            street_and_number: join_street_and_number(street.as_deref(), number.as_deref()),
            street,
            city: text(|a| &a.city),
            phone: d.phone.clone(),
            country: a.and_then(|a| a.country.clone()),
            email: d.email.clone(),
            partner_type: d.partner_type.map(Seed004PartnerType::from_core),
            long_name: d.legal_name.clone(),
            postal_code: text(|a| &a.postal_code),
            creditworthiness: c.creditworthiness.map(Seed004Creditworthiness::from_core),
            status: Seed004Status::from_core(d.status),
            organization,
            structure_id: d.structure_id.clone(),
            created_at: client.created_at,
            updated_at: client.updated_at,
            contact_persons: newest_first(contacts)
                .filter_map(Seed004ContactPerson::from_sub)
                .collect(),
        }
    }
}

/// `meta` of a list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed004ListMeta {
    /// The page shown, from 1.
    pub page: u64,
    /// Items per page.
    pub limit: u32,
    /// Items matching the query, on all pages.
    pub total: u64,
    /// Pages of `limit` items holding them (0 when there are none).
    pub total_pages: u64,
}

impl Seed004ListMeta {
    pub fn new(page: u64, limit: u32, total: u64) -> Self {
        Self {
            page,
            limit,
            total,
            total_pages: total.div_ceil(u64::from(limit.max(1))),
        }
    }
}

/// A page of clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seed004ClientPage {
    pub data: Vec<Seed004Client>,
    pub meta: Seed004ListMeta,
}

/// A page of a client's contact persons.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seed004ContactPersonPage {
    pub data: Vec<Seed004ContactPerson>,
    pub meta: Seed004ListMeta,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::sub::SubKind;
    use clientele_core::ClientData;
    use serde_json::json;

    fn client(doc: serde_json::Value) -> Client {
        let data = ClientData::from_json(&doc).expect("valid");
        let at = Timestamp::parse("2026-11-23T10:15:00.123Z").expect("ts");
        Client {
            id: Uuid::nil(),
            number: 7,
            data,
            associated_accounts: 0,
            version: 3,
            created_at: at,
            updated_at: at,
        }
    }

    fn contact(client_id: Uuid, doc: serde_json::Value) -> SubResource {
        let data = SubData::from_json(SubKind::ContactPerson, &doc).expect("valid");
        let at = Timestamp::parse("2026-11-24T08:00:00Z").expect("ts");
        SubResource {
            id: Uuid::max(),
            client_id,
            data,
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn enums_are_upper_case_both_ways() {
        for s in Seed004PartnerType::ALL {
            let e = Seed004PartnerType::parse(s).expect("parses");
            assert_eq!(json!(e), json!(s));
            assert_eq!(Seed004PartnerType::from_core(e.to_core()), e, "round trip");
            assert_eq!(e.to_core().as_str().to_uppercase(), *s);
        }
        assert_eq!(
            Seed004Creditworthiness::from_core(Creditworthiness::Substandard),
            Seed004Creditworthiness::Substandard
        );
        for s in Seed004Creditworthiness::ALL {
            let e = Seed004Creditworthiness::parse(s).expect("parses");
            assert_eq!(json!(e), json!(s));
            assert_eq!(e.to_core().as_str().to_uppercase(), *s);
        }
        for s in Seed004Status::ALL {
            let e = Seed004Status::parse(s).expect("parses");
            assert_eq!(json!(e), json!(s));
            assert_eq!(e.to_core().as_str().to_uppercase(), *s);
        }
        assert_eq!(json!(Seed004Status::Inactive), json!("INACTIVE"));
        assert_eq!(Seed004Status::parse("active"), None);
        assert_eq!(Seed004Creditworthiness::ALL.len(), 4);
    }

    #[test]
    fn a_client_reads_in_camel_case_with_every_field() {
        let c = client(json!({
            "name": "Bau GmbH", "legal_name": "Bau GmbH & Co. KG", "external_id": "ERP-1",
            "status": "inactive", "partner_type": "construction", "email": "info@bau.de",
            "phone": "+49 30 1234", "fax": "+49 30 1235", "website": "https://bau.de",
            "notes": "n", "structure_id": "s-1",
            "address": {"street": "Hauptstraße", "street_number": "5a", "city": "Berlin",
                "postal_code": "10115", "country": "DE", "latitude": 52.5, "longitude": 13.4},
            "credit": {"limit": 50000, "used": 1250.5, "currency": "EUR", "payment_terms_days": 30,
                "creditworthiness": "good", "frame_contract": true, "self_insurance": false,
                "pricing": "list", "custom_price_id": "P-9"}
        }));
        let org = Uuid::now_v7();
        let cp = contact(
            c.id,
            json!({"name": "Eva", "job_title": "CFO", "is_main": true}),
        );
        let v = serde_json::to_value(Seed004Client::new(&c, org, &[cp])).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "id",
            "number",
            "name",
            "externalId",
            "customPriceId",
            "creditLimit",
            "usedLimit",
            "paymentTerms",
            "additionalInformation",
            "frameContract",
            "selfInsurance",
            "pricing",
            "website",
            "fax",
            "point",
            "street",
            "streetAndNumber",
            "city",
            "phone",
            "country",
            "email",
            "partnerType",
            "longName",
            "postalCode",
            "creditworthiness",
            "status",
            "organization",
            "structureId",
            "createdAt",
            "updatedAt",
            "contactPersons",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(v["number"], 7);
        assert_eq!(v["longName"], "Bau GmbH & Co. KG");
        assert_eq!(v["status"], "INACTIVE");
        assert_eq!(v["partnerType"], "CONSTRUCTION");
        assert_eq!(v["creditworthiness"], "GOOD");
        // Money keeps (at least) two fraction digits, as on `/v1`.
        assert_eq!(v["creditLimit"].to_string(), "50000.00");
        assert_eq!(v["usedLimit"].to_string(), "1250.50");
        assert_eq!(v["paymentTerms"], 30);
        assert_eq!(v["additionalInformation"], "n");
        assert_eq!(v["point"], json!({"lng": 13.4, "lat": 52.5}));
        assert_eq!(v["street"], "Hauptstraße");
        assert_eq!(v["streetAndNumber"], "Hauptstraße 5a");
        assert_eq!(v["postalCode"], "10115");
        assert_eq!(v["country"], "DE");
        assert_eq!(v["organization"], json!(org.to_string()));
        assert_eq!(v["structureId"], "s-1");
        assert_eq!(v["customPriceId"], "P-9");
        assert_eq!(v["createdAt"], "2026-11-23T10:15:00.123Z");
        let cp = &v["contactPersons"][0];
        assert_eq!(cp["jobTitle"], "CFO");
        assert_eq!(cp["isMain"], true);
        assert_eq!(cp["clientId"], json!(Uuid::nil().to_string()));
        assert_eq!(cp["updatedAt"], "2026-11-24T08:00:00.000Z");
        let mut cp_keys: Vec<&str> = cp
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        cp_keys.sort_unstable();
        assert_eq!(
            cp_keys,
            vec![
                "clientId",
                "department",
                "email",
                "externalId",
                "id",
                "isMain",
                "jobTitle",
                "mobile",
                "name",
                "phone",
                "updatedAt"
            ]
        );
    }

    #[test]
    fn a_bare_client_reads_with_nulls_and_no_point() {
        let c = client(json!({"name": "A"}));
        let v = serde_json::to_value(Seed004Client::new(&c, Uuid::nil(), &[])).expect("json");
        for k in [
            "point",
            "street",
            "streetAndNumber",
            "creditLimit",
            "partnerType",
            "creditworthiness",
            "country",
        ] {
            assert_eq!(v[k], serde_json::Value::Null, "{k}");
        }
        assert_eq!(v["status"], "ACTIVE");
        assert_eq!(v["contactPersons"], json!([]));
    }

    #[test]
    fn street_and_number_joins_whatever_is_set() {
        assert_eq!(
            join_street_and_number(Some("Main St"), Some("5")),
            Some("Main St 5".into())
        );
        assert_eq!(
            join_street_and_number(Some("Main St"), None),
            Some("Main St".into())
        );
        assert_eq!(join_street_and_number(None, Some("5")), Some("5".into()));
        assert_eq!(join_street_and_number(None, None), None);
        // Only one coordinate set (through /v1): the point shows it, the other null.
        let c = client(json!({"name": "A", "address": {"latitude": 1.5}}));
        let v = serde_json::to_value(Seed004Client::new(&c, Uuid::nil(), &[])).expect("json");
        assert_eq!(v["point"], json!({"lng": null, "lat": 1.5}));
    }

    #[test]
    fn list_meta_counts_pages() {
        assert_eq!(Seed004ListMeta::new(1, 25, 0).total_pages, 0);
        assert_eq!(Seed004ListMeta::new(1, 25, 25).total_pages, 1);
        assert_eq!(Seed004ListMeta::new(2, 25, 26).total_pages, 2);
        let v = serde_json::to_value(Seed004ListMeta::new(3, 10, 95)).expect("json");
        assert_eq!(
            v,
            json!({"page": 3, "limit": 10, "total": 95, "totalPages": 10})
        );
    }
}
