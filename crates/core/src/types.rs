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

/// The largest amount: 9 × 10¹⁴, 15 integer digits with 4 fraction digits. Both stores keep the
/// exact text and compare and sort through `amount × 10⁴` in a signed 64-bit integer, which
/// holds amounts up to 922 337 203 685 477.5807 exactly; the limit is the round number below
/// that, which every JSON client also reads exactly (a binary double holds it, unlike the
/// integer maximum with its fraction).
pub const MONEY_MAX: i64 = 900_000_000_000_000;

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
        if d > Decimal::from(MONEY_MAX) {
            return Err(Invalid::new(
                "out_of_range",
                format!("must be at most {MONEY_MAX} (9 × 10^14)"),
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

    /// The amount in units of 10⁻⁴, exact; used for numeric comparison in the store.
    pub fn scaled_e4(&self) -> i64 {
        let mut d = self.0;
        d.rescale(4);
        i64::try_from(d.mantissa()).unwrap_or(i64::MAX)
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

pub fn serialize_decimal<S: Serializer>(d: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let n = serde_json::Number::from_str(&d.to_string()).map_err(serde::ser::Error::custom)?;
    n.serialize(serializer)
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
        let f = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        self.0.format(&f).unwrap_or_default()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            show("900000000000000.0000"),
            Ok("900000000000000.0000".into())
        );
        assert_eq!(show("900000000000000.0001"), Err("out_of_range"));
        assert_eq!(show("1e15"), Err("out_of_range"));
        assert_eq!(
            Money::parse("900000000000000").map(|m| m.scaled_e4()),
            Ok(9_000_000_000_000_000_000)
        );
        assert_eq!(Money::parse("12.5").map(|m| m.scaled_e4()), Ok(125_000));
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
}
