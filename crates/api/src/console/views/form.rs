//! Create and edit forms, with the API's field errors and conflicts next to the inputs.

use super::*;

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

pub(super) fn field_input(
    f: &Field,
    value: &str,
    error: Option<&FieldError>,
    now: Option<String>,
) -> Markup {
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

pub(super) fn label_of(sections: &'static [Section], path: &str) -> &'static str {
    forms::fields(sections)
        .find(|f| f.path == path)
        .map(|f| f.label)
        .unwrap_or("Field")
}
