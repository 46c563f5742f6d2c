//! The client list: filters, sortable columns, results and their count.

use super::*;

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
pub(super) const SORTABLE: &[(&str, &str)] = &[
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

pub(super) fn select(
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

pub(super) fn enum_options(
    all: &'static [&'static str],
    any: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("", any)];
    v.extend(all.iter().map(|s| (*s, *s)));
    v
}

pub(super) fn error_for<'a>(e: Option<&'a ApiError>, field: &str) -> Option<&'a str> {
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

pub(super) fn sort_header(f: &ListFilters, field: &str, label: &str) -> Markup {
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

pub(super) fn short_time(rfc3339: &str) -> String {
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

pub(super) fn thousands(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|g| g.iter().collect())
        .collect();
    groups.join(",")
}
