//! The API-key page.

use super::*;

// ---- API keys --------------------------------------------------------------------------------

pub struct KeysPage<'a> {
    pub keys: &'a [ApiKey],
    pub created: Option<(&'a ApiKey, &'a str)>,
    pub errors: &'a [FieldError],
    pub form: Option<&'a crate::console::session::FormData>,
    pub notice: Option<&'a str>,
}

pub(super) const ALL_PERMISSIONS: [Permission; 5] = [
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
