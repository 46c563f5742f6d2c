//! The console's HTML, written with maud: every interpolated value is escaped by the template
//! engine, so nothing a client record holds can become markup. No inline scripts or styles (the
//! Content-Security-Policy forbids them); interactivity is htmx attributes on plain forms and
//! links, which work without JavaScript too.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clientele_core::audit::AuditRecord;
use clientele_core::enums::{ClientKind, ClientStatus, Creditworthiness, Permission};
use clientele_core::store::AuditPage;
use clientele_core::sub::SubResource;
use clientele_core::{ApiKey, Client, FieldError};
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use super::assets;
use super::forms::{self, Field, Input, Section, Values};
use super::session::{Signed, CSRF_FIELD};
use crate::error::ApiError;

/// An HTML response.
pub fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        markup.into_string(),
    )
        .into_response()
}

/// `303 See Other` to a console path (after a change, so a reload never repeats it).
pub fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from pairs, empty values left out.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn csrf(signed: &Signed) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(signed.csrf); }
}

/// Which part of the console a page belongs to, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Clients,
    New,
    Keys,
    None,
}

/// The frame of every page.
pub fn page(title: &str, signed: Option<&Signed>, nav: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                // htmx: no eval, no inline styles (the CSP forbids both), and no copies of pages
                // in localStorage (they hold client data and the CSRF token).
                meta name="htmx-config" content=r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"selfRequestsOnly":true}"#;
                title { (title) " · Clientele" }
                link rel="stylesheet" href=(assets::url("console.css"));
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
                script src=(assets::url("htmx.min.js")) defer {}
            }
            body hx-history="false" {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console/clients" { "Clientele" }
                    @if let Some(s) = signed {
                        nav aria-label="Main" {
                            a href="/console/clients" aria-current=[(nav == Nav::Clients).then_some("page")] { "Clients" }
                            @if s.caller.has(Permission::ClientsWrite) {
                                a href="/console/clients/new" aria-current=[(nav == Nav::New).then_some("page")] { "New client" }
                            }
                            @if s.caller.has(Permission::Admin) {
                                a href="/console/keys" aria-current=[(nav == Nav::Keys).then_some("page")] { "API keys" }
                            }
                        }
                        div.who {
                            span title=(permissions_text(&s.caller.permissions)) {
                                (s.caller.tenant.name.as_str()) " · " (short_actor(&s.caller.actor))
                                @if !s.caller.has(Permission::ClientsWrite) { " · read-only" }
                            }
                            form method="post" action="/console/sign-out" {
                                (csrf(s))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

fn permissions_text(p: &[Permission]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

fn short_actor(actor: &str) -> String {
    if actor.chars().count() > 16 && uuid::Uuid::parse_str(actor).is_ok() {
        format!("key {}…", &actor[..8])
    } else {
        actor.to_string()
    }
}

/// A page for an error the API would have answered with the same status and message.
pub fn error_page(signed: Option<&Signed>, e: &ApiError) -> Response {
    let title = match e.status.as_u16() {
        403 => "Not allowed",
        404 => "Not found",
        429 => "Too many requests",
        503 => "Unavailable",
        s if s >= 500 => "Something went wrong",
        _ => "That did not work",
    };
    let body = html! {
        h1 { (title) }
        p.alert role="alert" { (e.message) }
        @if !e.details.is_empty() {
            ul { @for d in &e.details { li { code { (d.field) } " " (d.message) } } }
        }
        p { a href="/console/clients" { "Back to the clients" } }
    };
    let mut res = html(e.status, page(title, signed, Nav::None, body));
    for (k, v) in &e.headers {
        res.headers_mut().insert(k.clone(), v.clone());
    }
    res
}

// ---- sign-in ---------------------------------------------------------------------------------

pub fn sign_in(notice: Option<&str>, error: Option<&str>, next: &str) -> Markup {
    let notice = match notice {
        Some("expired") => Some("Your session has ended. Sign in again."),
        Some("revoked") => {
            Some("Your credential was revoked or has expired. Sign in with a valid one.")
        }
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    page(
        "Sign in",
        None,
        Nav::None,
        html! {
            section.card.narrow {
                h1 { "Sign in" }
                p { "Use an API key (" code { "ck_…" } ") or a JWT of your tenant. It is kept on the server for this session only." }
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                form method="post" action="/console/sign-in" novalidate {
                    input type="hidden" name="next" value=(next);
                    div.field.invalid[error.is_some()] {
                        label for="credential" { "API key or JWT" }
                        input #credential type="password" name="credential" required autocomplete="off"
                            autofocus spellcheck="false" aria-invalid=[error.map(|_| "true")]
                            aria-describedby=[error.map(|_| "credential-error")];
                        @if let Some(e) = error { p.error #credential-error { (e) } }
                    }
                    button.primary type="submit" { "Sign in" }
                }
            }
        },
    )
}

mod detail;
mod form;
mod keys;
mod list;

pub use detail::*;
pub use form::*;
pub use keys::*;
pub use list::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let m = html! { p { ("<script>alert(1)</script>") } };
        assert_eq!(
            m.into_string(),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        );
    }

    #[test]
    fn urls_and_counts_read_well() {
        assert_eq!(
            query_string(&[("search", "å b"), ("x", "")]),
            "?search=%C3%A5%20b"
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(
            short_time("2026-11-23T10:15:00.123Z"),
            "2026-11-23 10:15 UTC"
        );
    }
}
