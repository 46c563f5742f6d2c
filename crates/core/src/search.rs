//! Words for full-text search, split the same way on both sides: the document stored for a
//! client and the words of a `search` parameter.
//!
//! A word is a run of letters and digits, kept whole: `schmidt123@mail.de` gives
//! `schmidt123 mail de`, so `search=ac3` finds `AC3` and `AC30` but neither `AC4` nor a name
//! with `37` in it, and `schmidt` still finds `schmidt123` (every search word is a prefix).
//! Runs joined by `-`, `.`, `/` or `_` that mix letters and digits (`ERP-00424242`,
//! `anna.schmidt123`) form a compound: the document gets the compound's compact form
//! (`erp00424242`) beside its runs, and a search word that is such a compound is looked up by
//! its compact form alone, so `search=erp-00424242` does not match `ERP` and `00424242` found in
//! two different places. Identifiers also get their compact form
//! (`SE556677-8899` → `se556677 8899` and `se5566778899`), so they are found with or without
//! separators. Case and accents are folded here ([`fold`]), on both sides.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::client::ClientData;

/// Most words of one `search` that are used; further words are ignored.
pub const MAX_TERMS: usize = 16;

/// Characters that join runs of letters and digits into a compound (`ERP-00424242`).
const JOINERS: &[char] = &['-', '.', '/', '_'];

/// Folds text for search: canonical decomposition, combining marks (accents) removed, lower
/// case (`Åkesson` → `akesson`). The index stores folded words and queries are folded the same
/// way, so both sides agree exactly (the FTS tokenizer is told not to fold again).
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The compounds of `text`, folded: each a list of runs of letters and digits that were joined
/// by single [`JOINERS`].
fn compounds(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut runs: Vec<String> = Vec::new();
    let mut cur = String::new();
    // A joiner seen right after a run: the next run continues the compound.
    let mut joined = false;
    for c in fold(text).chars() {
        if c.is_alphanumeric() {
            if cur.is_empty() && !joined && !runs.is_empty() {
                out.push(std::mem::take(&mut runs));
            }
            cur.push(c);
            joined = false;
            continue;
        }
        if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
            joined = JOINERS.contains(&c);
        } else {
            joined = false;
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    if !runs.is_empty() {
        out.push(runs);
    }
    out
}

/// Whether a compound of several runs mixes letters and digits: then it is also a word whole.
fn mixed(runs: &[String]) -> bool {
    let all: String = runs.concat();
    runs.len() > 1
        && all.chars().any(char::is_numeric)
        && all.chars().any(|c| c.is_alphabetic() && !c.is_numeric())
}

/// The folded words of `text`, in order: its runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    compounds(text).into_iter().flatten().collect()
}

/// The words of a `search` parameter: distinct, at most [`MAX_TERMS`]; a compound that mixes
/// letters and digits is one word, its compact form.
pub fn query_terms(search: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for runs in compounds(search) {
        let ws = if mixed(&runs) {
            vec![runs.concat()]
        } else {
            runs
        };
        for w in ws {
            if !out.contains(&w) && out.len() < MAX_TERMS {
                out.push(w);
            }
        }
    }
    out
}

/// The text indexed for one client. Later resources (contact persons) add their own parts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SearchDocument(String);

impl SearchDocument {
    /// Adds free text (names, e-mail addresses): its runs, and the compact form of each
    /// compound that mixes letters and digits.
    pub fn text(&mut self, s: Option<&str>) -> &mut Self {
        for runs in compounds(s.unwrap_or("")) {
            for w in &runs {
                self.push(w);
            }
            if mixed(&runs) {
                self.push(&runs.concat());
            }
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

    /// Appends a word unless the document has it already.
    fn push(&mut self, w: &str) {
        if self.0.split(' ').any(|x| x == w) {
            return;
        }
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
    fn words_are_runs_of_letters_and_digits_kept_whole() {
        assert_eq!(
            words("Schmidt123@Mail.de"),
            vec!["schmidt123", "mail", "de"]
        );
        assert_eq!(
            words("Åsa Öberg-Lind Ærø"),
            vec!["asa", "oberg", "lind", "ærø"]
        );
        assert_eq!(words(" -- "), Vec::<String>::new());
        assert_eq!(query_terms("ab AB ab c"), vec!["ab", "c"]);
    }

    #[test]
    fn search_words_that_mix_letters_and_digits_stay_whole() {
        assert_eq!(query_terms("ac3"), vec!["ac3"]);
        assert_eq!(query_terms("x5 AC3"), vec!["x5", "ac3"]);
        assert_eq!(query_terms("ERP-00424242"), vec!["erp00424242"]);
        assert_eq!(query_terms("erp-0042"), vec!["erp0042"]);
        // Compounds of letters only or digits only are their runs.
        assert_eq!(query_terms("web.de"), vec!["web", "de"]);
        assert_eq!(query_terms("556677-8899"), vec!["556677", "8899"]);
        // A joiner followed by a space or doubled ends the compound.
        assert_eq!(query_terms("erp- 42"), vec!["erp", "42"]);
        assert_eq!(query_terms("erp--42"), vec!["erp", "42"]);
    }

    #[test]
    fn documents_hold_runs_and_the_compact_form_of_mixed_compounds() {
        let mut d = SearchDocument::default();
        d.text(Some("Lager AC-4, hall 37"));
        assert_eq!(d.as_str(), "lager ac 4 ac4 hall 37");
        let mut d = SearchDocument::default();
        d.text(Some("anna.schmidt123@web.de"));
        assert_eq!(d.as_str(), "anna schmidt123 annaschmidt123 web de");
        // Every search word prefix-matches a word of the document, or the client is not found.
        let found = |doc: &SearchDocument, q: &str| {
            query_terms(q)
                .iter()
                .all(|t| doc.as_str().split(' ').any(|w| w.starts_with(t.as_str())))
        };
        let mut ac4 = SearchDocument::default();
        ac4.text(Some("Firma 37")).identifier(Some("AC4"));
        assert!(!found(&ac4, "ac3"));
        assert!(found(&ac4, "ac4"));
        assert!(found(&ac4, "ac"));
        let mut erp = SearchDocument::default();
        erp.identifier(Some("ERP-00424242"));
        assert!(found(&erp, "erp-00424242"));
        assert!(found(&erp, "ERP-0042"));
        assert!(found(&erp, "erp00424242"));
        assert!(!found(&erp, "erp-00424243"));
        let mut split = SearchDocument::default();
        split.text(Some("ERP")).identifier(Some("00424242"));
        assert!(!found(&split, "erp-00424242"));
    }

    #[test]
    fn identifiers_are_found_with_or_without_separators() {
        let mut d = SearchDocument::default();
        d.identifier(Some("SE556677-8899"));
        assert_eq!(d.as_str(), "se556677 8899 se5566778899");
        let mut d = SearchDocument::default();
        d.identifier(Some("556677-8899"));
        assert_eq!(d.as_str(), "556677 8899 5566778899");
        let mut d = SearchDocument::default();
        d.identifier(Some("5566778899"));
        assert_eq!(d.as_str(), "5566778899");
    }
}
