//! The one masking function for everything that may reach a log: sensitive client fields
//! (API.md "Sensitive fields"), credentials, and free text (error details, panic messages) that
//! might quote them. Logs, audit diffs and panic reports all go through here.

use serde_json::Value;

/// Client, contact and location fields whose values never appear in logs unmasked.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "org_number",
    "tax_id",
    "email",
    "billing_email",
    "phone",
    "mobile",
    "home_phone",
    "fax",
    "phone_primary",
    "phone_secondary",
];

/// Names under which credentials travel; their values are hidden entirely.
pub const SECRET_FIELDS: &[&str] = &[
    "key",
    "api_key",
    "x-api-key",
    "authorization",
    "password",
    "secret",
    "token",
    "jwt",
];

/// Whether a field (the last segment of a dotted path, any case) holds a sensitive value.
pub fn is_sensitive_field(name: &str) -> bool {
    // An audit text asks this of every field it records: the last segment is lowercased into
    // a stack buffer once and compared with the lowercase lists byte for byte (a length
    // check, mostly). A segment longer than the buffer is longer than every listed name.
    let last = match name.bytes().rposition(|b| b == b'.') {
        Some(dot) => &name[dot + 1..],
        None => name,
    };
    let mut buf = [0u8; LONGEST_LISTED_FIELD];
    let Some(lower) = buf.get_mut(..last.len()) else {
        return false;
    };
    lower.copy_from_slice(last.as_bytes());
    lower.make_ascii_lowercase();
    let lower = &*lower;
    SENSITIVE_FIELDS
        .iter()
        .chain(SECRET_FIELDS)
        .any(|f| f.as_bytes() == lower)
}

/// At least the length of the longest name of [`SENSITIVE_FIELDS`] and [`SECRET_FIELDS`].
const LONGEST_LISTED_FIELD: usize = 16;

/// Masks one sensitive value: `***` plus at most its last two characters (only for values of
/// eight characters or more, so a short value is never half revealed).
pub fn mask(value: &str) -> String {
    if value.chars().count() < 8 {
        return "***".into();
    }
    // Where the last two characters start.
    let tail = value.char_indices().nth_back(1).map_or(0, |(at, _)| at);
    let mut out = String::with_capacity(3 + value.len() - tail);
    out.push_str("***");
    out.push_str(&value[tail..]);
    out
}

/// A copy of a JSON document with sensitive and secret fields masked at any depth, and every
/// other string passed through [`mask_text`] (a note may quote an e-mail address).
pub fn mask_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask_field(k, v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_json).collect()),
        Value::String(s) => Value::String(mask_text(s)),
        other => other.clone(),
    }
}

/// The value of field `name` as it may be logged or written into an audit diff.
pub fn mask_field(name: &str, value: &Value) -> Value {
    if !is_sensitive_field(name) {
        return mask_json(value);
    }
    match value {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(mask(s)),
        _ => Value::String("***".into()),
    }
}

fn is_phone_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/')
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '"' | '\'' | '`' | ',' | ';' | '<' | '>' | '[' | ']')
        || matches!(c, '{' | '}' | '=' | '|')
}

/// Masks whatever in free text looks like a sensitive value or a credential: e-mail addresses,
/// phone and registration numbers (six or more digits, separators allowed), API keys (`ck_...`),
/// and JWTs. UUIDs are kept: they identify rows, not people, and logs need them.
pub fn mask_text(text: &str) -> String {
    mask_tokens(&mask_digit_runs(text))
}

/// Runs like `+46 70-123 45 67` with at least six digits.
fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_run = chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(';
        let in_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if !starts_run || in_word {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && is_phone_char(chars[end]) {
            end += 1;
        }
        // Do not swallow trailing separators, and stop short of a following word.
        let mut last = end;
        while last > i && !chars[last - 1].is_ascii_digit() && chars[last - 1] != ')' {
            last -= 1;
        }
        let glued = last < chars.len() && last == end && chars[last].is_alphanumeric();
        let run: String = chars[i..last].iter().collect();
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 6 && !glued {
            out.push_str(&mask(&run));
            i = last;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&mask_token(token));
            token.clear();
        }
    };
    for c in text.chars() {
        if is_separator(c) {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn mask_token(token: &str) -> String {
    let trimmed = token.trim_end_matches(['.', ':', ')', '(']);
    let suffix = &token[trimmed.len()..];
    let masked = if let Some(at) = trimmed.find('@') {
        if at > 0 && at + 1 < trimmed.len() {
            Some(mask(trimmed))
        } else {
            None
        }
    } else if trimmed.starts_with("ck_") && trimmed.len() > 3 {
        Some("ck_***".to_string())
    } else if trimmed.starts_with("eyJ") && trimmed.contains('.') {
        Some("***".to_string())
    } else if uuid::Uuid::parse_str(trimmed).is_ok() {
        None
    } else if trimmed.chars().filter(char::is_ascii_digit).count() >= 6 {
        Some(mask(trimmed))
    } else {
        None
    };
    match masked {
        Some(m) => format!("{m}{suffix}"),
        None => token.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mask_keeps_at_most_two_trailing_characters() {
        assert_eq!(mask("+46 70 123 45 67"), "***67");
        assert_eq!(mask("short"), "***");
        assert_eq!(mask(""), "***");
        assert_eq!(mask("1234567"), "***");
        assert_eq!(mask("12345678"), "***78");
        assert_eq!(mask("åäöåäöÅÖ"), "***ÅÖ");
        assert_eq!(mask("abcdefgé€"), "***é€");
    }

    #[test]
    fn json_masks_sensitive_fields_at_any_depth() {
        let doc = json!({
            "name": "Acme",
            "email": "anna@example.com",
            "tax_id": "SE5566778899",
            "contact_persons": [{"phone": "+4670123456", "name": "Anna"}],
            "changes": {"org_number": ["556677-8899", null]},
            "notes": "call anna@example.com",
            "key": "ck_0123456789abcdef",
        });
        let masked = mask_json(&doc);
        let text = masked.to_string();
        for secret in [
            "anna@example.com",
            "SE5566778899",
            "+4670123456",
            "556677-8899",
            "ck_0123456789abcdef",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(masked["name"], "Acme");
        assert_eq!(masked["contact_persons"][0]["name"], "Anna");
        assert_eq!(masked["changes"]["org_number"], "***");
    }

    #[test]
    fn text_masks_emails_numbers_keys_and_tokens_but_keeps_uuids() {
        let id = "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
        let t = mask_text(&format!(
            "email \"zed.secret@example.org\" phone +46 (70) 123-45-67, org 556677-8899, \
             key ck_deadbeefcafe, jwt eyJhbGciOi.eyJzdWIi.sig, id {id}, count 12"
        ));
        for secret in [
            "zed.secret@example.org",
            "123-45-67",
            "556677-8899",
            "ck_deadbeefcafe",
            "eyJhbGciOi",
        ] {
            assert!(!t.contains(secret), "{secret} leaked: {t}");
        }
        assert!(t.contains(id), "{t}");
        assert!(t.contains("count 12"), "{t}");
    }

    #[test]
    fn field_names_are_matched_by_their_last_segment() {
        assert!(is_sensitive_field("contact_persons.email"));
        assert!(is_sensitive_field("Authorization"));
        assert!(!is_sensitive_field("name"));
        assert!(is_sensitive_field("metadata.x.PHONE_Secondary"));
        assert!(is_sensitive_field("x-API-key"));
        assert!(!is_sensitive_field("emails"));
        assert!(!is_sensitive_field("email.x"));
        assert!(!is_sensitive_field("émail"));
        assert!(!is_sensitive_field(""));
        assert!(!is_sensitive_field("a_field_name_longer_than_any_listed"));
        for f in SENSITIVE_FIELDS.iter().chain(SECRET_FIELDS) {
            assert!(f.len() <= LONGEST_LISTED_FIELD, "{f}");
            assert_eq!(f.to_ascii_lowercase(), *f);
            assert!(is_sensitive_field(f));
            assert!(is_sensitive_field(&format!("a.{}", f.to_ascii_uppercase())));
        }
    }
}
