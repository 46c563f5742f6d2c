//! Tenants, API keys and the caller a request runs as.

use serde::Serialize;
use uuid::Uuid;

use crate::enums::Permission;
use crate::types::{CurrencyCode, Invalid, TenantName, Timestamp};

/// The tenant's UUID. Every store call that touches tenant data takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: TenantName,
    /// ISO 4217, `EUR` unless set: the currency a credit amount written without one takes when
    /// its client has none stored (the dialects' currency rule, see `WriteCtx::fill_currency`).
    pub default_currency: CurrencyCode,
    pub created_at: Timestamp,
}

/// A request budget: `count` requests per `per_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub count: u32,
    pub per_seconds: u32,
}

impl RateLimit {
    /// Parses `N/s`, `N/sec`, `N/min`, `N/h` or `N/hour`, with `N` ≥ 1.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_format",
                "must look like 1200/min (units: s, min, h)",
            )
        };
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        let unit = unit.trim();
        let per_seconds = match unit {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(Invalid::new(
                "out_of_range",
                format!("must allow at least 1 request: 0/{unit} would refuse every request"),
            ));
        }
        Ok(Self { count, per_seconds })
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per_seconds {
            1 => "s",
            60 => "min",
            3600 => "h",
            _ => return write!(f, "{}/{}s", self.count, self.per_seconds),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Parses a comma-separated permission list; refuses unknown names and an empty list.
pub fn parse_permissions(s: &str) -> Result<Vec<Permission>, Invalid> {
    let mut out = Vec::new();
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let perm = Permission::parse(p)?;
        if !out.contains(&perm) {
            out.push(perm);
        }
    }
    if out.is_empty() {
        return Err(Invalid::new(
            "required",
            "at least one permission is required",
        ));
    }
    Ok(out)
}

/// An API key as stored: never the plaintext, only its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: Option<String>,
    /// The first characters of the plaintext, to recognise a key in listings.
    pub prefix: String,
    pub permissions: Vec<Permission>,
    pub rate_limit: Option<RateLimit>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// What kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    ApiKey,
    Jwt,
}

/// Who is calling: resolved once per request by the auth layer.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    /// JWT `sub` or API key id; written into audit records.
    pub actor: String,
    pub credential: CredentialKind,
    pub credential_id: String,
    pub permissions: Vec<Permission>,
    pub rate_limit: Option<RateLimit>,
}

impl Caller {
    pub fn has(&self, p: Permission) -> bool {
        self.permissions.contains(&Permission::Admin) || self.permissions.contains(&p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse_common_units() {
        assert_eq!(
            RateLimit::parse("1200/min"),
            Ok(RateLimit {
                count: 1200,
                per_seconds: 60
            })
        );
        assert_eq!(
            RateLimit::parse("5/s").map(|r| r.to_string()),
            Ok("5/s".into())
        );
        let zero = RateLimit::parse("0/min").expect_err("0/min refuses everything");
        assert_eq!(zero.code, "out_of_range");
        assert!(
            zero.message.contains("at least 1 request"),
            "{}",
            zero.message
        );
        assert!(!zero.message.contains("must look like"), "{}", zero.message);
        assert!(RateLimit::parse("ten/min").is_err());
        assert!(RateLimit::parse("10/day").is_err());
    }

    #[test]
    fn permission_lists_refuse_unknown_names() {
        assert_eq!(
            parse_permissions("clients:read, admin,clients:read"),
            Ok(vec![Permission::ClientsRead, Permission::Admin])
        );
        assert!(parse_permissions("clients:read,root").is_err());
        assert!(parse_permissions(" , ").is_err());
    }

    #[test]
    fn the_seed_name_of_clients_read_is_the_same_permission_and_shown_by_ours() {
        assert_eq!(
            Permission::parse("APICLI_CLIENTS_READ"),
            Ok(Permission::ClientsRead)
        );
        assert_eq!(
            parse_permissions("APICLI_CLIENTS_READ,clients:read"),
            Ok(vec![Permission::ClientsRead])
        );
        assert_eq!(Permission::ClientsRead.as_str(), "clients:read");
        assert!(!Permission::ALL.contains(&"APICLI_CLIENTS_READ"));
        // Only that exact name: no case folding, no other vendor names.
        assert!(Permission::parse("apicli_clients_read").is_err());
        assert!(Permission::parse("APICLI_CLIENTS_WRITE").is_err());
    }
}
