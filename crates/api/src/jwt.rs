//! JWT bearer tokens (API.md "Authentication"): one algorithm, pinned by configuration — HS256
//! when a shared secret is configured, RS256 or ES256 when a public key is, detected from the
//! PEM. A token signed any other way, or not at all (`alg: none`), is refused.

use base64::Engine as _;
use clientele_core::enums::Permission;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::config::Secret;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// DER encoding of the P-256 curve's object identifier (1.2.840.10045.3.1.7).
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Verifies tokens with the one configured key and algorithm.
pub struct JwtVerifier {
    algorithm: Algorithm,
    key: DecodingKey,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The claims this server reads, checked one by one so a refusal names the claim and what is
/// wrong with it. `sub`, `tenant` and `exp` are required; `nbf` is honoured.
#[derive(Debug, Clone)]
pub struct Claims {
    pub sub: String,
    /// The tenant's name (slug).
    pub tenant: String,
    pub permissions: Option<Vec<String>>,
    /// Space-separated permissions, the OAuth 2 way.
    pub scope: Option<String>,
}

impl Claims {
    /// The permissions granted. `permissions` and `scope` are never merged: when the token has
    /// a `permissions` claim it alone counts (even an empty one); `scope` is read only when
    /// there is no `permissions`. Names this server does not know (other services' scopes such
    /// as `openid`) grant nothing and are ignored.
    pub fn granted(&self) -> Vec<Permission> {
        let names: Vec<&str> = match (&self.permissions, &self.scope) {
            (Some(list), _) => list.iter().map(String::as_str).collect(),
            (None, Some(scope)) => scope.split_whitespace().collect(),
            (None, None) => Vec::new(),
        };
        let mut out = Vec::new();
        for p in names {
            if let Ok(p) = Permission::parse(p) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// Reads and checks the claims of a verified token at time `now` (seconds since 1970).
    ///
    /// `exp` and `nbf` are NumericDates (RFC 7519 §2): any JSON number of seconds, fractions
    /// allowed (`1767225600.5`); anything else (a string, a boolean, a negative number) is
    /// refused as malformed, which is not the same as missing.
    pub fn from_payload(payload: &Map<String, Value>, now: f64) -> Result<Self, String> {
        let text = |name: &str| -> Result<String, String> {
            match payload.get(name) {
                None | Some(Value::Null) => {
                    Err(format!("the token's claims lack the required claim {name}"))
                }
                Some(Value::String(s)) if s.contains('\0') => Err(format!(
                    "the token's claims are malformed: {name} contains U+0000"
                )),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!(
                    "the token's claims are malformed: {name} must be a string"
                )),
            }
        };
        let sub = text("sub")?;
        if sub.trim().is_empty() {
            return Err("the sub claim is empty".into());
        }
        let tenant = text("tenant")?;
        let permissions = match payload.get("permissions") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(
                        "the token's claims are malformed: permissions must be an array of strings",
                    )?,
            ),
            Some(_) => {
                return Err(
                    "the token's claims are malformed: permissions must be an array of strings"
                        .into(),
                )
            }
        };
        let scope = match payload.get("scope") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err("the token's claims are malformed: scope must be a string".into())
            }
        };
        let leeway = LEEWAY_SECS as f64;
        match numeric_date(payload, "exp")? {
            None => return Err("the token's claims lack the required claim exp".into()),
            Some(exp) if exp + leeway < now => return Err("the token has expired".into()),
            Some(_) => {}
        }
        if let Some(nbf) = numeric_date(payload, "nbf")? {
            if nbf - leeway > now {
                return Err("the token is not valid yet (nbf)".into());
            }
        }
        Ok(Self {
            sub,
            tenant,
            permissions,
            scope,
        })
    }
}

/// A NumericDate claim: absent (`None`), or a finite non-negative number of seconds.
fn numeric_date(payload: &Map<String, Value>, name: &str) -> Result<Option<f64>, String> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(t) if t.is_finite() && t >= 0.0 => Ok(Some(t)),
            _ => Err(format!(
                "the token's claims are malformed: {name} must be a NumericDate (seconds since 1970)"
            )),
        },
        Some(_) => Err(format!(
            "the token's claims are malformed: {name} must be a NumericDate (seconds since 1970), not {}",
            clientele_core::parse::type_name(&payload[name])
        )),
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl JwtVerifier {
    /// HS256 with a shared secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn hs256(secret: &Secret) -> Result<Self, String> {
        if secret.expose().len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes long"
            ));
        }
        Ok(Self {
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
        })
    }

    /// RS256 for an RSA public key, ES256 for a P-256 EC public key (PEM).
    pub fn from_public_key_pem(pem: &[u8]) -> Result<Self, String> {
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Self {
                algorithm: Algorithm::RS256,
                key,
            });
        }
        let key = DecodingKey::from_ec_pem(pem)
            .map_err(|_| "the JWT public key is not a PEM RSA or EC public key".to_string())?;
        let der = pem_body(pem).ok_or("the JWT public key is not valid PEM")?;
        if !der.windows(P256_OID.len()).any(|w| w == P256_OID) {
            return Err("the JWT EC public key must be on curve P-256 (ES256)".into());
        }
        Ok(Self {
            algorithm: Algorithm::ES256,
            key,
        })
    }

    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            Algorithm::HS256 => "HS256",
            Algorithm::RS256 => "RS256",
            Algorithm::ES256 => "ES256",
            _ => "?",
        }
    }

    /// Checks the header (algorithm, no `crit`), the signature, then the claims (`exp`
    /// required, `nbf`); the message says what is wrong.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let header = header_json(token)?;
        let alg = header
            .get("alg")
            .and_then(|a| a.as_str())
            .ok_or_else(|| "the token's header has no alg".to_string())?;
        if alg.eq_ignore_ascii_case("none") {
            return Err("unsigned tokens (alg: none) are refused".into());
        }
        if alg != self.algorithm() {
            return Err(format!(
                "the token is signed with {alg}; this server accepts only {}",
                self.algorithm()
            ));
        }
        // RFC 7515 §4.1.11: a recipient must refuse a token whose `crit` names an extension it
        // does not understand. This server understands none, so any `crit` is refused.
        if header.contains_key("crit") {
            return Err(
                "the token's header lists critical extensions (crit) this server does not understand"
                    .into(),
            );
        }
        // The signature is checked by the library; the claims (including `exp` and `nbf`) here,
        // so that a malformed claim is named as such rather than as missing.
        let mut v = Validation::new(self.algorithm);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let payload = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => "the token's signature is invalid".to_string(),
                ErrorKind::InvalidAlgorithm => format!(
                    "the token's algorithm is not accepted; this server accepts only {}",
                    self.algorithm()
                ),
                ErrorKind::Json(_) => "the token's claims are not a JSON object".to_string(),
                _ => "the token is malformed".to_string(),
            })?;
        Claims::from_payload(&payload, unix_now())
    }
}

/// The header of a token, read before verification to check `alg` and `crit`.
fn header_json(token: &str) -> Result<Map<String, Value>, String> {
    let malformed = || "the token is malformed: expected header.payload.signature".to_string();
    let mut parts = token.split('.');
    let header = parts.next().ok_or_else(malformed)?;
    if parts.count() != 2 {
        return Err(malformed());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| malformed())?;
    serde_json::from_slice(&bytes).map_err(|_| malformed())
}

fn pem_body(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtVerifier::hs256(&Secret::new("short".into())).is_err());
        assert!(JwtVerifier::hs256(&Secret::new("x".repeat(32))).is_ok());
    }

    #[test]
    fn permissions_win_over_scope_and_unknown_names_are_ignored() {
        let mut c = Claims {
            sub: "u".into(),
            tenant: "t".into(),
            permissions: Some(vec!["clients:read".into(), "bogus".into()]),
            scope: Some("openid clients:write clients:read".into()),
        };
        assert_eq!(c.granted(), vec![Permission::ClientsRead]);
        c.permissions = Some(vec![]);
        assert_eq!(c.granted(), vec![]);
        c.permissions = None;
        assert_eq!(
            c.granted(),
            vec![Permission::ClientsWrite, Permission::ClientsRead]
        );
    }

    #[test]
    fn numeric_dates_may_be_fractional_and_malformed_ones_are_named() {
        let payload = |exp: Value| -> Map<String, Value> {
            serde_json::from_value(serde_json::json!({"sub": "u", "tenant": "t", "exp": exp}))
                .expect("object")
        };
        let now = 1_800_000_000.0;
        assert!(Claims::from_payload(&payload(serde_json::json!(1.8e9 + 60.5)), now).is_ok());
        let err = |exp: Value| Claims::from_payload(&payload(exp), now).expect_err("refused");
        assert!(err(serde_json::json!(1.7e9)).contains("expired"));
        for bad in [
            serde_json::json!("1800000060"),
            serde_json::json!(true),
            serde_json::json!(-5),
            serde_json::json!([1]),
        ] {
            let m = err(bad.clone());
            assert!(m.contains("malformed: exp"), "{bad}: {m}");
        }
        let mut p = payload(serde_json::json!(1.8e9 + 60.0));
        p.remove("exp");
        assert!(Claims::from_payload(&p, now)
            .expect_err("missing")
            .contains("lack the required claim exp"));
    }

    #[test]
    fn malformed_tokens_are_explained() {
        let v = JwtVerifier::hs256(&Secret::new("x".repeat(32))).expect("verifier");
        assert!(v
            .verify("abc")
            .expect_err("malformed")
            .contains("malformed"));
        assert!(v
            .verify("a.b.c")
            .expect_err("malformed")
            .contains("malformed"));
    }
}
