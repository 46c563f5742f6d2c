//! The `filter` expression language: a hand-written lexer and recursive-descent parser that
//! produces a syntax tree over the allow-list of fields ([`crate::query::CLIENT_FIELDS`]).
//!
//! ```text
//! expr    := and ('or' and)*               -- `and` binds tighter than `or`
//! and     := unary ('and' unary)*
//! unary   := 'not' unary | primary
//! primary := '(' expr ')'
//!          | ('contains' | 'startswith' | 'endswith') '(' field ',' string ')'
//!          | field op literal | field 'in' '(' literal (',' literal)* ')'
//!          | field                         -- a boolean field alone means `field eq true`
//! op      := eq | ne | gt | ge | lt | le
//! literal := 'quoted string' | number | timestamp | date | true | false | null
//! ```
//!
//! Every literal is checked against its field's type and turned into its stored form, so the
//! tree only holds values the store can bind as they are. Errors carry a 1-based character
//! position. The parser never panics and bounds nesting and size, so any input is safe.

use std::str::FromStr;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::query::{client_field, Field, FieldType, Scalar};
use crate::types::{money_key, CountryCode, CurrencyCode, Timestamp};

/// Longest accepted expression, in characters.
pub const MAX_FILTER_CHARS: usize = 4096;
/// Deepest nesting of parentheses and `not`.
const MAX_DEPTH: usize = 32;
/// Most comparisons in one expression (keeps the compiled SQL far from engine limits).
const MAX_TERMS: usize = 100;
/// Most values in one `in (...)` list.
const MAX_IN_VALUES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// A filter over clients. Values are already in their stored form.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field op value`; a comparison with a NULL field is false (`ne` is true for NULL).
    Cmp {
        field: &'static Field,
        op: CmpOp,
        value: Scalar,
    },
    /// `field eq null` (`is_null`) or `field ne null`.
    Null {
        field: &'static Field,
        is_null: bool,
    },
    In {
        field: &'static Field,
        values: Vec<Scalar>,
    },
    /// Case-insensitive (ASCII) substring, prefix or suffix match.
    Text {
        field: &'static Field,
        op: TextOp,
        value: String,
    },
}

/// What is wrong with an expression, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// `syntax_error`, `unknown_field`, `invalid_value` or `too_complex`.
    pub code: &'static str,
    /// 1-based character position of the offending token.
    pub position: usize,
    /// Says what is wrong and ends with `at position N`.
    pub message: String,
}

impl FilterError {
    fn new(code: &'static str, position: usize, what: impl std::fmt::Display) -> Self {
        Self {
            code,
            position,
            message: format!("{what} at position {position}"),
        }
    }
}

/// The names an expression writes its fields with: the native dotted paths ([`NativeNames`]),
/// or a dialect's own (seed 003's camelCase). Only the names differ: the fields, their types
/// and so the tree and the SQL the store compiles from it are the same.
pub trait Vocabulary {
    /// The field a name denotes; `None` for an unknown name.
    fn field(&self, name: &str) -> Option<&'static Field>;
    /// How messages name a field.
    fn name_of(&self, field: &Field) -> String;
    /// Why a known name cannot be used in an expression (a field that is shown but not
    /// stored as a column); `None` for a name that is simply unknown.
    fn unfilterable(&self, _name: &str) -> Option<String> {
        None
    }
}

/// The native names: the dotted paths of [`crate::query::CLIENT_FIELDS`], with the short
/// `country` and `currency`.
pub struct NativeNames;

impl Vocabulary for NativeNames {
    fn field(&self, name: &str) -> Option<&'static Field> {
        client_field(name)
    }

    fn name_of(&self, field: &Field) -> String {
        field.path.to_string()
    }
}

/// Whether `s` is a GUID written out (`8-4-4-4-12` hex digits), as OData writes them bare.
fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// A number or a timestamp/date, kept as written.
    Bare(String),
    LParen,
    RParen,
    Comma,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Str(_) => "a string".into(),
            Tok::Bare(s) => format!("'{s}'"),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::End => "the end of the expression".into(),
        }
    }
}

fn lex(input: &str) -> Result<Vec<(Tok, usize)>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => out.push((Tok::LParen, pos)),
            ')' => out.push((Tok::RParen, pos)),
            ',' => out.push((Tok::Comma, pos)),
            '\'' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(FilterError::new(
                                "syntax_error",
                                pos,
                                "unterminated string",
                            ))
                        }
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            s.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(&ch) => {
                            s.push(ch);
                            j += 1;
                        }
                    }
                }
                out.push((Tok::Str(s), pos));
                i = j + 1;
                continue;
            }
            _ if i + 36 <= chars.len()
                && is_guid(&chars[i..i + 36].iter().collect::<String>())
                && !chars
                    .get(i + 36)
                    .is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_') =>
            {
                out.push((Tok::Bare(chars[i..i + 36].iter().collect()), pos));
                i += 36;
                continue;
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+')
                    && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let mut j = i + 1;
                while chars
                    .get(j)
                    .is_some_and(|d| d.is_ascii_alphanumeric() || ".:+-".contains(*d))
                {
                    j += 1;
                }
                out.push((Tok::Bare(chars[i..j].iter().collect()), pos));
                i = j;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while chars
                    .get(j)
                    .is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_' || *d == '.')
                {
                    j += 1;
                }
                out.push((Tok::Ident(chars[i..j].iter().collect()), pos));
                i = j;
                continue;
            }
            other => {
                return Err(FilterError::new(
                    "syntax_error",
                    pos,
                    format!("unexpected character {other:?}"),
                ))
            }
        }
        i += 1;
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

/// Parses a `filter` expression written with the native field names.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    parse_filter_with(input, &NativeNames)
}

/// Parses an expression whose fields are named by `names` (the grammar and limits are the
/// same for every vocabulary).
pub fn parse_filter_with(input: &str, names: &dyn Vocabulary) -> Result<Filter, FilterError> {
    let n = input.chars().count();
    if n > MAX_FILTER_CHARS {
        return Err(FilterError::new(
            "too_complex",
            MAX_FILTER_CHARS + 1,
            format!("the expression is longer than {MAX_FILTER_CHARS} characters"),
        ));
    }
    let toks = lex(input)?;
    let mut p = Parser {
        toks,
        names,
        i: 0,
        depth: 0,
        terms: 0,
    };
    let f = p.expr()?;
    match p.peek() {
        (Tok::End, _) => Ok(f),
        (t, pos) => Err(FilterError::new(
            "syntax_error",
            pos,
            format!("expected 'and', 'or' or the end, found {}", t.describe()),
        )),
    }
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    names: &'a dyn Vocabulary,
    i: usize,
    depth: usize,
    terms: usize,
}

fn keyword(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> (Tok, usize) {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .cloned()
            .unwrap_or((Tok::End, 1))
    }

    fn next(&mut self) -> (Tok, usize) {
        let t = self.peek();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), FilterError> {
        let (t, pos) = self.next();
        if t == want {
            Ok(())
        } else {
            Err(FilterError::new(
                "syntax_error",
                pos,
                format!("expected {what}, found {}", t.describe()),
            ))
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                "too_complex",
                pos,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.and()?];
        while keyword(&self.peek().0, "or") {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Filter::And(Vec::new()))
        } else {
            Filter::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.unary()?];
        while keyword(&self.peek().0, "and") {
            self.next();
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Filter::And(Vec::new()))
        } else {
            Filter::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let (t, pos) = self.peek();
        if keyword(&t, "not") {
            self.next();
            self.enter(pos)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, FilterError> {
        let (t, pos) = self.next();
        match t {
            Tok::LParen => {
                self.enter(pos)?;
                let inner = self.expr()?;
                self.expect(Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Ident(name) => {
                let func = match name.to_ascii_lowercase().as_str() {
                    "contains" => Some(TextOp::Contains),
                    "startswith" => Some(TextOp::StartsWith),
                    "endswith" => Some(TextOp::EndsWith),
                    _ => None,
                };
                match func {
                    Some(op) if self.peek().0 == Tok::LParen => self.text_func(op),
                    None if self.peek().0 == Tok::LParen => Err(FilterError::new(
                        "syntax_error",
                        pos,
                        format!(
                            "unsupported function '{name}' (contains, startswith and endswith are)"
                        ),
                    )),
                    _ => self.comparison(&name, pos),
                }
            }
            other => Err(FilterError::new(
                "syntax_error",
                pos,
                format!("expected a field, 'not' or '(', found {}", other.describe()),
            )),
        }
    }

    fn count_term(&mut self, pos: usize) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(FilterError::new(
                "too_complex",
                pos,
                format!("more than {MAX_TERMS} comparisons"),
            ));
        }
        Ok(())
    }

    fn field(&self, name: &str, pos: usize) -> Result<&'static Field, FilterError> {
        if let Some(why) = self.names.unfilterable(name) {
            return Err(FilterError::new("unknown_field", pos, why));
        }
        self.names.field(name).ok_or_else(|| {
            FilterError::new("unknown_field", pos, format!("unknown field '{name}'"))
        })
    }

    fn text_func(&mut self, op: TextOp) -> Result<Filter, FilterError> {
        self.expect(Tok::LParen, "'('")?;
        let (t, pos) = self.next();
        let Tok::Ident(name) = t else {
            return Err(FilterError::new(
                "syntax_error",
                pos,
                format!("expected a field, found {}", t.describe()),
            ));
        };
        let field = self.field(&name, pos)?;
        self.count_term(pos)?;
        if !field.ty.is_textual() {
            return Err(FilterError::new(
                "invalid_value",
                pos,
                format!("{} is not a text field", self.names.name_of(field)),
            ));
        }
        self.expect(Tok::Comma, "','")?;
        let (t, vpos) = self.next();
        let Tok::Str(value) = t else {
            return Err(FilterError::new(
                "invalid_value",
                vpos,
                format!("expected a quoted string, found {}", t.describe()),
            ));
        };
        self.expect(Tok::RParen, "')'")?;
        Ok(Filter::Text { field, op, value })
    }

    fn comparison(&mut self, name: &str, pos: usize) -> Result<Filter, FilterError> {
        if [
            "and", "or", "in", "eq", "ne", "gt", "ge", "lt", "le", "null",
        ]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k))
        {
            return Err(FilterError::new(
                "syntax_error",
                pos,
                format!("expected a field, found '{name}'"),
            ));
        }
        let field = self.field(name, pos)?;
        self.count_term(pos)?;
        let (t, opos) = self.peek();
        let is_operator = matches!(&t, Tok::Ident(s)
            if ["eq", "ne", "gt", "ge", "lt", "le", "in"].iter().any(|k| s.eq_ignore_ascii_case(k)));
        if field.ty == FieldType::Bool && !is_operator {
            // A boolean field alone is a condition by itself.
            return Ok(Filter::Cmp {
                field,
                op: CmpOp::Eq,
                value: Scalar::Bool(true),
            });
        }
        let op = match &t {
            Tok::Ident(s) => match s.to_ascii_lowercase().as_str() {
                "eq" => Some(CmpOp::Eq),
                "ne" => Some(CmpOp::Ne),
                "gt" => Some(CmpOp::Gt),
                "ge" => Some(CmpOp::Ge),
                "lt" => Some(CmpOp::Lt),
                "le" => Some(CmpOp::Le),
                "in" => None,
                _ => {
                    return Err(FilterError::new(
                        "syntax_error",
                        opos,
                        format!(
                            "expected an operator (eq ne gt ge lt le in), found {}",
                            t.describe()
                        ),
                    ))
                }
            },
            _ => {
                return Err(FilterError::new(
                    "syntax_error",
                    opos,
                    format!(
                        "expected an operator (eq ne gt ge lt le in) after {}, found {}",
                        self.names.name_of(field),
                        t.describe()
                    ),
                ))
            }
        };
        self.next();
        let Some(op) = op else {
            return self.in_list(field);
        };
        let (t, vpos) = self.next();
        if keyword(&t, "null") {
            return match op {
                CmpOp::Eq => Ok(Filter::Null {
                    field,
                    is_null: true,
                }),
                CmpOp::Ne => Ok(Filter::Null {
                    field,
                    is_null: false,
                }),
                _ => Err(FilterError::new(
                    "invalid_value",
                    vpos,
                    "null can only be compared with eq or ne",
                )),
            };
        }
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !field.ty.is_ordered() {
            return Err(FilterError::new(
                "invalid_value",
                opos,
                format!(
                    "{} can only be compared with eq or ne",
                    self.names.name_of(field)
                ),
            ));
        }
        let value = literal(field, &self.names.name_of(field), &t, vpos)?;
        Ok(Filter::Cmp { field, op, value })
    }

    fn in_list(&mut self, field: &'static Field) -> Result<Filter, FilterError> {
        self.expect(Tok::LParen, "'(' after 'in'")?;
        let mut values = Vec::new();
        loop {
            let (t, pos) = self.next();
            if values.len() >= MAX_IN_VALUES {
                return Err(FilterError::new(
                    "too_complex",
                    pos,
                    format!("more than {MAX_IN_VALUES} values in one 'in' list"),
                ));
            }
            if keyword(&t, "null") {
                return Err(FilterError::new(
                    "invalid_value",
                    pos,
                    "null is not allowed in an 'in' list; use 'eq null'",
                ));
            }
            values.push(literal(field, &self.names.name_of(field), &t, pos)?);
            let (t, pos) = self.next();
            match t {
                Tok::Comma => continue,
                Tok::RParen => break,
                other => {
                    return Err(FilterError::new(
                        "syntax_error",
                        pos,
                        format!("expected ',' or ')', found {}", other.describe()),
                    ))
                }
            }
        }
        Ok(Filter::In { field, values })
    }
}

/// Turns a literal token into the stored form of `field`'s type.
fn literal(field: &Field, name: &str, t: &Tok, pos: usize) -> Result<Scalar, FilterError> {
    let raw = match t {
        Tok::Str(s) => Raw::Quoted(s),
        Tok::Bare(s) => Raw::Bare(s),
        Tok::Ident(s) if s.eq_ignore_ascii_case("true") => Raw::Bool(true),
        Tok::Ident(s) if s.eq_ignore_ascii_case("false") => Raw::Bool(false),
        other => {
            return Err(FilterError::new(
                "syntax_error",
                pos,
                format!("expected a value, found {}", other.describe()),
            ))
        }
    };
    convert(field, name, raw).map_err(|m| FilterError::new("invalid_value", pos, m))
}

enum Raw<'a> {
    Quoted(&'a str),
    Bare(&'a str),
    Bool(bool),
}

/// `wrong(name, field)`: the message for a literal that does not fit the field.
fn wrong(name: &str, field: &Field) -> String {
    format!("{name} expects {}", field.ty.describe())
}

fn convert(field: &Field, name: &str, raw: Raw<'_>) -> Result<Scalar, String> {
    use FieldType as T;
    let wrong = |field: &Field| wrong(name, field);
    match (field.ty, raw) {
        (T::Text, Raw::Quoted(s)) => Ok(Scalar::Text(s.to_string())),
        // A bare GUID (OData writes them so) is its canonical text.
        (T::Text | T::Uuid, Raw::Bare(s)) if is_guid(s) => Uuid::parse_str(s)
            .map(|u| Scalar::Text(u.to_string()))
            .map_err(|_| wrong(field)),
        (T::Enum(values), Raw::Quoted(s)) if values.contains(&s) => Ok(Scalar::Text(s.to_string())),
        (T::Country, Raw::Quoted(s)) => CountryCode::parse(s)
            .map(|c| Scalar::Text(c.into_inner()))
            .map_err(|_| wrong(field)),
        (T::Currency, Raw::Quoted(s)) => CurrencyCode::parse(s)
            .map(|c| Scalar::Text(c.into_inner()))
            .map_err(|_| wrong(field)),
        (T::Uuid, Raw::Quoted(s)) => Uuid::parse_str(s)
            .map(|u| Scalar::Text(u.to_string()))
            .map_err(|_| wrong(field)),
        (T::Int, Raw::Bare(s)) => s.parse::<i64>().map(Scalar::Int).map_err(|_| wrong(field)),
        (T::Money, Raw::Bare(s)) => Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .ok()
            .and_then(money_key)
            .map(Scalar::Int)
            .ok_or_else(|| wrong(field)),
        (T::Float, Raw::Bare(s)) => s
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Scalar::Float)
            .ok_or_else(|| wrong(field)),
        (T::Bool, Raw::Bool(b)) => Ok(Scalar::Bool(b)),
        (T::Timestamp, Raw::Bare(s) | Raw::Quoted(s)) => Timestamp::parse(s)
            .map(|t| Scalar::Text(t.to_rfc3339()))
            .map_err(|_| wrong(field)),
        _ => Err(wrong(field)),
    }
}

/// Reads a plain query-parameter value (`status=active`, `created_from=2026-11-01`) for a field.
pub fn parse_param_value(field: &Field, s: &str) -> Result<Scalar, String> {
    use FieldType as T;
    let raw = match field.ty {
        T::Int | T::Money | T::Float | T::Timestamp => Raw::Bare(s),
        T::Bool => match s {
            "true" => Raw::Bool(true),
            "false" => Raw::Bool(false),
            _ => return Err(wrong(field.path, field)),
        },
        _ => Raw::Quoted(s),
    };
    convert(field, field.path, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::money_e4_of_key;

    fn err(s: &str) -> (String, usize) {
        let e = parse_filter(s).expect_err(s);
        (e.code.to_string(), e.position)
    }

    #[test]
    fn parses_the_api_example_with_and_binding_tighter_than_or() {
        let f = parse_filter(
            "credit.limit ge 10000 and (country eq 'SE' or country eq 'NO') and not archived",
        )
        .expect("valid");
        let Filter::And(parts) = f else {
            panic!("{f:?}")
        };
        assert_eq!(parts.len(), 3);
        assert!(matches!(
            &parts[0],
            Filter::Cmp { field, op: CmpOp::Ge, value: Scalar::Int(k) }
                if field.path == "credit.limit" && money_e4_of_key(*k) == 100_000_000
        ));
        assert!(matches!(&parts[1], Filter::Or(v) if v.len() == 2));
        assert!(matches!(&parts[2], Filter::Not(_)));
        let f = parse_filter("status eq 'active' or kind eq 'person' and archived").expect("ok");
        assert!(matches!(f, Filter::Or(v) if matches!(&v[1], Filter::And(_))));
    }

    #[test]
    fn literals_take_the_stored_form_of_their_field() {
        let f = parse_filter("updated_at ge 2026-11-01T01:00:00+01:00").expect("ok");
        assert!(
            matches!(f, Filter::Cmp { value: Scalar::Text(ref s), .. } if s == "2026-11-01T00:00:00.000Z")
        );
        let f = parse_filter("created_at lt 2026-11-02").expect("ok");
        assert!(
            matches!(f, Filter::Cmp { value: Scalar::Text(ref s), .. } if s == "2026-11-02T00:00:00.000Z")
        );
        let f = parse_filter("currency in ('eur', 'sek')").expect("ok");
        assert!(
            matches!(f, Filter::In { ref values, .. } if values == &[Scalar::Text("EUR".into()), Scalar::Text("SEK".into())])
        );
        let f = parse_filter("name eq 'O''Brien'").expect("ok");
        assert!(matches!(f, Filter::Cmp { value: Scalar::Text(ref s), .. } if s == "O'Brien"));
        assert!(matches!(
            parse_filter("email eq null").expect("ok"),
            Filter::Null { is_null: true, .. }
        ));
        let f = parse_filter("credit.limit lt 12.3456").expect("ok");
        assert!(
            matches!(f, Filter::Cmp { value: Scalar::Int(k), .. } if money_e4_of_key(k) == 123_456)
        );
        assert_eq!(err("credit.limit lt 1.23456"), ("invalid_value".into(), 17));
    }

    #[test]
    fn errors_name_the_position_and_the_field() {
        assert_eq!(err("name eq"), ("syntax_error".into(), 8));
        assert_eq!(err("colour eq 'red'"), ("unknown_field".into(), 1));
        assert!(parse_filter("colour eq 'red'")
            .expect_err("x")
            .message
            .contains("'colour'"));
        assert_eq!(err("name eq 'x"), ("syntax_error".into(), 9));
        assert_eq!(err("credit.limit ge 'x'"), ("invalid_value".into(), 17));
        assert_eq!(err("status eq 'gone'"), ("invalid_value".into(), 11));
        assert_eq!(err("archived gt true"), ("invalid_value".into(), 10));
        assert_eq!(err("(name eq 'a'"), ("syntax_error".into(), 13));
        assert_eq!(err("name eq 'a' name"), ("syntax_error".into(), 13));
        assert_eq!(
            err("contains(credit.limit, 'x')"),
            ("invalid_value".into(), 10)
        );
        assert_eq!(err("name eq 'a' # 1"), ("syntax_error".into(), 13));
        assert_eq!(err(&"(".repeat(40)), ("too_complex".into(), 33));
        assert!(parse_filter("archived and not silenced or (invoice_reminders)").is_ok());
        let e = parse_filter("name eq").expect_err("x");
        assert!(e.message.ends_with("at position 8"), "{}", e.message);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const ATOMS: &[&str] = &[
        "name",
        "credit.limit",
        "country",
        "currency",
        "archived",
        "created_at",
        "id",
        "number",
        "address",
        "metadata",
        "bogus",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "in",
        "and",
        "or",
        "not",
        "(",
        ")",
        ",",
        "'x'",
        "'SE'",
        "'",
        "''",
        "10",
        "-1.5",
        "1e3",
        "1e400",
        "99999999999999999999",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "null",
        "true",
        "false",
        "contains",
        "startswith",
        "endswith",
        " ",
        "é",
        "\u{0}",
        "%",
        "\\",
        "\"",
    ];

    fn soup() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ATOMS), 0..120).prop_map(|v| v.join(" "))
    }

    fn any_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<char>(), 0..1024)
            .prop_map(|v| v.into_iter().collect::<String>())
            .prop_map(|s| s.chars().take(1024).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_or_fails_with_a_position_inside_it(s in any_text()) {
            if let Err(e) = parse_filter(&s) {
                prop_assert!(e.position >= 1 && e.position <= s.chars().count() + 1);
                let suffix = format!("at position {}", e.position);
                prop_assert!(e.message.ends_with(&suffix));
            }
        }

        #[test]
        fn token_soup_never_panics(s in soup()) {
            let _ = parse_filter(&s);
        }
    }
}

#[cfg(test)]
mod vocabularies {
    use super::*;

    /// A vocabulary of two camelCase names, one of them unfilterable.
    struct Camel;

    impl Vocabulary for Camel {
        fn field(&self, name: &str) -> Option<&'static Field> {
            match name {
                "lastName" => client_field("last_name"),
                "ownerId" => client_field("owner_id"),
                "referredById" => client_field("referred_by_id"),
                "fico" => client_field("credit.fico"),
                _ => None,
            }
        }

        fn name_of(&self, field: &Field) -> String {
            match field.path {
                "last_name" => "lastName".into(),
                "credit.fico" => "fico".into(),
                other => other.into(),
            }
        }

        fn unfilterable(&self, name: &str) -> Option<String> {
            (name == "loginToken").then(|| format!("'{name}' cannot be filtered on"))
        }
    }

    #[test]
    fn a_vocabulary_names_fields_and_errors_its_own_way() {
        let f = parse_filter_with("lastName eq 'Lee' and fico ge 700", &Camel).expect("ok");
        let Filter::And(parts) = f else {
            panic!("{f:?}")
        };
        assert!(matches!(&parts[0], Filter::Cmp { field, .. } if field.path == "last_name"));
        assert!(matches!(
            &parts[1],
            Filter::Cmp {
                value: Scalar::Int(700),
                ..
            }
        ));
        let e = parse_filter_with("fico ge 'x'", &Camel).expect_err("type");
        assert!(
            e.message.starts_with("fico expects an integer"),
            "{}",
            e.message
        );
        let e = parse_filter_with("last_name eq 'x'", &Camel).expect_err("native name");
        assert_eq!((e.code, e.position), ("unknown_field", 1));
        let e = parse_filter_with("loginToken eq 'x'", &Camel).expect_err("unfilterable");
        assert!(e.message.contains("cannot be filtered"), "{}", e.message);
    }

    #[test]
    fn bare_guids_are_literals_of_uuid_and_text_fields() {
        let id = "A1B2C3D4-0000-4000-8000-00000000000F";
        for src in [
            format!("ownerId eq {id}"),
            format!("ownerId eq '{}'", id.to_lowercase()),
        ] {
            let f = parse_filter_with(&src, &Camel).expect(&src);
            assert!(
                matches!(f, Filter::Cmp { value: Scalar::Text(ref s), .. } if s == &id.to_lowercase()),
                "{src}: {f:?}"
            );
        }
        let f = parse_filter_with(&format!("referredById eq {id}"), &Camel).expect("uuid");
        assert!(
            matches!(f, Filter::Cmp { value: Scalar::Text(ref s), .. } if s == &id.to_lowercase())
        );
        assert!(parse_filter(&format!(
            "id in ({id}, 01234567-89ab-cdef-0123-456789abcdef)"
        ))
        .is_ok());
        // Not a GUID: a lexing error as before.
        let e = parse_filter("owner_id eq a1b2c3d4-00").expect_err("no guid");
        assert_eq!(e.code, "syntax_error");
    }

    #[test]
    fn unknown_functions_are_named() {
        let e = parse_filter("tolower(name) eq 'x'").expect_err("function");
        assert_eq!((e.code, e.position), ("syntax_error", 1));
        assert!(
            e.message.contains("unsupported function 'tolower'"),
            "{}",
            e.message
        );
    }
}
