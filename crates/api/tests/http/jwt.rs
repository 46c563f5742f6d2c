//! JWT bearer tokens: HS256, RS256 and ES256, each pinned by configuration; every way a token
//! can be wrong is a 401 that says what is wrong.

use std::sync::Arc;

use base64::Engine as _;
use clientele_api::config::{Config, Secret};
use clientele_api::jwt::JwtVerifier;
use clientele_core::enums::Permission;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Reply, TestApp};

const SECRET: &str = "test-only-secret-of-at-least-32-bytes!!";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn claims(tenant: &str) -> Value {
    json!({"sub": "user-42", "tenant": tenant, "exp": now() + 600,
           "permissions": ["clients:read", "clients:write"]})
}

fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign")
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture("rsa-test-only.key.pem")).expect("rsa key");
    encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign")
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&fixture("ec-test-only.key.pem")).expect("ec key");
    encode(&Header::new(Algorithm::ES256), claims, &key).expect("sign")
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn hs_app() -> Option<TestApp> {
    let jwt = JwtVerifier::hs256(&Secret::new(SECRET.into())).expect("verifier");
    TestApp::spawn_with(Config {
        jwt: Some(Arc::new(jwt)),
        ..Config::default()
    })
    .await
}

async fn pem_app(public: &str) -> Option<TestApp> {
    let jwt = JwtVerifier::from_public_key_pem(&fixture(public)).expect("verifier");
    TestApp::spawn_with(Config {
        jwt: Some(Arc::new(jwt)),
        ..Config::default()
    })
    .await
}

async fn with_bearer(app: &TestApp, path: &str, token: &str) -> Reply {
    app.send(app.http.get(app.url(path)).bearer_auth(token))
        .await
}

/// Asserts a 401 whose message contains `words`.
fn refused(r: &Reply, words: &str) {
    r.error(401, "UNAUTHORIZED");
    let msg = r.body["message"].as_str().unwrap_or("");
    assert!(
        msg.to_lowercase().contains(&words.to_lowercase()),
        "expected {words:?} in {msg:?}"
    );
}

#[tokio::test]
async fn an_hs256_token_authenticates_as_its_subject_in_its_tenant() {
    let Some(app) = hs_app().await else { return };
    let r = with_bearer(&app, "/v1/me", &hs256(&claims("acme"))).await;
    let me = r.data();
    assert_eq!(me["tenant"]["name"], "acme");
    assert_eq!(me["tenant"]["id"], app.tenant.id.0.to_string());
    assert_eq!(me["actor"], "user-42");
    assert_eq!(me["credential"], json!({"type": "jwt", "id": "user-42"}));
    assert_eq!(me["permissions"], json!(["clients:read", "clients:write"]));
    // The actor is written into what the token creates.
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .bearer_auth(hs256(&claims("acme")))
                .header("content-type", "application/json")
                .body(json!({"name": "By token"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_with_the_configured_public_key() {
    let Some(app) = pem_app("rsa-test-only.pub.pem").await else {
        return;
    };
    let r = with_bearer(&app, "/v1/clients", &rs256(&claims("acme"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The same server refuses an ES256 token: the algorithm is pinned.
    refused(
        &with_bearer(&app, "/v1/clients", &es256(&claims("acme"))).await,
        "accepts only RS256",
    );

    let Some(app) = pem_app("ec-test-only.pub.pem").await else {
        return;
    };
    let r = with_bearer(&app, "/v1/clients", &es256(&claims("acme"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    refused(
        &with_bearer(&app, "/v1/clients", &rs256(&claims("acme"))).await,
        "accepts only ES256",
    );
}

#[tokio::test]
async fn an_hs256_token_signed_with_the_public_key_is_refused() {
    // The classic key-confusion attack: the public key used as an HMAC secret.
    let Some(app) = pem_app("rsa-test-only.pub.pem").await else {
        return;
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims("acme"),
        &EncodingKey::from_secret(&fixture("rsa-test-only.pub.pem")),
    )
    .expect("sign");
    refused(
        &with_bearer(&app, "/v1/clients", &token).await,
        "accepts only RS256",
    );
}

#[tokio::test]
async fn unsigned_tokens_are_refused() {
    let Some(app) = hs_app().await else { return };
    for alg in ["none", "None", "NONE"] {
        let token = format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "typ": "JWT"})),
            b64(&claims("acme"))
        );
        refused(&with_bearer(&app, "/v1/clients", &token).await, "alg: none");
    }
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let Some(app) = hs_app().await else { return };
    let token = hs256(&claims("acme"));
    let (head, _) = token.rsplit_once('.').expect("three parts");
    let forged = format!("{head}.{}", b64(&json!("not the signature")));
    refused(
        &with_bearer(&app, "/v1/clients", &forged).await,
        "signature",
    );
    // A valid signature over other claims does not carry over.
    let other = hs256(&json!({"sub": "root", "tenant": "acme", "exp": now() + 600,
                              "permissions": ["admin"]}));
    let payload = other.split('.').nth(1).expect("payload");
    let parts: Vec<&str> = token.split('.').collect();
    let spliced = format!("{}.{payload}.{}", parts[0], parts[2]);
    refused(
        &with_bearer(&app, "/v1/clients", &spliced).await,
        "signature",
    );
    let wrong_secret = encode(
        &Header::new(Algorithm::HS256),
        &claims("acme"),
        &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
    )
    .expect("sign");
    refused(
        &with_bearer(&app, "/v1/clients", &wrong_secret).await,
        "signature",
    );
}

#[tokio::test]
async fn exp_is_required_and_enforced_with_a_small_leeway() {
    let Some(app) = hs_app().await else { return };
    let mut c = claims("acme");
    c["exp"] = json!(now() - 3600);
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&c)).await,
        "expired",
    );
    // Within the leeway (30 s) a just-expired token still passes.
    c["exp"] = json!(now() - 5);
    let r = with_bearer(&app, "/v1/clients", &hs256(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    if let Some(o) = c.as_object_mut() {
        o.remove("exp");
    }
    refused(&with_bearer(&app, "/v1/clients", &hs256(&c)).await, "exp");
    let mut c = claims("acme");
    c["exp"] = json!("tomorrow");
    refused(&with_bearer(&app, "/v1/clients", &hs256(&c)).await, "");
}

#[tokio::test]
async fn nbf_in_the_future_is_refused() {
    let Some(app) = hs_app().await else { return };
    let mut c = claims("acme");
    c["nbf"] = json!(now() + 3600);
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&c)).await,
        "not valid yet",
    );
    c["nbf"] = json!(now() - 10);
    let r = with_bearer(&app, "/v1/clients", &hs256(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn malformed_tokens_and_headers_are_refused() {
    let Some(app) = hs_app().await else { return };
    for token in [
        "",
        "abc",
        "a.b",
        "a.b.c",
        "....",
        "eyJhbGciOiJIUzI1NiJ9.%%%.x",
    ] {
        refused(&with_bearer(&app, "/v1/clients", token).await, "");
    }
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("authorization", "Basic dXNlcjpwYXNz"),
        )
        .await;
    refused(&r, "Bearer");
    // Claims of the wrong shape.
    let mut c = claims("acme");
    c["permissions"] = json!("clients:read");
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&c)).await,
        "claims",
    );
    let mut c = claims("acme");
    if let Some(o) = c.as_object_mut() {
        o.remove("tenant");
    }
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&c)).await,
        "claims",
    );
}

#[tokio::test]
async fn a_token_for_an_unknown_tenant_is_refused() {
    let Some(app) = hs_app().await else { return };
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&claims("nobody"))).await,
        "tenant",
    );
}

#[tokio::test]
async fn bearer_tokens_are_refused_when_no_key_is_configured() {
    let app = spawn_app!();
    refused(
        &with_bearer(&app, "/v1/clients", &hs256(&claims("acme"))).await,
        "not accepted",
    );
}

#[tokio::test]
async fn scope_grants_permissions_like_the_permissions_array() {
    let Some(app) = hs_app().await else { return };
    let c = json!({"sub": "svc", "tenant": "acme", "exp": now() + 60,
                   "scope": "openid clients:read"});
    let r = with_bearer(&app, "/v1/clients", &hs256(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .bearer_auth(hs256(&c))
                .header("content-type", "application/json")
                .body(json!({"name": "X"}).to_string()),
        )
        .await;
    r.error(403, "FORBIDDEN");
    // No permission at all still authenticates, for /v1/me.
    let none = json!({"sub": "svc", "tenant": "acme", "exp": now() + 60});
    let r = with_bearer(&app, "/v1/me", &hs256(&none)).await;
    assert_eq!(r.data()["permissions"], json!([]));
    with_bearer(&app, "/v1/clients", &hs256(&none))
        .await
        .error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_token_and_a_key_together_must_both_be_valid_and_of_one_tenant() {
    let Some(app) = hs_app().await else { return };
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let both = |key: &str, token: &str| {
        app.http
            .get(app.url("/v1/me"))
            .header("x-api-key", key)
            .bearer_auth(token)
    };
    // Same tenant: runs as the token's subject, with what both grant, on the key's budget.
    let r = app.send(both(&reader, &hs256(&claims("acme")))).await;
    let me = r.data();
    assert_eq!(me["actor"], "user-42");
    assert_eq!(me["credential"]["type"], "api_key");
    assert_eq!(me["permissions"], json!(["clients:read"]));
    // Either one invalid: 401.
    let mut expired = claims("acme");
    expired["exp"] = json!(now() - 3600);
    refused(&app.send(both(&reader, &hs256(&expired))).await, "expired");
    refused(
        &app.send(both("ck_wrong", &hs256(&claims("acme")))).await,
        "API key",
    );
    // Different tenants: 401.
    let (_, globex_key) = app.other_tenant("globex").await;
    refused(
        &app.send(both(&globex_key, &hs256(&claims("acme")))).await,
        "different tenants",
    );
}

#[tokio::test]
async fn the_tenant_header_must_match_the_tokens_tenant() {
    let Some(app) = hs_app().await else { return };
    app.other_tenant("globex").await;
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .bearer_auth(hs256(&claims("acme")))
                .header("tenant", "globex"),
        )
        .await;
    r.error(403, "FORBIDDEN");
}

#[tokio::test]
async fn permissions_win_over_scope_and_are_never_merged() {
    let Some(app) = hs_app().await else { return };
    // Both claims: only `permissions` counts, `scope` adds nothing.
    let both = json!({"sub": "svc", "tenant": "acme", "exp": now() + 60,
                      "permissions": ["clients:read"], "scope": "clients:write admin"});
    let me = with_bearer(&app, "/v1/me", &hs256(&both)).await;
    assert_eq!(me.data()["permissions"], json!(["clients:read"]));
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .bearer_auth(hs256(&both))
                .header("content-type", "application/json")
                .body(json!({"name": "X"}).to_string()),
        )
        .await;
    r.error(403, "FORBIDDEN");
    // An empty `permissions` grants nothing, whatever `scope` says.
    let empty = json!({"sub": "svc", "tenant": "acme", "exp": now() + 60,
                       "permissions": [], "scope": "admin"});
    let me = with_bearer(&app, "/v1/me", &hs256(&empty)).await;
    assert_eq!(me.data()["permissions"], json!([]));
}

#[tokio::test]
async fn a_crit_header_is_refused() {
    let Some(app) = hs_app().await else { return };
    let sign = |header: Value| {
        use raw_token::sign_hs256;
        sign_hs256(&header, &claims("acme"))
    };
    let ok = sign(json!({"alg": "HS256", "typ": "JWT"}));
    let r = with_bearer(&app, "/v1/me", &ok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for crit in [json!(["exp"]), json!(["urn:example:ext"]), json!([])] {
        let token = sign(json!({"alg": "HS256", "crit": crit, "urn:example:ext": true}));
        refused(&with_bearer(&app, "/v1/me", &token).await, "crit");
    }
}

#[tokio::test]
async fn key_locating_header_parameters_never_choose_the_key() {
    // jku, x5u, jwk and kid are ignored: the key is the configured one, nothing is fetched
    // (OWASP API7, API10). A token signed with another key is refused whatever they say.
    let Some(app) = hs_app().await else { return };
    let header = json!({"alg": "HS256", "kid": "other", "jku": "http://127.0.0.1:9/jwks.json",
                        "x5u": "http://127.0.0.1:9/cert.pem"});
    let ok = raw_token::sign_hs256(&header, &claims("acme"));
    let r = with_bearer(&app, "/v1/me", &ok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let forged = raw_token::sign_hs256_with(
        "another-secret-of-at-least-32-bytes!!!!",
        &header,
        &claims("acme"),
    );
    refused(&with_bearer(&app, "/v1/me", &forged).await, "signature");
}

#[tokio::test]
async fn exp_is_a_numeric_date_fractions_allowed_and_malformed_ones_are_named() {
    let Some(app) = hs_app().await else { return };
    let mut c = claims("acme");
    // RFC 7519 NumericDate: a fractional number of seconds is a time like any other.
    c["exp"] = json!(now() as f64 + 600.5);
    let r = with_bearer(&app, "/v1/me", &hs256(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    c["exp"] = json!(1.7e9);
    refused(&with_bearer(&app, "/v1/me", &hs256(&c)).await, "expired");
    for bad in [
        json!("tomorrow"),
        json!((now() + 600).to_string()),
        json!(true),
        json!(-1),
    ] {
        c["exp"] = bad.clone();
        refused(
            &with_bearer(&app, "/v1/me", &hs256(&c)).await,
            "malformed: exp",
        );
    }
    c["exp"] = json!(now() + 600);
    c["nbf"] = json!("yesterday");
    refused(
        &with_bearer(&app, "/v1/me", &hs256(&c)).await,
        "malformed: nbf",
    );
}

#[tokio::test]
async fn a_subject_or_tenant_holding_nul_is_refused_as_malformed() {
    let Some(app) = hs_app().await else { return };
    let mut c = claims("acme");
    c["sub"] = json!("user\u{0}42");
    refused(
        &with_bearer(&app, "/v1/me", &hs256(&c)).await,
        "malformed: sub",
    );
    let mut c = claims("acme");
    c["tenant"] = json!("ac\u{0}me");
    refused(
        &with_bearer(&app, "/v1/me", &hs256(&c)).await,
        "malformed: tenant",
    );
}

/// Signs tokens with arbitrary headers, which `jsonwebtoken::Header` cannot express (`crit`).
mod raw_token {
    use super::{b64, SECRET};
    use jsonwebtoken::crypto::sign;
    use jsonwebtoken::{Algorithm, EncodingKey};
    use serde_json::Value;

    pub fn sign_hs256(header: &Value, claims: &Value) -> String {
        sign_hs256_with(SECRET, header, claims)
    }

    pub fn sign_hs256_with(secret: &str, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let sig = sign(
            input.as_bytes(),
            &EncodingKey::from_secret(secret.as_bytes()),
            Algorithm::HS256,
        )
        .expect("sign");
        format!("{input}.{sig}")
    }
}

#[tokio::test]
async fn the_seed_name_apicli_clients_read_grants_clients_read_in_either_claim() {
    let Some(app) = hs_app().await else { return };
    for c in [
        json!({"sub": "svc", "tenant": "acme", "exp": now() + 60,
               "permissions": ["APICLI_CLIENTS_READ"]}),
        json!({"sub": "svc", "tenant": "acme", "exp": now() + 60,
               "scope": "openid APICLI_CLIENTS_READ"}),
    ] {
        let me = with_bearer(&app, "/v1/me", &hs256(&c)).await;
        assert_eq!(me.data()["permissions"], json!(["clients:read"]), "{c}");
        let r = with_bearer(&app, "/v1/clients", &hs256(&c)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .send(
                app.http
                    .post(app.url("/v1/clients"))
                    .bearer_auth(hs256(&c))
                    .header("content-type", "application/json")
                    .body(json!({"name": "X"}).to_string()),
            )
            .await;
        r.error(403, "FORBIDDEN");
    }
}
