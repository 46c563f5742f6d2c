//! Newtypes that can only hold valid values: parse once at the edge, trust everywhere after.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::codes::{COUNTRIES, CURRENCIES};

/// Why a raw value was refused: a machine code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
            /// A value read back from the store, where only values that passed `parse` are
            /// written: taken as it is, without validating it again.
            pub fn trusted(s: String) -> Self {
                Self(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn check_len(s: &str, max: usize) -> Result<(), Invalid> {
    let n = s.chars().count();
    if n > max {
        return Err(Invalid::new(
            "too_long",
            format!("must be at most {max} characters (got {n})"),
        ));
    }
    Ok(())
}

string_newtype!(
    /// An e-mail address: one `@`, a non-empty local part, a dotted domain, ≤ 254 characters.
    Email
);

impl Email {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        check_len(s, 254)?;
        let bad = || Invalid::new("invalid_format", "must be a valid e-mail address");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
        if local_ok && domain_ok {
            Ok(Self(s.to_string()))
        } else {
            Err(bad())
        }
    }
}

string_newtype!(
    /// A phone or fax number: digits, spaces and `+ - ( ) .`, at least one digit, ≤ 32 characters.
    Phone
);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        check_len(s, 32)?;
        let ok = s.chars().any(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid::new(
                "invalid_format",
                "may contain only digits, spaces and + - ( ) .",
            ))
        }
    }
}

string_newtype!(
    /// An absolute `http` or `https` URL with a host, ≤ 2048 characters.
    HttpUrl
);

impl HttpUrl {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        check_len(s, 2048)?;
        let bad = || Invalid::new("invalid_format", "must be an absolute http(s) URL");
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(bad)?;
        let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host_port.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        if host.is_empty()
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
            || !host
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '[' || c == ']')
        {
            return Err(bad());
        }
        Ok(Self(s.to_string()))
    }
}

string_newtype!(
    /// ISO 3166-1 alpha-2 country code, upper-cased.
    CountryCode
);

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let up = s.trim().to_ascii_uppercase();
        if COUNTRIES.binary_search(&up.as_str()).is_ok() {
            Ok(Self(up))
        } else {
            Err(Invalid::new(
                "invalid_format",
                "must be an ISO 3166-1 alpha-2 country code, e.g. SE",
            ))
        }
    }
}

string_newtype!(
    /// ISO 4217 currency code, upper-cased.
    CurrencyCode
);

impl CurrencyCode {
    /// `EUR`: a tenant's default currency unless another is set.
    pub fn eur() -> Self {
        Self("EUR".into())
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let up = s.trim().to_ascii_uppercase();
        if CURRENCIES.binary_search(&up.as_str()).is_ok() {
            Ok(Self(up))
        } else {
            Err(Invalid::new(
                "invalid_format",
                "must be an ISO 4217 currency code, e.g. EUR",
            ))
        }
    }
}

string_newtype!(
    /// A tenant slug: `[a-z0-9][a-z0-9-]{0,62}`.
    TenantName
);

impl TenantName {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid::new(
                "invalid_format",
                "must match [a-z0-9][a-z0-9-]{0,62}",
            ))
        }
    }
}

/// A non-negative amount of money, exact, with 2 to 4 fraction digits (fewer are padded to 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(Decimal);

/// The largest amount in units of 10⁻⁴: 999 999 999 999 999.9999, 15 integer digits with 4
/// fraction digits ([`money_max`]).
pub const MONEY_MAX_E4: i128 = 9_999_999_999_999_999_999;

/// The largest amount, 999999999999999.9999.
pub fn money_max() -> Decimal {
    Decimal::from_i128_with_scale(MONEY_MAX_E4, 4)
}

/// The stores compare and sort amounts through one signed 64-bit integer column per amount
/// (`credit_limit_e4`, beside the exact text): the amount in units of 10⁻⁴ less this offset.
/// Amounts run from 0 to 10¹⁹ − 1 units, more than an `i64` holds (≤ 9.2 × 10¹⁸); shifted
/// down by 5 × 10¹⁸ they run from −5 × 10¹⁸ to 5 × 10¹⁸ − 1, which it holds, in the same
/// order. A decimal offset keeps the SQL that reads keys back (the range buckets of
/// `migrations/sqlite/0025_money_keys.sql`) in plain integer arithmetic without overflow.
pub const MONEY_KEY_OFFSET: i128 = 5_000_000_000_000_000_000;

/// The store key of an amount of `e4` units of 10⁻⁴ (negative ones too), if an `i64` holds it.
pub fn money_key_of_e4(e4: i128) -> Option<i64> {
    i64::try_from(e4.checked_sub(MONEY_KEY_OFFSET)?).ok()
}

/// The amount in units of 10⁻⁴ that a store key stands for.
pub fn money_e4_of_key(key: i64) -> i128 {
    i128::from(key) + MONEY_KEY_OFFSET
}

/// The store key to compare amounts with a decimal `d` (a filter literal), if it has at most 4
/// fraction digits. Any decimal has one, of any size: one beyond the amounts an amount can be
/// (below 0, above [`money_max`]) takes the key just beyond them, which compares with every
/// stored key as the decimal itself does.
pub fn money_key(d: Decimal) -> Option<i64> {
    let d = d.normalize();
    let frac = 4u32.checked_sub(d.scale())?;
    // |mantissa| < 2⁹⁶, so × 10⁴ fits an i128.
    let e4 = (d.mantissa() * 10i128.pow(frac)).clamp(-1, MONEY_MAX_E4 + 1);
    money_key_of_e4(e4)
}

impl Money {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let d = Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map_err(|_| Invalid::new("invalid_format", "must be a decimal number"))?;
        Self::from_decimal(d)
    }

    pub fn from_decimal(mut d: Decimal) -> Result<Self, Invalid> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(Invalid::new(
                "out_of_range",
                "must be greater than or equal to 0",
            ));
        }
        d.set_sign_positive(true);
        if d.scale() > 4 {
            let n = d.normalize();
            if n.scale() > 4 {
                return Err(Invalid::new(
                    "too_many_decimals",
                    "must have at most 4 fraction digits",
                ));
            }
            d = n;
        }
        if d > money_max() {
            return Err(Invalid::new(
                "out_of_range",
                format!(
                    "must be at most {} (15 integer digits, 4 fraction digits)",
                    money_max()
                ),
            ));
        }
        if d.scale() < 2 {
            d.rescale(2);
        }
        Ok(Self(d))
    }

    pub fn decimal(&self) -> Decimal {
        self.0
    }

    /// The amount's store key ([`money_key`]), exact; the stores compare and sort through it.
    pub fn key(&self) -> i64 {
        money_key(self.0).unwrap_or(i64::MAX)
    }

    /// `self - other`, or `None` when it would be negative.
    pub fn checked_sub(&self, other: &Money) -> Option<Decimal> {
        self.0.checked_sub(other.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Money is written as a JSON number with its exact digits (never through `f64`).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_decimal(&self.0, serializer)
    }
}

/// A decimal as a JSON number with its exact digits, as `serde_json::Number` (with its
/// `arbitrary_precision` feature) writes the digits of `d.to_string()`, for any serializer.
/// The digits of a non-negative decimal are written into a stack buffer ([`decimal_text`])
/// instead of through `Decimal`'s `Display` (a 96-bit division per digit), a `String` and
/// `Number`'s parse of it; the others (negative ones) take that general way.
pub fn serialize_decimal<S: Serializer>(d: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut buf = [0u8; DECIMAL_TEXT_BYTES];
    let Some(text) = decimal_text(d, &mut buf) else {
        let n = serde_json::Number::from_str(&d.to_string()).map_err(serde::ser::Error::custom)?;
        return n.serialize(serializer);
    };
    // What `serde_json::Number::serialize` does with its digits under `arbitrary_precision`.
    let mut s = serializer.serialize_struct(JSON_NUMBER_TOKEN, 1)?;
    s.serialize_field(JSON_NUMBER_TOKEN, text)?;
    s.end()
}

/// `d` appended to `out` as [`serialize_decimal`] writes it into JSON (the same digits), without
/// a serializer: the client document's writer (`crate::document`).
pub fn write_decimal_json(d: &Decimal, out: &mut Vec<u8>) {
    let mut buf = [0u8; DECIMAL_TEXT_BYTES];
    match decimal_text(d, &mut buf) {
        Some(text) => out.extend_from_slice(text.as_bytes()),
        None => {
            let _ = serialize_decimal(d, &mut serde_json::Serializer::new(out));
        }
    }
}

/// The name under which `serde_json` (`arbitrary_precision`) passes a number's digits through
/// a serializer (`serde_json::Number`'s own `Serialize`; `rust_decimal` uses it too).
const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Room for the digits of any decimal (at most 29), a leading `0` and the point.
const DECIMAL_TEXT_BYTES: usize = 40;

/// `d.to_string()` written into `buf`, for a decimal that is not negative and not an integer
/// zero (`None` for those: the caller takes `Display`'s way).
fn decimal_text<'a>(d: &Decimal, buf: &'a mut [u8; DECIMAL_TEXT_BYTES]) -> Option<&'a str> {
    let scale = d.scale() as usize;
    let mut m = u128::try_from(d.mantissa()).ok()?;
    if d.is_sign_negative() || (m == 0 && scale == 0) {
        return None;
    }
    // Digits from the right; at least one before the point.
    let mut at = buf.len();
    let mut digits = 0usize;
    while m > 0 || digits <= scale {
        if digits == scale && scale > 0 {
            at -= 1;
            buf[at] = b'.';
        }
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        digits += 1;
    }
    std::str::from_utf8(&buf[at..]).ok()
}

/// A UTC instant, written as RFC 3339 with milliseconds and `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Truncated to milliseconds so that what is stored equals what is shown.
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        let t = t.to_offset(UtcOffset::UTC);
        let ms = t.millisecond();
        Self(t.replace_millisecond(ms).unwrap_or(t))
    }

    /// A value as the store writes it ([`to_rfc3339`](Self::to_rfc3339):
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`) read without the general RFC 3339 parser; any other form goes
    /// through [`parse`](Self::parse).
    pub fn parse_stored(s: &str) -> Result<Self, Invalid> {
        Self::parse_canonical(s.as_bytes()).map_or_else(|| Self::parse(s), Ok)
    }

    fn parse_canonical(b: &[u8]) -> Option<Self> {
        if b.len() != 24
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'.'
            || b[23] != b'Z'
        {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<u32> {
            b[from..to].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let year = i32::try_from(num(0, 4)?).ok()?;
        let month = time::Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
        let day = u8::try_from(num(8, 10)?).ok()?;
        let date = Date::from_calendar_date(year, month, day).ok()?;
        let time = time::Time::from_hms_milli(
            u8::try_from(num(11, 13)?).ok()?,
            u8::try_from(num(14, 16)?).ok()?,
            u8::try_from(num(17, 19)?).ok()?,
            u16::try_from(num(20, 23)?).ok()?,
        )
        .ok()?;
        Some(Self(date.with_time(time).assume_utc()))
    }

    /// Accepts any RFC 3339 value, or a plain date (midnight UTC).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Ok(Self::from_datetime(t));
        }
        let date_fmt = format_description!("[year]-[month]-[day]");
        if let Ok(d) = Date::parse(s, &date_fmt) {
            return Ok(Self(d.midnight().assume_utc()));
        }
        Err(Invalid::new(
            "invalid_format",
            "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)",
        ))
    }

    pub fn datetime(&self) -> OffsetDateTime {
        self.0
    }

    /// This instant shifted by `seconds` (negative = earlier).
    pub fn plus_seconds(&self, seconds: i64) -> Self {
        Self(self.0 + time::Duration::seconds(seconds))
    }

    /// Fixed-width text form; sorts lexicographically in time order.
    pub fn to_rfc3339(&self) -> String {
        let mut buf = [0u8; 24];
        if let Some(s) = self
            .write_canonical(&mut buf)
            .and_then(|()| std::str::from_utf8(&buf).ok())
        {
            return s.to_owned();
        }
        let f = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        self.0.format(&f).unwrap_or_default()
    }
}

impl Timestamp {
    /// [`to_rfc3339`](Self::to_rfc3339) written into `out` without an allocation; `None` for a
    /// year outside 0..=9999 (the general formatter then writes it).
    fn write_canonical(&self, out: &mut [u8; 24]) -> Option<()> {
        let t = self.0;
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(t.month())));
        put(8, 2, u32::from(t.day()));
        put(11, 2, u32::from(t.hour()));
        put(14, 2, u32::from(t.minute()));
        put(17, 2, u32::from(t.second()));
        put(20, 3, u32::from(t.millisecond()));
        for (i, c) in [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (23, b'Z'),
        ] {
            out[i] = c;
        }
        Some(())
    }
}

impl Timestamp {
    /// The instant appended to `out` as a JSON string, as its `Serialize` writes it into JSON
    /// (the text is ASCII digits and `-:.TZ+`, which JSON never escapes).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 24];
        out.push(b'"');
        match self.write_canonical(&mut buf) {
            Some(()) => out.extend_from_slice(&buf),
            None => out.extend_from_slice(self.to_rfc3339().as_bytes()),
        }
        out.push(b'"');
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        match self
            .write_canonical(&mut buf)
            .map(|()| std::str::from_utf8(&buf))
        {
            Some(Ok(s)) => serializer.serialize_str(s),
            _ => serializer.serialize_str(&self.to_rfc3339()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_serialize_to_the_digits_of_their_display() {
        let slow = |d: &Decimal| {
            serde_json::to_string(&serde_json::Number::from_str(&d.to_string()).expect("number"))
                .expect("json")
        };
        let fast = |d: &Decimal| {
            let mut out = Vec::new();
            serialize_decimal(d, &mut serde_json::Serializer::new(&mut out)).expect("json");
            String::from_utf8(out).expect("utf-8")
        };
        let mut cases: Vec<Decimal> = [
            "0",
            "0.00",
            "0.0001",
            "0.05",
            "1",
            "1.00",
            "10.10",
            "123.4567",
            "-0.00",
            "-1.50",
            "999999999999999.9999",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "12345678901234567890.12345678",
        ]
        .iter()
        .map(|s| Decimal::from_str(s).expect(s))
        .collect();
        // Every scale of a spread of mantissas, as amounts and differences of amounts are.
        let mut m: i128 = 1;
        while m < 10i128.pow(28) {
            for scale in [0, 1, 2, 3, 4, 8, 28] {
                cases.push(Decimal::from_i128_with_scale(m, scale));
                cases.push(Decimal::from_i128_with_scale(m * 7 + 3, scale));
            }
            m *= 13;
        }
        for d in &cases {
            assert_eq!(fast(d), slow(d), "{d:?}");
        }
        let amount = |s: &str| {
            let m = Money::parse(s).expect(s);
            (
                serde_json::to_string(&m).expect("json"),
                serde_json::to_value(m).expect("value"),
            )
        };
        assert_eq!(amount("5").0, "5.00");
        assert_eq!(amount("0.1234").0, "0.1234");
        assert_eq!(amount("1000.5").1.to_string(), "1000.50");
    }

    #[test]
    fn email_accepts_ordinary_addresses_and_refuses_broken_ones() {
        assert!(Email::parse("anna.berg+crm@example.co.uk").is_ok());
        assert_eq!(
            Email::parse(" a@b.se ").map(|e| e.into_inner()),
            Ok("a@b.se".into())
        );
        for bad in [
            "", "a", "a@", "@b.se", "a@b", "a@@b.se", "a b@c.se", "a@b..se", ".a@b.se", "a@b.s1",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).map_err(|e| e.code), Err("too_long"));
    }

    #[test]
    fn phone_allows_only_the_documented_characters() {
        assert!(Phone::parse("+46 (0)8-123.456").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("+-()").is_err());
        assert_eq!(
            Phone::parse(&"1".repeat(33)).map_err(|e| e.code),
            Err("too_long")
        );
    }

    #[test]
    fn url_must_be_absolute_http() {
        assert!(HttpUrl::parse("https://example.com/logo.png").is_ok());
        assert!(HttpUrl::parse("http://localhost:8080").is_ok());
        for bad in [
            "ftp://x.se",
            "example.com",
            "https://",
            "https:// x.se",
            "javascript:alert(1)",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_are_checked_against_the_iso_lists_and_upper_cased() {
        assert_eq!(
            CountryCode::parse("se").map(|c| c.into_inner()),
            Ok("SE".into())
        );
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("SWE").is_err());
        assert_eq!(
            CurrencyCode::parse("eur").map(|c| c.into_inner()),
            Ok("EUR".into())
        );
        assert!(CurrencyCode::parse("EURO").is_err());
        assert!(
            COUNTRIES.windows(2).all(|w| w[0] < w[1]),
            "COUNTRIES must stay sorted"
        );
        assert!(
            CURRENCIES.windows(2).all(|w| w[0] < w[1]),
            "CURRENCIES must stay sorted"
        );
    }

    #[test]
    fn tenant_names_follow_the_slug_rule() {
        assert!(TenantName::parse("acme-2").is_ok());
        assert!(TenantName::parse(&"a".repeat(63)).is_ok());
        for bad in ["", "-acme", "Acme", "acme_x", &"a".repeat(64)] {
            assert!(TenantName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_keeps_given_digits_pads_to_two_and_refuses_more_than_four() {
        let show = |s: &str| Money::parse(s).map(|m| m.to_string()).map_err(|e| e.code);
        assert_eq!(show("1000"), Ok("1000.00".into()));
        assert_eq!(show("1000.5"), Ok("1000.50".into()));
        assert_eq!(show("1000.125"), Ok("1000.125".into()));
        assert_eq!(show("0.1234"), Ok("0.1234".into()));
        assert_eq!(show("0.12340"), Ok("0.1234".into()));
        assert_eq!(show("0.12345"), Err("too_many_decimals"));
        assert_eq!(show("-1"), Err("out_of_range"));
        assert_eq!(show("1e3"), Ok("1000.00".into()));
        assert_eq!(show("1000000000000"), Ok("1000000000000.00".into()));
        assert_eq!(
            show("12345678901234.5678"),
            Ok("12345678901234.5678".into())
        );
        assert_eq!(
            show("999999999999999.9999"),
            Ok("999999999999999.9999".into())
        );
        assert_eq!(
            show("999999999999999.99990"),
            Ok("999999999999999.9999".into())
        );
        assert_eq!(show("1000000000000000"), Err("out_of_range"));
        assert_eq!(show("1e15"), Err("out_of_range"));
        assert_eq!(
            Money::parse("1000000000000000").map_err(|e| e.message),
            Err(
                "must be at most 999999999999999.9999 (15 integer digits, 4 fraction digits)"
                    .into()
            )
        );
    }

    #[test]
    fn money_keys_keep_the_order_of_every_amount_in_an_i64() {
        let key = |s: &str| Money::parse(s).map(|m| m.key()).expect(s);
        assert_eq!(key("0"), -5_000_000_000_000_000_000);
        assert_eq!(key("12.5"), 125_000 - 5_000_000_000_000_000_000);
        assert_eq!(key("500000000000000"), 0);
        assert_eq!(key("999999999999999.9999"), 4_999_999_999_999_999_999);
        let amounts = [
            "0",
            "0.0001",
            "1",
            "922337203685477.5807",
            "922337203685477.5808",
            "999999999999999.9998",
            "999999999999999.9999",
        ];
        let keys: Vec<i64> = amounts.iter().map(|a| key(a)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        for k in keys {
            assert_eq!(money_key_of_e4(money_e4_of_key(k)), Some(k));
        }
        // Literals beyond the amounts compare as themselves with every stored key.
        let lit = |s: &str| money_key(Decimal::from_str(s).expect(s));
        assert_eq!(lit("-1.5"), Some(key("0") - 1));
        assert_eq!(lit("1e20"), Some(key("999999999999999.9999") + 1));
        assert_eq!(lit("1000000000000000"), lit("1e20"));
        assert_eq!(lit("1.00001"), None);
        assert_eq!(lit("1.000100"), Some(key("1.0001")));
    }

    #[test]
    fn money_serializes_as_an_exact_json_number() {
        let m = Money::parse("0.10").expect("valid");
        assert_eq!(serde_json::to_string(&m).expect("json"), "0.10");
    }

    #[test]
    fn timestamps_accept_rfc3339_and_dates_and_print_fixed_width_utc() {
        let t = Timestamp::parse("2026-11-23T11:15:00.123456+01:00").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-11-23T10:15:00.123Z");
        let d = Timestamp::parse("2026-11-23").expect("valid");
        assert_eq!(d.to_rfc3339(), "2026-11-23T00:00:00.000Z");
        assert!(Timestamp::parse("23/11/2026").is_err());
    }

    /// `to_rfc3339` writes the fixed-width form by hand; the general formatter agrees on
    /// instants all over the years it covers (and writes the years beyond).
    #[test]
    fn the_written_text_is_the_general_formatters() {
        let general = |t: &Timestamp| {
            let f = format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            );
            t.0.format(&f).expect("format")
        };
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut instants = vec![
            time::OffsetDateTime::UNIX_EPOCH,
            time::PrimitiveDateTime::MIN.assume_utc(),
            time::PrimitiveDateTime::MAX.assume_utc(),
        ];
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Milliseconds from year -9999 to 9999.
            let ms = (x % 620_000_000_000_000) as i128 - 370_000_000_000_000;
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000);
            instants.push(at.expect("in range"));
        }
        for at in instants {
            let t = Timestamp(at);
            assert_eq!(t.to_rfc3339(), general(&t), "{at}");
        }
    }

    #[test]
    fn stored_timestamps_read_and_serialize_as_the_general_path_does() {
        for s in [
            "2026-11-23T10:15:00.123Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "0001-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            let fast = Timestamp::parse_stored(s).expect("valid");
            assert_eq!(fast, Timestamp::parse(s).expect("valid"), "{s}");
            assert_eq!(
                serde_json::to_string(&fast).expect("json"),
                format!("\"{s}\"")
            );
            assert_eq!(fast.to_rfc3339(), s);
        }
        // Anything else takes the general parser, with its answer.
        for s in [
            "2026-11-23",
            "2026-11-23T11:15:00.123456+01:00",
            "2026-11-23T10:15:00Z",
        ] {
            assert_eq!(Timestamp::parse_stored(s), Timestamp::parse(s), "{s}");
        }
        for s in [
            "2026-02-30T00:00:00.000Z",
            "2026-11-23T24:00:00.000Z",
            "2026-1a-23T10:15:00.123Z",
        ] {
            assert!(Timestamp::parse_stored(s).is_err(), "{s}");
        }
        let t = Timestamp::parse("2026-11-23T11:15:00.5+01:00").expect("valid");
        assert_eq!(
            serde_json::to_string(&t).expect("json"),
            "\"2026-11-23T10:15:00.500Z\""
        );
    }
}
