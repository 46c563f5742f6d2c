//! `clientele seed-demo`: realistic demo clients, generated deterministically and inserted in
//! large batches (one transaction each) through the store.
//!
//! The mix follows a Nordic/European B2B customer base: mostly organisations named after a
//! family or place plus a trade and a legal form (`Andersson Bygg AB`), some private persons,
//! Zipf-like name frequencies (a few very common surnames, a long tail), country-specific
//! registration numbers and currencies, and creation times spread over six years.

use std::time::Duration;

use clientele_core::service;
use clientele_core::store::{ImportMode, ImportRow};
use clientele_core::types::Timestamp;
use clientele_core::{ClientData, Store, WriteCtx};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use serde_json::{json, Value};

/// Rows per insert transaction.
const BATCH: usize = 5_000;

/// SplitMix64: small, fast, and the same sequence on every machine for a given seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Zipf-like pick: item i has weight 1/(i+1), so the first items are much more common.
    pub fn zipf<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let n = items.len() as f64;
        // Inverse CDF of the continuous 1/x density on [1, n+1).
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let i = ((n + 1.0).powf(u) - 1.0) as usize;
        items[i.min(items.len() - 1)]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const SURNAMES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Hansen",
    "Johansen",
    "Olsen",
    "Jensen",
    "Nielsen",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Jonsson",
    "Lindberg",
    "Lindström",
    "Berg",
    "Bergström",
    "Lundqvist",
    "Sandberg",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Holm",
    "Dahl",
    "Haugen",
    "Bakken",
    "Christensen",
    "Sørensen",
    "Rasmussen",
    "Pedersen",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Richter",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "de Jong",
    "Jansen",
    "de Vries",
    "van Dijk",
    "Åberg",
    "Öberg",
    "Ekström",
    "Nyström",
    "Blomqvist",
    "Hedlund",
    "Strand",
    "Lund",
    "Moberg",
    "Fredriksson",
    "Axelsson",
    "Mattsson",
    "Håkansson",
    "Björk",
    "Isaksson",
    "Sundberg",
    "Falk",
    "Söderberg",
    "Nordin",
    "Wikström",
    "Hellström",
    "Lindholm",
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Johan", "Sara", "Per", "Lena",
    "Mikael", "Emma", "Nils", "Ingrid", "Ole", "Kari", "Jens", "Mette", "Thomas", "Julia",
    "Stefan", "Sabine", "Matti", "Aino", "Björn", "Åsa", "Sören", "Jörg", "Léa", "Chloé", "Oskar",
    "Elin", "Hugo", "Freja", "Linnea", "Axel", "Maja", "Ebba", "Viktor",
];

const PLACES: &[&str] = &[
    "Nordic",
    "Stockholm",
    "Göteborg",
    "Malmö",
    "Oslo",
    "Bergen",
    "Aarhus",
    "Helsinki",
    "Uppsala",
    "Västra",
    "Norrlands",
    "Skandia",
    "Baltic",
    "Hamburg",
    "Berlin",
    "Fjord",
    "Polar",
    "Öresund",
    "Mälardalens",
    "Dalarnas",
];

const TRADES: &[&str] = &[
    "Bygg",
    "Consulting",
    "Logistik",
    "Transport",
    "Fastigheter",
    "El",
    "VVS",
    "Måleri",
    "Data",
    "Handel",
    "Maskin",
    "Städ",
    "Revision",
    "Design",
    "Teknik",
    "Entreprenad",
    "Trading",
    "Solutions",
    "Systems",
    "Invest",
    "Livs",
    "Trä",
    "Plåt",
    "Industri",
    "Media",
    "Automation",
    "Energi",
    "Marin",
    "Bil",
    "Café",
];

/// (country, share in percent, legal form, currency, cities)
const COUNTRIES: &[(&str, u64, &str, &str, &[&str])] = &[
    (
        "SE",
        42,
        "AB",
        "SEK",
        &["Stockholm", "Göteborg", "Malmö", "Uppsala", "Umeå", "Luleå"],
    ),
    (
        "NO",
        15,
        "AS",
        "NOK",
        &["Oslo", "Bergen", "Trondheim", "Tromsø"],
    ),
    ("DK", 12, "ApS", "DKK", &["København", "Aarhus", "Odense"]),
    (
        "FI",
        10,
        "Oy",
        "EUR",
        &["Helsinki", "Espoo", "Tampere", "Oulu"],
    ),
    (
        "DE",
        10,
        "GmbH",
        "EUR",
        &["Hamburg", "Berlin", "München", "Köln"],
    ),
    ("GB", 5, "Ltd", "GBP", &["London", "Manchester", "Leeds"]),
    (
        "NL",
        4,
        "B.V.",
        "EUR",
        &["Amsterdam", "Rotterdam", "Utrecht"],
    ),
];

const SOURCES: &[&str] = &["web", "import", "sales", "partner", "event"];
const PARTNER_TYPES: &[&str] = &[
    "city_community",
    "construction",
    "industry",
    "other",
    "private",
];
const WORTH: &[&str] = &[
    "good",
    "good",
    "good",
    "middle",
    "middle",
    "substandard",
    "bad",
];

fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'å' | 'ä' | 'á' | 'à' => 'a',
            'Å' | 'Ä' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'Ö' | 'Ø' => 'o',
            'ü' => 'u',
            'é' | 'è' => 'e',
            'ß' => 's',
            c => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// One demo client document (as a POST body would carry it), for sequence number `n`.
pub fn demo_client(rng: &mut Rng, n: u64) -> Value {
    let r = rng.below(100);
    let mut acc = 0;
    let mut country = COUNTRIES[0];
    for c in COUNTRIES {
        acc += c.1;
        if r < acc {
            country = *c;
            break;
        }
    }
    let (cc, _, form, currency, cities) = country;
    let person = rng.chance(25);
    let surname = rng.zipf(SURNAMES);
    let first = rng.zipf(FIRST_NAMES);
    let mut doc = if person {
        json!({
            "kind": "person",
            "first_name": first,
            "last_name": surname,
            "email": format!("{}.{}{}@{}", ascii_fold(first), ascii_fold(surname), rng.below(100),
                rng.pick(&["gmail.com", "outlook.com", "telia.se", "online.no", "web.de"])),
            "partner_type": "private",
        })
    } else {
        let head = if rng.chance(60) {
            surname
        } else {
            rng.zipf(PLACES)
        };
        let trade = rng.zipf(TRADES);
        let name = format!("{head} {trade} {form}");
        let domain = format!(
            "{}{}.{}",
            ascii_fold(head),
            ascii_fold(trade),
            cc.to_lowercase()
        );
        json!({
            "kind": "organization",
            "name": name,
            "legal_name": if rng.chance(30) { json!(format!("{head} {trade} {form} (publ)")) } else { Value::Null },
            "email": format!("{}@{domain}", rng.pick(&["info", "kontakt", "office", "faktura", "post"])),
            "billing_email": format!("invoice@{domain}"),
            "website": format!("https://www.{domain}"),
            "partner_type": if rng.chance(30) { Value::Null } else { json!(rng.pick(PARTNER_TYPES)) },
        })
    };
    let org_number = match cc {
        "SE" => format!("556{}-{}", rng.digits(3), rng.digits(4)),
        "NO" => format!("9{} {} {}", rng.digits(2), rng.digits(3), rng.digits(3)),
        "DE" => format!("HRB {}", rng.digits(6)),
        _ => rng.digits(8),
    };
    let obj = doc.as_object_mut();
    if let Some(o) = obj {
        o.insert("org_number".into(), json!(org_number));
        o.insert(
            "tax_id".into(),
            json!(format!(
                "{cc}{}{}",
                org_number.replace(['-', ' '], ""),
                "01"
            )),
        );
        o.insert("external_id".into(), json!(format!("ERP-{n:08}")));
        o.insert(
            "account_code".into(),
            json!(format!("K{}", 1000 + rng.below(9000))),
        );
        o.insert(
            "status".into(),
            json!(if rng.chance(88) { "active" } else { "inactive" }),
        );
        o.insert("archived".into(), json!(rng.chance(4)));
        o.insert(
            "phone".into(),
            json!(format!("+{} {}", 40 + rng.below(10), rng.digits(8))),
        );
        o.insert(
            "address".into(),
            if rng.chance(96) {
                json!({
                    "street": format!("{}vägen", rng.zipf(SURNAMES)),
                    "street_number": (1 + rng.below(120)).to_string(),
                    "city": rng.pick(cities),
                    "postal_code": rng.digits(5),
                    "country": cc,
                })
            } else {
                Value::Null
            },
        );
        let credit = if rng.chance(70) {
            let limit = 1000u64 * (1 + rng.below(10).pow(3) + rng.below(1000));
            let used = limit * rng.below(100) / 100;
            json!({
                "limit": limit, "used": used, "currency": currency,
                "payment_terms_days": *[10u64, 14, 30, 30, 30, 45, 60].get(rng.below(7) as usize).unwrap_or(&30),
                "creditworthiness": rng.pick(WORTH),
                "rating": rng.pick(&["AAA", "AA", "A", "B", "C"]),
            })
        } else {
            json!({})
        };
        o.insert("credit".into(), credit);
        o.insert("owner_id".into(), json!(format!("u{}", 1 + rng.below(40))));
        o.insert(
            "salesperson_id".into(),
            json!(format!("s{}", 1 + rng.below(25))),
        );
        o.insert("source".into(), json!(rng.zipf(SOURCES)));
    }
    doc
}

/// Inserts `count` demo clients into the tenant, their creation times spread evenly over the
/// six years before now, oldest first.
pub async fn seed_demo(
    store: &dyn Store,
    ctx: &WriteCtx,
    count: u64,
    seed: u64,
    progress: bool,
) -> Result<u64, String> {
    let bar = if progress {
        ProgressBar::new(count)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} clients ({rate}, eta {eta})",
        )
        .map_err(|e| e.to_string())?
        // indicatif's `{per_sec}` shows four decimals (`1,662.9846/s`).
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        ),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut rng = Rng::new(seed);
    let now_ms = (Timestamp::now().datetime().unix_timestamp_nanos() / 1_000_000) as i64;
    let span_ms: i64 = 6 * 365 * 24 * 3600 * 1000;
    let step = (span_ms / count.max(1) as i64).max(1);
    let start = now_ms - step * count as i64;
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(BATCH as u64);
        let mut rows = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let doc = demo_client(&mut rng, i + 1);
            let data = ClientData::from_json(&doc)
                .map_err(|e| format!("generated an invalid client: {e:?}"))?;
            let ms = start + step * i as i64 + rng.below(step as u64) as i64;
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .map(Timestamp::from_datetime)
                .map_err(|e| e.to_string())?;
            rows.push(Ok(ImportRow {
                line: i + 1,
                data,
                subs: Vec::new(),
                sub_kinds: Vec::new(),
                created_at: Some(at),
            }));
        }
        // The bulk import's path: numbers, search index and audit records as any create.
        let report = service::import_batch(store, ctx, ImportMode::Create, rows)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(e) = report.errors.first() {
            return Err(format!(
                "a demo client was refused: {} {}",
                e.field, e.message
            ));
        }
        done += n;
        bar.set_position(done);
    }
    bar.finish();
    if !bar.is_hidden() {
        // The bar leaves the cursor at the end of its line; what is printed next (the summary,
        // on stdout) must start on a line of its own.
        eprintln!();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_clients_are_valid_and_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for n in 1..=2000 {
            let doc = demo_client(&mut a, n);
            assert_eq!(doc, demo_client(&mut b, n));
            ClientData::from_json(&doc).unwrap_or_else(|e| panic!("{doc}: {e:?}"));
        }
    }

    /// The audit text of a creation, walked from the client's data, is the text of its
    /// document, for every kind of demo client.
    #[test]
    fn demo_clients_audit_texts_are_those_of_their_documents() {
        use clientele_core::audit::{created_changes_text, created_changes_text_of};
        let mut rng = Rng::new(11);
        for n in 1..=2000 {
            let doc = demo_client(&mut rng, n);
            let data = ClientData::from_json(&doc).unwrap_or_else(|e| panic!("{doc}: {e:?}"));
            assert_eq!(
                created_changes_text_of(&data),
                created_changes_text(&data.to_json()),
                "{doc}"
            );
        }
    }
}
