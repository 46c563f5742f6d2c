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

// ---- client list -----------------------------------------------------------------------------

/// The list's filters, in the API's parameter names.
pub struct ListFilters {
    pub search: String,
    pub status: String,
    pub kind: String,
    pub country: String,
    pub creditworthiness: String,
    pub archived: String,
    pub sort: String,
    pub cursor: String,
}

impl ListFilters {
    /// The API list parameters these filters stand for (empty ones left out).
    pub fn api_params(&self, with_cursor: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("search", &self.search),
            ("status", &self.status),
            ("kind", &self.kind),
            ("country", &self.country),
            ("creditworthiness", &self.creditworthiness),
            ("archived", &self.archived),
            ("sort", &self.sort),
        ] {
            if !v.trim().is_empty() {
                out.push((k.to_string(), v.trim().to_string()));
            }
        }
        if with_cursor && !self.cursor.is_empty() {
            out.push(("cursor".into(), self.cursor.clone()));
        }
        out
    }

    fn pairs<'a>(&'a self, sort: &'a str, cursor: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("search", self.search.as_str()),
            ("status", self.status.as_str()),
            ("kind", self.kind.as_str()),
            ("country", self.country.as_str()),
            ("creditworthiness", self.creditworthiness.as_str()),
            ("archived", self.archived.as_str()),
            ("sort", sort),
            ("cursor", cursor),
        ]
    }

    /// The console URL of this list with another sort or cursor.
    pub fn url(&self, path: &str, sort: &str, cursor: &str) -> String {
        format!("{path}{}", query_string(&self.pairs(sort, cursor)))
    }
}

/// Columns that can be sorted (each has an index, so any page is fast).
const SORTABLE: &[(&str, &str)] = &[
    ("number", "No."),
    ("name", "Name"),
    ("credit.limit", "Credit limit"),
    ("updated_at", "Updated"),
];

pub struct ListResult<'a> {
    pub clients: &'a [Client],
    pub next: Option<&'a str>,
    pub error: Option<&'a ApiError>,
}

fn select(
    name: &str,
    label: &str,
    current: &str,
    options: &[(&str, &str)],
    error: Option<&str>,
) -> Markup {
    let id = format!("filter-{name}");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                @for (value, text) in options {
                    option value=(value) selected[*value == current] { (text) }
                }
            }
            @if let Some(e) = error { p.error { (e) } }
        }
    }
}

fn enum_options(
    all: &'static [&'static str],
    any: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("", any)];
    v.extend(all.iter().map(|s| (*s, *s)));
    v
}

fn error_for<'a>(e: Option<&'a ApiError>, field: &str) -> Option<&'a str> {
    e?.details
        .iter()
        .find(|d| d.field == field)
        .map(|d| d.message.as_str())
}

pub fn clients_page(signed: &Signed, f: &ListFilters, r: &ListResult<'_>) -> Markup {
    let e = r.error;
    let body = html! {
        div.title-row {
            h1 { "Clients" }
            @if signed.caller.has(Permission::ClientsWrite) {
                a.button.primary href="/console/clients/new" { "New client" }
            }
        }
        form #filters.filters method="get" action="/console/clients" role="search"
            hx-get="/console/clients" hx-target="#results" hx-swap="outerHTML"
            hx-push-url="true" hx-trigger="change, submit" hx-sync="this:replace" {
            div.field.search.invalid[error_for(e, "search").is_some()] {
                label for="search" { "Search" }
                input #search type="search" name="search" value=(f.search)
                    placeholder="Name, e-mail, org. number, external id…" autocomplete="off"
                    hx-get="/console/clients" hx-include="#filters" hx-target="#results"
                    hx-swap="outerHTML" hx-push-url="true" hx-sync="closest form:replace"
                    hx-trigger="input changed delay:250ms, search";
                @if let Some(m) = error_for(e, "search") { p.error { (m) } }
            }
            (select("status", "Status", &f.status, &enum_options(ClientStatus::ALL, "any"), error_for(e, "status")))
            (select("kind", "Kind", &f.kind, &enum_options(ClientKind::ALL, "any"), error_for(e, "kind")))
            div.field.short.invalid[error_for(e, "country").is_some()] {
                label for="filter-country" { "Country" }
                input #filter-country type="text" name="country" value=(f.country) maxlength="2"
                    size="3" placeholder="SE" autocomplete="off";
                @if let Some(m) = error_for(e, "country") { p.error { (m) } }
            }
            (select("creditworthiness", "Credit", &f.creditworthiness, &enum_options(Creditworthiness::ALL, "any"), error_for(e, "creditworthiness")))
            (select("archived", "Archived", &f.archived, &[("", "hidden"), ("true", "only archived"), ("all", "shown too")], error_for(e, "archived")))
            input type="hidden" name="sort" value=(f.sort);
            button.secondary type="submit" { "Search" }
        }
        (results(f, r))
    };
    page("Clients", Some(signed), Nav::Clients, body)
}

/// The results table and pager: the part search-as-you-type replaces.
pub fn results(f: &ListFilters, r: &ListResult<'_>) -> Markup {
    let count_url = f.url("/console/clients/count", "", "");
    html! {
        section #results aria-live="polite" aria-label="Results" {
            @if let Some(e) = r.error {
                p.alert role="alert" { (e.message) }
            } @else {
                p.meta {
                    @if f.cursor.is_empty() { "First page" } @else { "Later page" }
                    " · "
                    span #count hx-get=(count_url) hx-trigger="load" hx-swap="outerHTML" {
                        a href=(count_url) { "count matches" }
                    }
                }
                @if r.clients.is_empty() {
                    p.empty { "No clients match." }
                } @else {
                    div.table-wrap {
                        table.clients {
                            thead { tr {
                                (sort_header(f, "number", "No."))
                                (sort_header(f, "name", "Name"))
                                th.hide-s scope="col" { "Kind" }
                                th scope="col" { "Status" }
                                th scope="col" { "Country" }
                                th.hide-s scope="col" { "City" }
                                th.hide-s scope="col" { "Credit" }
                                (sort_header(f, "credit.limit", "Credit limit"))
                                (sort_header(f, "updated_at", "Updated"))
                            } }
                            tbody {
                                @for c in r.clients {
                                    tr.archived[c.data.archived] {
                                        td.num { (c.number) }
                                        td { a href={"/console/clients/" (c.id)} { (c.data.name) }
                                            @if c.data.archived { " " span.badge { "archived" } } }
                                        td.hide-s { (c.data.kind.as_str()) }
                                        td { span class={"status " (c.data.status.as_str())} { (c.data.status.as_str()) } }
                                        td { (c.data.address.as_ref().and_then(|a| a.country.as_ref()).map(|c| c.as_str()).unwrap_or("")) }
                                        td.hide-s { (c.data.address.as_ref().and_then(|a| a.city.as_deref()).unwrap_or("")) }
                                        td.hide-s { (c.data.credit.creditworthiness.map(|w| w.as_str()).unwrap_or("")) }
                                        td.num { @if let Some(l) = &c.data.credit.limit {
                                            (l.to_string()) " " (c.data.credit.currency.as_ref().map(|c| c.as_str()).unwrap_or("")) } }
                                        td.hide-s { time datetime=(c.updated_at.to_rfc3339()) { (short_time(&c.updated_at.to_rfc3339())) } }
                                    }
                                }
                            }
                        }
                    }
                }
                nav.pager aria-label="Pages" {
                    @if !f.cursor.is_empty() {
                        a href=(f.url("/console/clients", &f.sort, "")) hx-get=(f.url("/console/clients", &f.sort, ""))
                            hx-target="#results" hx-swap="outerHTML" hx-push-url="true" { "← First page" }
                    }
                    @if let Some(next) = r.next {
                        a #next-page rel="next" href=(f.url("/console/clients", &f.sort, next))
                            hx-get=(f.url("/console/clients", &f.sort, next)) hx-target="#results"
                            hx-swap="outerHTML" hx-push-url="true" { "Next page →" }
                    }
                }
            }
        }
    }
}

fn sort_header(f: &ListFilters, field: &str, label: &str) -> Markup {
    let (state, next) = if f.sort == field {
        (Some("ascending"), format!("-{field}"))
    } else if f.sort == format!("-{field}") {
        (Some("descending"), field.to_string())
    } else {
        (None, field.to_string())
    };
    let url = f.url("/console/clients", &next, "");
    let arrow = match state {
        Some("ascending") => " ▲",
        Some(_) => " ▼",
        None => "",
    };
    debug_assert!(SORTABLE.iter().any(|(k, _)| *k == field));
    html! {
        th scope="col" aria-sort=[state] class=[match field {
            "credit.limit" | "number" => Some("num"),
            "updated_at" => Some("hide-s"),
            _ => None,
        }] {
            a href=(url) hx-get=(url) hx-target="#results" hx-swap="outerHTML" hx-push-url="true" {
                (label) (arrow)
            }
        }
    }
}

/// Whether a sort value is one the list offers.
pub fn is_sortable(sort: &str) -> bool {
    let field = sort.strip_prefix('-').unwrap_or(sort);
    SORTABLE.iter().any(|(k, _)| *k == field)
}

fn short_time(rfc3339: &str) -> String {
    // 2026-11-23T10:15:00.123Z → 2026-11-23 10:15 UTC
    let date = rfc3339.get(..10).unwrap_or(rfc3339);
    let time = rfc3339.get(11..16).unwrap_or("");
    format!("{date} {time} UTC")
}

pub fn count_fragment(total: Option<u64>) -> Markup {
    html! {
        span #count {
            @match total {
                Some(1) => "1 client matches",
                Some(n) => (format!("{} clients match", thousands(n))),
                None => "count unavailable",
            }
        }
    }
}

fn thousands(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|g| g.iter().collect())
        .collect();
    groups.join(",")
}

// ---- client detail ---------------------------------------------------------------------------

pub struct Detail<'a> {
    pub client: &'a Client,
    pub contacts: &'a [SubResource],
    pub locations: &'a [SubResource],
    pub accounts: &'a [SubResource],
    pub history: Result<&'a AuditPage, &'a ApiError>,
    pub notice: Option<&'a str>,
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Client created.",
        "saved" => "Changes saved.",
        "unchanged" => "Nothing to save: the values were already these.",
        "archived" => "Client archived.",
        "restored" => "Client restored from the archive.",
        "contact-created" => "Contact person added.",
        "contact-saved" => "Contact person saved.",
        "contact-deleted" => "Contact person deleted.",
        _ => return None,
    })
}

fn value_text(v: &Value) -> Markup {
    match v {
        Value::Null => html! { span.none { "—" } },
        Value::Bool(true) => html! { "yes" },
        Value::Bool(false) => html! { "no" },
        Value::String(s) => html! { (s) },
        other => html! { (other.to_string()) },
    }
}

fn dl_section(title: &str, doc: &Value, section: &Section) -> Markup {
    html! {
        section.card {
            h2 { (title) }
            dl.fields {
                @for f in section.fields {
                    @let v = lookup(doc, f.path);
                    div { dt { (f.label) } dd { (value_text(&v)) } }
                }
            }
        }
    }
}

fn lookup(doc: &Value, path: &str) -> Value {
    let mut v = doc;
    for seg in path.split('.') {
        match v.get(seg) {
            Some(next) => v = next,
            None => return Value::Null,
        }
    }
    v.clone()
}

pub fn client_detail(signed: &Signed, d: &Detail<'_>) -> Markup {
    let c = d.client;
    let doc = serde_json::to_value(c).unwrap_or(Value::Null);
    let can_write = signed.caller.has(Permission::ClientsWrite);
    let can_delete = signed.caller.has(Permission::ClientsDelete);
    let base = format!("/console/clients/{}", c.id);
    let body = html! {
        p.crumbs { a href="/console/clients" { "Clients" } " / " (c.number) }
        div.title-row {
            h1 { (c.data.name) }
            div.badges {
                span class={"status " (c.data.status.as_str())} { (c.data.status.as_str()) }
                @if c.data.archived { span.badge { "archived" } }
                span.badge.muted { (c.data.kind.as_str()) }
            }
        }
        @if let Some(n) = d.notice.and_then(notice_text) { p.notice role="status" { (n) } }
        @if can_write {
            div.actions {
                a.button.primary #edit href={(base) "/edit"} { "Edit" }
                form method="post" action={(base) "/archive"} {
                    (csrf(signed))
                    input type="hidden" name="version" value=(c.version);
                    input type="hidden" name="archived" value=(if c.data.archived { "false" } else { "true" });
                    button.secondary type="submit" { @if c.data.archived { "Restore from archive" } @else { "Archive" } }
                }
                a.button.secondary href={(base) "/contacts/new"} { "Add contact person" }
            }
        }
        div.grid {
            @for s in forms::CLIENT_FORM { (dl_section(s.title, &doc, s)) }
            section.card {
                h2 { "Record" }
                dl.fields {
                    div { dt { "Id" } dd { code { (c.id) } } }
                    div { dt { "Number" } dd { (c.number) } }
                    div { dt { "Version" } dd { (c.version) } }
                    div { dt { "Archived" } dd { (if c.data.archived { "yes" } else { "no" }) } }
                    div { dt { "Credit available" } dd { (value_text(&lookup(&doc, "credit.available"))) } }
                    div { dt { "Accounts" } dd { (c.associated_accounts) } }
                    div { dt { "Created" } dd { (c.created_at.to_rfc3339()) } }
                    div { dt { "Updated" } dd { (c.updated_at.to_rfc3339()) } }
                }
                h3 { "Metadata" }
                @if c.data.metadata.is_empty() { p.none { "none" } } @else {
                    dl.fields { @for (k, v) in &c.data.metadata { div { dt { code { (k) } } dd { (v) } } } }
                }
            }
        }
        section.card #contacts {
            h2 { "Contact persons (" (d.contacts.len()) ")" }
            @if d.contacts.is_empty() { p.none { "None yet." } } @else {
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Job title" } th scope="col" { "E-mail" }
                        th scope="col" { "Phone" } th scope="col" { "Mobile" } th scope="col" { "Main" }
                        @if can_write { th scope="col" { span.sr-only { "Actions" } } } } }
                    tbody { @for s in d.contacts {
                        @let j = s.data.to_json();
                        tr {
                            td { (value_text(&j["name"])) } td { (value_text(&j["job_title"])) }
                            td { (value_text(&j["email"])) } td { (value_text(&j["phone"])) }
                            td { (value_text(&j["mobile"])) } td { (value_text(&j["is_main"])) }
                            @if can_write { td.row-actions {
                                a href={(base) "/contacts/" (s.id) "/edit"} { "Edit" span.sr-only { " " (j["name"].as_str().unwrap_or("")) } }
                                @if can_delete {
                                    form method="post" action={(base) "/contacts/" (s.id) "/delete"} {
                                        (csrf(signed))
                                        input type="hidden" name="version" value=(s.version);
                                        button.link.danger type="submit" { "Delete" span.sr-only { " " (j["name"].as_str().unwrap_or("")) } }
                                    }
                                }
                            } }
                        }
                    } }
                } }
            }
        }
        (sub_table("Locations", "locations", d.locations, &["name", "is_primary", "billing_email", "phone_primary", "address.city", "address.country"]))
        (sub_table("Accounts", "accounts", d.accounts, &["name", "external_code", "status"]))
        section.card #history {
            h2 { "History" }
            @match d.history {
                Err(e) => p.none { (e.message) },
                Ok(h) if h.records.is_empty() => p.none { "No changes recorded." },
                Ok(h) => {
                    p.hint { "Newest first. Sensitive values are masked, as in the audit trail." }
                    ol.history { @for r in &h.records { (history_item(r)) } }
                    @if h.has_more { @if let Some(seq) = h.last_seq {
                        a href={(base) "?history_before=" (seq) "#history"} { "Older changes →" }
                    } }
                }
            }
        }
    };
    page(&c.data.name, Some(signed), Nav::Clients, body)
}

fn sub_table(title: &str, id: &str, items: &[SubResource], cols: &[&str]) -> Markup {
    html! {
        section.card id=(id) {
            h2 { (title) " (" (items.len()) ")" }
            @if items.is_empty() { p.none { "None." } } @else {
                div.table-wrap { table {
                    thead { tr { @for c in cols { th scope="col" { (column_label(c)) } } } }
                    tbody { @for s in items {
                        @let j = s.data.to_json();
                        tr { @for c in cols { td { (value_text(&lookup(&j, c))) } } }
                    } }
                } }
            }
        }
    }
}

/// `address.city` → `City`, `is_primary` → `Is primary`.
fn column_label(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path).replace('_', " ");
    let mut chars = last.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn history_item(r: &AuditRecord) -> Markup {
    html! {
        li {
            div.h-head {
                time datetime=(r.at.to_rfc3339()) { (short_time(&r.at.to_rfc3339())) }
                " " strong { (r.entity_type.replace('_', " ")) " " (r.action.as_str()) }
                " by " code { (short_actor(&r.actor)) }
            }
            @if !r.changes.is_empty() {
                div.table-wrap { table.changes {
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Old" } th scope="col" { "New" } } }
                    tbody { @for (field, [old, new]) in &r.changes {
                        tr { td { code { (field) } } td.old { (value_text(old)) } td.new { (value_text(new)) } }
                    } }
                } }
            }
        }
    }
}

// ---- forms -----------------------------------------------------------------------------------

/// What to say above a form that was refused because the record changed meanwhile.
pub struct Conflict<'a> {
    pub yours: i64,
    pub current: &'a Value,
    pub current_version: i64,
}

pub struct FormPage<'a> {
    pub title: &'a str,
    pub action: String,
    pub cancel: String,
    pub sections: &'static [Section],
    pub values: Values<'a>,
    pub errors: &'a [FieldError],
    pub message: Option<&'a str>,
    /// The version the form was read at (edits only).
    pub version: Option<i64>,
    pub conflict: Option<Conflict<'a>>,
    pub submit: &'a str,
}

fn field_input(f: &Field, value: &str, error: Option<&FieldError>, now: Option<String>) -> Markup {
    let id = format!("f-{}", f.path);
    let err_id = format!("e-{}", f.path);
    let hint_id = format!("h-{}", f.path);
    let described = match (error.is_some(), f.hint.is_some()) {
        (true, true) => Some(format!("{err_id} {hint_id}")),
        (true, false) => Some(err_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    let invalid = error.map(|_| "true");
    html! {
        div.field.invalid[error.is_some()].check[f.input == Input::Check].wide[f.input == Input::TextArea] {
            @match f.input {
                Input::Check => {
                    input id=(id) type="checkbox" name=(f.path) value="on" checked[value == "true"]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                    label for=(id) { (f.label) }
                }
                _ => {
                    label for=(id) { (f.label) }
                    @match f.input {
                        Input::TextArea => textarea id=(id) name=(f.path) rows="4"
                            aria-invalid=[invalid] aria-describedby=[described.as_deref()] { (value) },
                        Input::Select(options, none) => select id=(id) name=(f.path)
                            aria-invalid=[invalid] aria-describedby=[described.as_deref()] {
                            @if none { option value="" selected[value.is_empty()] { "—" } }
                            @for o in options { option value=(o) selected[*o == value] { (o) } }
                        },
                        Input::TriState => select id=(id) name=(f.path)
                            aria-invalid=[invalid] aria-describedby=[described.as_deref()] {
                            option value="" selected[value.is_empty()] { "not set" }
                            option value="true" selected[value == "true"] { "yes" }
                            option value="false" selected[value == "false"] { "no" }
                        },
                        _ => {
                            @let (ty, mode) = match f.input {
                                Input::Email => ("email", None),
                                Input::Tel => ("tel", None),
                                Input::Url => ("url", None),
                                Input::Number => ("text", Some("decimal")),
                                _ => ("text", None),
                            };
                            input id=(id) type=(ty) name=(f.path) value=(value) inputmode=[mode]
                                aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                        }
                    }
                }
            }
            @if let Some(h) = f.hint { p.hint id=(hint_id) { (h) } }
            @if let Some(e) = error { p.error id=(err_id) { (e.message) } }
            @if let Some(n) = now { p.now { "Saved meanwhile: " strong { (if n.is_empty() { "(empty)".to_string() } else { n }) } } }
        }
    }
}

pub fn form_page(signed: &Signed, nav: Nav, p: &FormPage<'_>) -> Markup {
    let known: Vec<&str> = forms::fields(p.sections).map(|f| f.path).collect();
    let version = p.conflict.as_ref().map(|c| c.current_version).or(p.version);
    let body = html! {
        h1 { (p.title) }
        @if let Some(c) = &p.conflict {
            div.conflict role="alert" #conflict {
                h2 { "Someone else changed this record while you were editing" }
                p { "You started from version " (c.yours) "; it is now version " (c.current_version)
                    ". Nothing was saved, so their changes are not lost. Fields where the saved value now differs from yours are marked below: "
                    "submit again to save your values over theirs, or "
                    a href=(p.cancel) { "discard your changes" } "." }
            }
        }
        @if !p.errors.is_empty() {
            div.errors role="alert" #errors {
                h2 { @if p.errors.len() == 1 { "1 field needs attention" } @else { (p.errors.len()) " fields need attention" } }
                ul { @for e in p.errors {
                    li { @if known.contains(&e.field.as_str()) {
                        a href={"#f-" (e.field)} { (label_of(p.sections, &e.field)) ": " (e.message) }
                    } @else { code { (e.field) } " " (e.message) } }
                } }
            }
        } @else if let Some(m) = p.message {
            p.alert role="alert" #errors { (m) }
        }
        form.record method="post" action=(p.action) novalidate {
            (csrf(signed))
            @if let Some(v) = version { input type="hidden" name="version" value=(v); }
            @for s in p.sections {
                fieldset {
                    legend { (s.title) }
                    div.grid-fields {
                        @for f in s.fields {
                            @let value = p.values.text(f);
                            @let error = p.errors.iter().find(|e| e.field == f.path);
                            @let now = p.conflict.as_ref().map(|c| forms::text_at(c.current, f.path)).filter(|n| *n != value && !(f.input == Input::Check && n.is_empty() && value == "false"));
                            (field_input(f, &value, error, now))
                        }
                    }
                }
            }
            div.actions {
                button.primary type="submit" { (p.submit) }
                a.button.secondary href=(p.cancel) { "Cancel" }
            }
        }
    };
    page(p.title, Some(signed), nav, body)
}

fn label_of(sections: &'static [Section], path: &str) -> &'static str {
    forms::fields(sections)
        .find(|f| f.path == path)
        .map(|f| f.label)
        .unwrap_or("Field")
}

// ---- API keys --------------------------------------------------------------------------------

pub struct KeysPage<'a> {
    pub keys: &'a [ApiKey],
    pub created: Option<(&'a ApiKey, &'a str)>,
    pub errors: &'a [FieldError],
    pub form: Option<&'a super::session::FormData>,
    pub notice: Option<&'a str>,
}

const ALL_PERMISSIONS: [Permission; 5] = [
    Permission::ClientsRead,
    Permission::ClientsWrite,
    Permission::ClientsDelete,
    Permission::AuditRead,
    Permission::Admin,
];

pub fn keys_page(signed: &Signed, k: &KeysPage<'_>) -> Markup {
    let err = |field: &str| {
        k.errors
            .iter()
            .find(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
            .map(|e| e.message.clone())
    };
    let given = |name: &str| k.form.and_then(|f| f.get(name)).unwrap_or("").to_string();
    let checked: Vec<String> = k
        .form
        .map(|f| {
            f.all("permissions")
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_else(|| vec!["clients:read".to_string()]);
    let body = html! {
        h1 { "API keys" }
        @if let Some(n) = k.notice { p.notice role="status" { (n) } }
        @if let Some((key, plain)) = k.created {
            div.secret role="status" #new-key-box {
                h2 { "New key " (key.name.as_deref().unwrap_or(&key.prefix)) }
                p { "Copy it now: it is shown this once and cannot be recovered." }
                code #new-key { (plain) }
            }
        }
        section.card {
            h2 { "Keys of " (signed.caller.tenant.name.as_str()) }
            div.table-wrap { table #keys {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Prefix" } th scope="col" { "Permissions" }
                    th scope="col" { "Rate limit" } th scope="col" { "Created" } th scope="col" { "State" } th scope="col" { span.sr-only { "Actions" } } } }
                tbody { @for key in k.keys {
                    tr.revoked[key.revoked_at.is_some()] data-key-id=(key.id) {
                        td { (key.name.as_deref().unwrap_or("—")) }
                        td { code { (key.prefix) "…" } }
                        td { (permissions_text(&key.permissions)) }
                        td { (key.rate_limit.map(|r| r.to_string()).unwrap_or_else(|| "default".into())) }
                        td { (short_time(&key.created_at.to_rfc3339())) }
                        td { @match key.revoked_at { Some(t) => { "revoked " (short_time(&t.to_rfc3339())) }, None => span.status.active { "active" } } }
                        td.row-actions { @if key.revoked_at.is_none() {
                            details.confirm {
                                summary { "Revoke…" span.sr-only { " key " (key.prefix) } }
                                form method="post" action={"/console/keys/" (key.id) "/revoke"} {
                                    (csrf(signed))
                                    p { "Requests with this key fail at once." @if key.id.to_string() == signed.caller.credential_id { " This is the key you are signed in with." } }
                                    button.danger type="submit" { "Revoke " (key.prefix) "…" }
                                }
                            }
                        } }
                    }
                } }
            } }
        }
        section.card {
            h2 { "Create a key" }
            form.record method="post" action="/console/keys" novalidate {
                (csrf(signed))
                div.grid-fields {
                    div.field.invalid[err("name").is_some()] {
                        label for="key-name" { "Name" }
                        input #key-name type="text" name="name" value=(given("name")) aria-describedby=[err("name").map(|_| "e-name")];
                        @if let Some(m) = err("name") { p.error #e-name { (m) } }
                    }
                    div.field.invalid[err("rate_limit").is_some()] {
                        label for="key-rate" { "Rate limit" }
                        input #key-rate type="text" name="rate_limit" value=(given("rate_limit")) placeholder="e.g. 600/min; empty = server default"
                            aria-describedby=[err("rate_limit").map(|_| "e-rate_limit")];
                        @if let Some(m) = err("rate_limit") { p.error #e-rate_limit { (m) } }
                    }
                }
                fieldset.invalid[err("permissions").is_some()] {
                    legend { "Permissions" }
                    @for p in ALL_PERMISSIONS {
                        div.field.check {
                            input id={"perm-" (p.as_str().replace(':', "-"))} type="checkbox" name="permissions" value=(p.as_str())
                                checked[checked.iter().any(|c| c == p.as_str())];
                            label for={"perm-" (p.as_str().replace(':', "-"))} { code { (p.as_str()) } }
                        }
                    }
                    @if let Some(m) = err("permissions") { p.error { (m) } }
                }
                div.actions { button.primary type="submit" { "Create key" } }
            }
        }
    };
    page("API keys", Some(signed), Nav::Keys, body)
}

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
