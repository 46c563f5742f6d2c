//! Words for full-text search, split the same way on both sides: the document stored for a
//! client and the words of a `search` parameter.
//!
//! Text is cut into runs of letters and digits, and each run again where letters meet digits:
//! `schmidt123@mail.de` gives `schmidt 123 mail de`. A whole run such as `schmidt123` is never
//! indexed, because a prefix query for a common name would then expand to one index term per
//! distinct number (measured 3.2 ms instead of 0.2 ms at 1M rows, DESIGN.md). Identifiers also
//! get their compact form (`SE556677-8899` → `se 556677 8899` and `se 5566778899`), so they are
//! found with or without separators. Case and accents are folded here ([`fold`]), on both sides.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::client::ClientData;

/// Most words of one `search` that are used; further words are ignored.
pub const MAX_TERMS: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_numeric() {
        Class::Digit
    } else if c.is_alphanumeric() {
        Class::Letter
    } else {
        Class::Other
    }
}

/// Folds text for search: canonical decomposition, combining marks (accents) removed, lower
/// case (`Åkesson` → `akesson`). The index stores folded words and queries are folded the same
/// way, so both sides agree exactly (the FTS tokenizer is told not to fold again).
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut last = Class::Other;
    for c in fold(text).chars() {
        let k = class(c);
        if k != last && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if k != Class::Other {
            cur.push(c);
        }
        last = k;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The words of a `search` parameter: distinct, at most [`MAX_TERMS`].
pub fn query_terms(search: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(search) {
        if !out.contains(&w) && out.len() < MAX_TERMS {
            out.push(w);
        }
    }
    out
}

/// The text indexed for one client. Later resources (contact persons) add their own parts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SearchDocument(String);

impl SearchDocument {
    /// Adds free text (names, e-mail addresses).
    pub fn text(&mut self, s: Option<&str>) -> &mut Self {
        for w in words(s.unwrap_or("")) {
            self.push(&w);
        }
        self
    }

    /// Adds an identifier: its words and its compact form without separators.
    pub fn identifier(&mut self, s: Option<&str>) -> &mut Self {
        let s = s.unwrap_or("");
        self.text(Some(s));
        let compact: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
        let parts = words(&compact);
        if parts.len() != words(s).len() {
            for w in parts {
                self.push(&w);
            }
        }
        self
    }

    fn push(&mut self, w: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(w);
    }

    /// The client's own searchable fields (API.md, `search`).
    pub fn for_client(d: &ClientData) -> Self {
        let mut doc = Self::default();
        doc.text(Some(&d.name))
            .text(d.legal_name.as_deref())
            .text(d.first_name.as_deref())
            .text(d.last_name.as_deref())
            .text(d.email.as_ref().map(|e| e.as_str()))
            .identifier(d.tax_id.as_deref())
            .identifier(d.org_number.as_deref())
            .identifier(d.external_id.as_deref())
            .identifier(d.account_code.as_deref());
        doc
    }

    /// Adds a contact person's name and e-mail (for the contact-persons resource).
    pub fn contact_person(&mut self, name: &str, email: Option<&str>) -> &mut Self {
        self.text(Some(name)).text(email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_punctuation_and_between_letters_and_digits() {
        assert_eq!(
            words("Schmidt123@Mail.de"),
            vec!["schmidt", "123", "mail", "de"]
        );
        assert_eq!(
            words("Åsa Öberg-Lind Ærø"),
            vec!["asa", "oberg", "lind", "ærø"]
        );
        assert_eq!(words(" -- "), Vec::<String>::new());
        assert_eq!(query_terms("ab AB ab c"), vec!["ab", "c"]);
    }

    #[test]
    fn identifiers_are_found_with_or_without_separators() {
        let mut d = SearchDocument::default();
        d.identifier(Some("SE556677-8899"));
        assert_eq!(d.as_str(), "se 556677 8899 se 5566778899");
        let mut d = SearchDocument::default();
        d.identifier(Some("5566778899"));
        assert_eq!(d.as_str(), "5566778899");
    }
}
