//! One client's page: every field, its sub-resources and its history.

use super::*;

// ---- client detail ---------------------------------------------------------------------------

pub struct Detail<'a> {
    pub client: &'a Client,
    pub contacts: &'a [SubResource],
    pub locations: &'a [SubResource],
    pub accounts: &'a [SubResource],
    pub history: Result<&'a AuditPage, &'a ApiError>,
    pub notice: Option<&'a str>,
}

pub(super) fn notice_text(code: &str) -> Option<&'static str> {
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

pub(super) fn value_text(v: &Value) -> Markup {
    match v {
        Value::Null => html! { span.none { "—" } },
        Value::Bool(true) => html! { "yes" },
        Value::Bool(false) => html! { "no" },
        Value::String(s) => html! { (s) },
        other => html! { (other.to_string()) },
    }
}

pub(super) fn dl_section(title: &str, doc: &Value, section: &Section) -> Markup {
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

pub(super) fn lookup(doc: &Value, path: &str) -> Value {
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
                    @if h.has_more { @if let Some(seq) = h.last_pos {
                        a href={(base) "?history_before=" (seq) "#history"} { "Older changes →" }
                    } }
                }
            }
        }
    };
    page(&c.data.name, Some(signed), Nav::Clients, body)
}

pub(super) fn sub_table(title: &str, id: &str, items: &[SubResource], cols: &[&str]) -> Markup {
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
pub(super) fn column_label(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path).replace('_', " ");
    let mut chars = last.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn history_item(r: &AuditRecord) -> Markup {
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
