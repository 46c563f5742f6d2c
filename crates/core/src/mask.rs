//! The one place sensitive values are masked, for logs and audit diffs alike.

/// Fields whose values are sensitive wherever they appear (clients and contact persons).
pub const SENSITIVE_FIELDS: &[&str] = &[
    "org_number",
    "tax_id",
    "email",
    "phone",
    "mobile",
    "home_phone",
    "fax",
    "phone_primary",
    "phone_secondary",
];

/// Whether a (possibly dotted) field path names a sensitive value.
pub fn is_sensitive(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    SENSITIVE_FIELDS.contains(&last)
}

/// Hides a value, keeping only its last two characters when it is long enough that they
/// do not give it away (so a reader can still tell two values apart).
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() >= 8 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("****{tail}")
    } else {
        "****".to_string()
    }
}

/// Masks a JSON value if it is a non-null string; other values pass unchanged.
pub fn mask_json(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) => serde_json::Value::String(mask(s)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_all_but_a_short_tail() {
        assert_eq!(mask("556677-8899"), "****99");
        assert_eq!(mask("a@b.se"), "****");
        assert_eq!(mask(""), "****");
        assert!(is_sensitive("email") && is_sensitive("contact.phone"));
        assert!(!is_sensitive("name") && !is_sensitive("billing_email"));
    }
}
