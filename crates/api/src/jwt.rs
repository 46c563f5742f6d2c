//! JWT bearer tokens (API.md "Authentication"): one algorithm, pinned by configuration — HS256
//! when a shared secret is configured, RS256 or ES256 when a public key is, detected from the
//! PEM. A token signed any other way, or not at all (`alg: none`), is refused.

use base64::Engine as _;
use clientele_core::enums::Permission;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

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

/// The claims this server reads. `exp` and `sub` are required; `nbf` is honoured.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// The tenant's name (slug).
    pub tenant: String,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    /// Space-separated permissions, the OAuth 2 way.
    #[serde(default)]
    pub scope: Option<String>,
}

impl Claims {
    /// The permissions granted: the union of `permissions` and `scope`. Names this server does
    /// not know (other services' scopes such as `openid`) grant nothing and are ignored.
    pub fn granted(&self) -> Vec<Permission> {
        let from_scope = self.scope.iter().flat_map(|s| s.split_whitespace());
        let from_list = self.permissions.iter().flatten().map(String::as_str);
        let mut out = Vec::new();
        for p in from_list.chain(from_scope) {
            if let Ok(p) = Permission::parse(p) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }
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

    /// Checks signature, algorithm, `exp` (required) and `nbf`; the message says what is wrong.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let alg = header_alg(token)?;
        if alg.eq_ignore_ascii_case("none") {
            return Err("unsigned tokens (alg: none) are refused".into());
        }
        if alg != self.algorithm() {
            return Err(format!(
                "the token is signed with {alg}; this server accepts only {}",
                self.algorithm()
            ));
        }
        let mut v = Validation::new(self.algorithm);
        v.leeway = LEEWAY_SECS;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = false;
        v.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => "the token's signature is invalid".to_string(),
                ErrorKind::ExpiredSignature => "the token has expired".to_string(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_string(),
                ErrorKind::MissingRequiredClaim(c) => {
                    format!("the token lacks the required claim {c}")
                }
                ErrorKind::InvalidAlgorithm => format!(
                    "the token's algorithm is not accepted; this server accepts only {}",
                    self.algorithm()
                ),
                ErrorKind::Json(_) => {
                    "the token's claims are malformed (need sub, tenant, exp)".to_string()
                }
                _ => "the token is malformed".to_string(),
            })
    }
}

/// The `alg` of a token's header, read before verification only to explain a refusal.
fn header_alg(token: &str) -> Result<String, String> {
    let malformed = || "the token is malformed: expected header.payload.signature".to_string();
    let mut parts = token.split('.');
    let header = parts.next().ok_or_else(malformed)?;
    if parts.count() != 2 {
        return Err(malformed());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| malformed())?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    json.get("alg")
        .and_then(|a| a.as_str())
        .map(str::to_string)
        .ok_or_else(|| "the token's header has no alg".to_string())
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
    fn scope_and_permissions_are_united_and_unknown_names_ignored() {
        let c = Claims {
            sub: "u".into(),
            tenant: "t".into(),
            permissions: Some(vec!["clients:read".into(), "bogus".into()]),
            scope: Some("openid clients:write clients:read".into()),
        };
        assert_eq!(
            c.granted(),
            vec![Permission::ClientsRead, Permission::ClientsWrite]
        );
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
