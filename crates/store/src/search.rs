//! Free-text search on PostgreSQL without extensions: every client has one row per distinct
//! normalised word in `client_search_terms` (migration postgres/0002), rewritten in the same
//! transaction as every change to the client or its contact persons.
//!
//! Semantics (API.md, `search`): every word of the query must prefix-match a word of name,
//! legal_name, first/last name, email, tax_id, org_number, external_id, account_code, or a
//! contact person's name/email; case- and accent-insensitive. Words are what [`words`] makes of
//! a text: lower-cased, accents folded (`Müller` → `muller`, `Ørsted` → `orsted`), split on
//! anything that is not a letter or digit (so `schmidt123@x.de` gives `schmidt123`, `x`, `de`).
//!
//! Hook for the list compiler (issue 3): on PostgreSQL, AND [`condition`] into the list's
//! `WHERE`; it is `clients.id IN (SELECT client_id ... WHERE term >= 'w' AND term < 'x')` per query word
//! (a prefix as a range), a range scan on the terms' primary key.

use std::collections::BTreeSet;

use clientele_core::sub::SubData;
use clientele_core::{ClientData, TenantId};
use sea_query::{Cond, Expr, Query};
use uuid::Uuid;

use crate::sql::{clients, col};

const TABLE: &str = "client_search_terms";

/// Folds one character to lower-case ASCII where it has an obvious Latin base letter.
fn fold(c: char, out: &mut String) {
    let s = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Č' | 'č' | 'Ĉ' | 'ĉ' | 'Ċ' | 'ċ' => "c",
        'Ð' | 'ð' | 'Ď' | 'ď' | 'Đ' | 'đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => "e",
        'Ğ' | 'ğ' | 'Ģ' | 'ģ' => "g",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' | 'Į' | 'į' | 'İ' | 'ı' => "i",
        'Ķ' | 'ķ' => "k",
        'Ł' | 'ł' | 'Ļ' | 'ļ' | 'Ľ' | 'ľ' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' | 'Ņ' | 'ņ' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Š' | 'š' | 'Ş' | 'ş' | 'Ș' | 'ș' => "s",
        'ß' => "ss",
        'Ť' | 'ť' | 'Ţ' | 'ţ' | 'Ț' | 'ț' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => "u",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        c => {
            out.extend(c.to_lowercase());
            return;
        }
    };
    out.push_str(s);
}

/// The normalised words of a text, in order (duplicates kept).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            fold(c, &mut word);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The distinct terms of a client and its contact persons.
pub fn client_terms<'a>(
    data: &ClientData,
    contacts: impl IntoIterator<Item = &'a SubData>,
) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    let mut add = |v: Option<&str>| {
        if let Some(v) = v {
            terms.extend(words(v));
        }
    };
    add(Some(&data.name));
    add(data.legal_name.as_deref());
    add(data.first_name.as_deref());
    add(data.last_name.as_deref());
    add(data.email.as_ref().map(|e| e.as_str()));
    add(data.tax_id.as_deref());
    add(data.org_number.as_deref());
    add(data.external_id.as_deref());
    add(data.account_code.as_deref());
    for c in contacts {
        if let SubData::ContactPerson(c) = c {
            add(Some(&c.name));
            add(c.email.as_ref().map(|e| e.as_str()));
        }
    }
    terms
}

/// The search condition on `clients` for a query text; `None` when it has no words (no filter).
pub fn condition(tenant: TenantId, text: &str) -> Option<Cond> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    let mut cond = Cond::all();
    for w in words {
        let mut sub = Query::select();
        sub.column(col("client_id"))
            .from(col(TABLE))
            .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
            // A prefix as a range, so that even a generic plan of the prepared statement is a
            // range scan of the primary key (a `LIKE $1` pattern is opaque at plan time).
            .and_where(Expr::col(col("term")).gte(w.clone()));
        if let Some(upper) = prefix_upper_bound(&w) {
            sub.and_where(Expr::col(col("term")).lt(upper));
        }
        cond = cond.add(Expr::col((clients(), col("id"))).in_subquery(sub));
    }
    Some(cond)
}

/// The least string greater than every string that starts with `prefix`, in code point (= UTF-8
/// byte, `COLLATE "C"`) order: the prefix with its last character incremented.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

pub(crate) fn delete_terms(tenant: TenantId, client_id: Uuid) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col(TABLE))
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    q
}

pub(crate) fn insert_terms(
    tenant: TenantId,
    client_id: Uuid,
    terms: &BTreeSet<String>,
) -> Option<sea_query::InsertStatement> {
    if terms.is_empty() {
        return None;
    }
    let mut q = Query::insert();
    q.into_table(col(TABLE))
        .columns([col("tenant_id"), col("term"), col("client_id")]);
    for t in terms {
        q.values_panic([
            tenant.0.to_string().into(),
            t.clone().into(),
            client_id.to_string().into(),
        ]);
    }
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_accent_folded_and_split() {
        assert_eq!(words("Müller & Søn AB"), ["muller", "son", "ab"]);
        assert_eq!(words("schmidt123@x.de"), ["schmidt123", "x", "de"]);
        assert_eq!(words("ÉCOLE Straße"), ["ecole", "strasse"]);
        assert!(words("  -- ").is_empty());
    }

    #[test]
    fn a_prefix_range_ends_just_after_every_completion() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_upper_bound("az").as_deref(), Some("a{"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound(""), None);
    }
}
