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

use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::client::ClientData;

/// Most words of one `search` that are used; further words are ignored.
pub const MAX_TERMS: usize = 16;

/// Characters that join runs of letters and digits into a compound (`ERP-00424242`).
const JOINERS: &[char] = &['-', '.', '/', '_'];

/// Folds text for search: canonical decomposition, combining marks (accents) removed, lower
/// case (`Åkesson` → `akesson`). The index stores folded words and queries are folded the same
/// way, so both sides agree exactly (the FTS tokenizer is told not to fold again). ASCII text
/// has nothing to decompose and no marks: it is only lowercased.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`fold`], borrowing text that is folded already (ASCII without capitals).
fn folded(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(fold(text))
    }
}

/// Calls `each` with every compound of `text` in order, folded: the folded text and the byte
/// ranges in it of the compound's runs of letters and digits, which were joined by single
/// [`JOINERS`]. One folded text and one list of ranges per call, not a `String` per run.
fn each_compound(text: &str, mut each: impl FnMut(&str, &[Range<usize>])) {
    let folded = folded(text);
    let f: &str = &folded;
    let mut runs: Vec<Range<usize>> = Vec::new();
    // Where the run being read started, if one is.
    let mut start: Option<usize> = None;
    // A joiner seen right after a run: the next run continues the compound.
    let mut joined = false;
    for (i, c) in f.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                if !joined && !runs.is_empty() {
                    each(f, &runs);
                    runs.clear();
                }
                start = Some(i);
            }
            joined = false;
            continue;
        }
        if let Some(s) = start.take() {
            runs.push(s..i);
            joined = JOINERS.contains(&c);
        } else {
            joined = false;
        }
    }
    if let Some(s) = start {
        runs.push(s..f.len());
    }
    if !runs.is_empty() {
        each(f, &runs);
    }
}

/// Whether a compound of several runs (of `f`) mixes letters and digits: then it is also a
/// word whole.
fn mixed(f: &str, runs: &[Range<usize>]) -> bool {
    let chars = || runs.iter().flat_map(|r| f[r.clone()].chars());
    runs.len() > 1
        && chars().any(char::is_numeric)
        && chars().any(|c| c.is_alphabetic() && !c.is_numeric())
}

/// A compound's compact form: its runs one after the other, in `out`.
fn concat_into(out: &mut String, f: &str, runs: &[Range<usize>]) {
    out.clear();
    for r in runs {
        out.push_str(&f[r.clone()]);
    }
}

/// The folded words of `text`, in order: its runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_compound(text, |f, runs| {
        out.extend(runs.iter().map(|r| f[r.clone()].to_string()));
    });
    out
}

/// The words of a `search` parameter: distinct, at most [`MAX_TERMS`]; a compound that mixes
/// letters and digits is one word, its compact form.
pub fn query_terms(search: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |w: &str| {
        if out.len() < MAX_TERMS && !out.iter().any(|x| x == w) {
            out.push(w.to_string());
        }
    };
    let mut compact = String::new();
    each_compound(search, |f, runs| {
        if mixed(f, runs) {
            concat_into(&mut compact, f, runs);
            add(&compact);
        } else {
            for r in runs {
                add(&f[r.clone()]);
            }
        }
    });
    out
}

/// The text indexed for one client. Later resources (contact persons) add their own parts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SearchDocument(String);

impl SearchDocument {
    /// Adds free text (names, e-mail addresses): its runs, and the compact form of each
    /// compound that mixes letters and digits.
    pub fn text(&mut self, s: Option<&str>) -> &mut Self {
        self.add_text(s.unwrap_or(""));
        self
    }

    /// [`text`](Self::text); returns how many runs (words) `s` has.
    fn add_text(&mut self, s: &str) -> usize {
        let mut n = 0;
        let mut compact = String::new();
        each_compound(s, |f, runs| {
            n += runs.len();
            for r in runs {
                self.push(&f[r.clone()]);
            }
            if mixed(f, runs) {
                concat_into(&mut compact, f, runs);
                self.push(&compact);
            }
        });
        n
    }

    /// Adds an identifier: its words and its compact form without separators.
    pub fn identifier(&mut self, s: Option<&str>) -> &mut Self {
        let s = s.unwrap_or("");
        let words = self.add_text(s);
        if s.is_empty() {
            return self;
        }
        let compact: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut parts = 0;
        each_compound(&compact, |_, runs| parts += runs.len());
        if parts != words {
            each_compound(&compact, |f, runs| {
                for r in runs {
                    self.push(&f[r.clone()]);
                }
            });
        }
        self
    }

    /// Appends a word unless the document has it already.
    fn push(&mut self, w: &str) {
        // Byte by byte: a space is one byte in UTF-8 and never part of another character.
        if self
            .0
            .as_bytes()
            .split(|&b| b == b' ')
            .any(|x| x == w.as_bytes())
        {
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

    /// The first implementation (a `String` per run, a `Vec` per compound, every text through
    /// the Unicode decomposition), kept as the oracle of the one above.
    mod oracle {
        use unicode_normalization::char::is_combining_mark;
        use unicode_normalization::UnicodeNormalization;

        use super::super::JOINERS;

        pub fn fold(text: &str) -> String {
            text.nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect()
        }

        fn compounds(text: &str) -> Vec<Vec<String>> {
            let mut out: Vec<Vec<String>> = Vec::new();
            let mut runs: Vec<String> = Vec::new();
            let mut cur = String::new();
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

        fn mixed(runs: &[String]) -> bool {
            let all: String = runs.concat();
            runs.len() > 1
                && all.chars().any(char::is_numeric)
                && all.chars().any(|c| c.is_alphabetic() && !c.is_numeric())
        }

        pub fn words(text: &str) -> Vec<String> {
            compounds(text).into_iter().flatten().collect()
        }

        pub fn query_terms(search: &str) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for runs in compounds(search) {
                let ws = if mixed(&runs) {
                    vec![runs.concat()]
                } else {
                    runs
                };
                for w in ws {
                    if !out.contains(&w) && out.len() < super::super::MAX_TERMS {
                        out.push(w);
                    }
                }
            }
            out
        }

        #[derive(Default)]
        pub struct Doc(pub String);

        impl Doc {
            pub fn text(&mut self, s: &str) -> &mut Self {
                for runs in compounds(s) {
                    for w in &runs {
                        self.push(w);
                    }
                    if mixed(&runs) {
                        self.push(&runs.concat());
                    }
                }
                self
            }

            pub fn identifier(&mut self, s: &str) -> &mut Self {
                self.text(s);
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
                // Byte by byte: a space is one byte in UTF-8 and never part of another character.
                if self
                    .0
                    .as_bytes()
                    .split(|&b| b == b' ')
                    .any(|x| x == w.as_bytes())
                {
                    return;
                }
                if !self.0.is_empty() {
                    self.0.push(' ');
                }
                self.0.push_str(w);
            }
        }
    }

    /// Text of `len` characters drawn from `alphabet` by a fixed linear congruential sequence.
    fn texts(alphabet: &[&str], count: usize, max_len: usize) -> Vec<String> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        (0..count)
            .map(|_| {
                let len = next() % (max_len + 1);
                (0..len)
                    .map(|_| alphabet[next() % alphabet.len()])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn words_documents_and_terms_are_those_of_the_first_implementation() {
        // ASCII letters, digits, joiners and other separators; accented, decomposable and
        // case-special letters (`İ` lowercases to `i` and a combining dot, `ß`, `ǅ`);
        // combining marks on their own; digits and numbers of other scripts (`٣`, `Ⅻ`, `²`);
        // a ligature, spaces of other kinds.
        let alphabet = [
            "a", "b", "Z", "Q", "0", "7", "42", " ", "  ", "-", "--", ".", "/", "_", "@", ",", "Å",
            "ö", "É", "é", "e\u{301}", "İ", "ß", "ǅ", "Ω", "\u{301}", "\u{93e}", "٣", "Ⅻ", "²",
            "ﬁ", "\u{a0}", "\u{3000}", "ERP", "erp-", "AC", "Ærø", "ǈ", "ﬀ",
        ];
        let mut inputs: Vec<String> = texts(&alphabet, 4000, 10);
        inputs.extend(texts(&alphabet[..16], 1000, 24));
        inputs.extend(
            [
                "Floor Post 123 AB",
                "post123@floor.example",
                "5560000123",
                "SE556677-8899",
                "anna.schmidt123@web.de",
                "Lager AC-4, hall 37",
                "ERP-00424242",
                "erp- 42",
                "erp--42",
                "",
            ]
            .map(String::from),
        );
        for t in &inputs {
            assert_eq!(fold(t), oracle::fold(t), "fold {t:?}");
            assert_eq!(words(t), oracle::words(t), "words {t:?}");
            assert_eq!(query_terms(t), oracle::query_terms(t), "terms {t:?}");
        }
        // Documents of several texts and identifiers, as a client's is made.
        for pair in inputs.chunks(3) {
            let (a, b, c) = (&pair[0], &pair[pair.len() / 2], &pair[pair.len() - 1]);
            let mut new = SearchDocument::default();
            new.text(Some(a))
                .identifier(Some(b))
                .text(None)
                .identifier(Some(c));
            new.identifier(None).text(Some(b));
            let mut old = oracle::Doc::default();
            old.text(a).identifier(b).text("").identifier(c);
            old.identifier("").text(b);
            assert_eq!(new.as_str(), old.0, "{a:?} {b:?} {c:?}");
        }
    }
}
