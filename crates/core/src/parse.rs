//! A reader over a JSON object that turns raw values into domain values and collects every field
//! error with its dotted path, instead of stopping at the first one.

use serde_json::{Map, Value};

use crate::error::Errors;
use crate::types::{Invalid, Money};

/// Whole numbers beyond this are not written exactly as a JSON float.
const EXACT_FLOAT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A JSON number that is a whole number, written with or without a fraction (`30` or `30.0`, the
/// same integer to JSON and to JSON Schema), as an `i64`.
pub fn whole_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        let f = v.as_f64()?;
        (f.fract() == 0.0 && f.abs() <= EXACT_FLOAT_INTEGER).then_some(f as i64)
    })
}

/// [`whole_i64`] for a non-negative whole number, as a `u64`.
pub fn whole_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| whole_i64(v).and_then(|n| u64::try_from(n).ok()))
}

/// Objects of at most this many keys are searched by [`ObjectReader::raw`] key by key.
const SCAN_KEYS: usize = 12;

pub struct ObjectReader<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    pub errors: &'a mut Errors,
}

/// JSON type names as a user would say them.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON type with its article, for messages: `an array`, `a string`, `null`.
pub fn a_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> ObjectReader<'a> {
    pub fn new(obj: &'a Map<String, Value>, prefix: &str, errors: &'a mut Errors) -> Self {
        Self {
            obj,
            prefix: prefix.to_string(),
            errors,
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// Refuses keys that are neither writable nor known read-only ones.
    pub fn reject_unknown(&mut self, writable: &[&str], read_only: &[&str]) {
        for key in self.obj.keys() {
            if !writable.contains(&key.as_str()) && !read_only.contains(&key.as_str()) {
                let path = self.path(key);
                self.errors
                    .push(&path, "unknown_field", "is not a known field");
            }
        }
    }

    /// The raw value; absent and `null` are both `None`. The objects of a request body have a
    /// handful of keys, and a client's parse asks for about 50: in an object of at most
    /// [`SCAN_KEYS`] keys the key is found by comparing it with each (mostly a length check),
    /// which is cheaper than hashing it (SipHash) as `Map::get` does; larger ones use `get`.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        let value = if self.obj.len() <= SCAN_KEYS {
            self.obj
                .iter()
                .find_map(|(k, v)| (k.as_str() == key).then_some(v))
        } else {
            self.obj.get(key)
        };
        value.filter(|v| !v.is_null())
    }

    fn wrong_type(&mut self, key: &str, expected: &str, got: &Value) {
        let path = self.path(key);
        self.errors.push(
            &path,
            "invalid_type",
            format!("must be {expected}, not {}", type_name(got)),
        );
    }

    pub fn invalid(&mut self, key: &str, e: Invalid) {
        let path = self.path(key);
        self.errors.push(&path, e.code, e.message);
    }

    pub fn string(&mut self, key: &str, max: usize) -> Option<String> {
        let v = self.raw(key)?;
        let Some(s) = v.as_str() else {
            self.wrong_type(key, "a string", v);
            return None;
        };
        let n = s.chars().count();
        if n > max {
            self.invalid(
                key,
                Invalid::new(
                    "too_long",
                    format!("must be at most {max} characters (got {n})"),
                ),
            );
            return None;
        }
        Some(s.to_string())
    }

    /// A string turned into a domain type by `parse`.
    pub fn parsed<T>(&mut self, key: &str, parse: fn(&str) -> Result<T, Invalid>) -> Option<T> {
        let v = self.raw(key)?;
        let Some(s) = v.as_str() else {
            self.wrong_type(key, "a string", v);
            return None;
        };
        match parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.invalid(key, e);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        let v = self.raw(key)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(key, "a boolean", v);
                None
            }
        }
    }

    pub fn integer(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let v = self.raw(key)?;
        let Some(n) = whole_i64(v) else {
            if v.is_number() {
                self.invalid(key, Invalid::new("invalid_type", "must be an integer"));
            } else {
                self.wrong_type(key, "an integer", v);
            }
            return None;
        };
        if n < min || n > max {
            self.invalid(
                key,
                Invalid::new("out_of_range", format!("must be between {min} and {max}")),
            );
            return None;
        }
        Some(n)
    }

    pub fn float(&mut self, key: &str, min: f64, max: f64) -> Option<f64> {
        let v = self.raw(key)?;
        let Some(n) = v.as_f64() else {
            self.wrong_type(key, "a number", v);
            return None;
        };
        if !(min..=max).contains(&n) {
            self.invalid(
                key,
                Invalid::new("out_of_range", format!("must be between {min} and {max}")),
            );
            return None;
        }
        // A negative zero is read as zero: SQLite stores a whole REAL as an integer and reads it
        // back without its sign, so `-0.0` would answer a write otherwise than the reads after it.
        Some(n + 0.0)
    }

    /// Money is read from the number's own digits, never through `f64`.
    pub fn money(&mut self, key: &str) -> Option<Money> {
        let v = self.raw(key)?;
        let Value::Number(n) = v else {
            self.wrong_type(key, "a number", v);
            return None;
        };
        match Money::parse(&n.to_string()) {
            Ok(m) => Some(m),
            Err(e) => {
                self.invalid(key, e);
                None
            }
        }
    }

    pub fn object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        let v = self.raw(key)?;
        match v.as_object() {
            Some(o) => Some(o),
            None => {
                self.wrong_type(key, "an object", v);
                None
            }
        }
    }

    /// Runs `f` on a nested object with the nested path prefix.
    pub fn nested<T>(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut ObjectReader<'_>) -> T,
    ) -> Option<T> {
        let obj = self.object(key)?;
        let prefix = self.path(key);
        let mut inner = ObjectReader::new(obj, &prefix, self.errors);
        Some(f(&mut inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_whole_number_may_be_written_with_a_fraction() {
        assert_eq!(whole_i64(&json!(30)), Some(30));
        assert_eq!(whole_i64(&json!(30.0)), Some(30));
        assert_eq!(whole_i64(&json!(-7.0)), Some(-7));
        assert_eq!(whole_i64(&json!(30.5)), None);
        assert_eq!(whole_i64(&json!(1e300)), None);
        assert_eq!(whole_i64(&json!("30")), None);
        assert_eq!(whole_u64(&json!(165.0)), Some(165));
        assert_eq!(whole_u64(&json!(u64::MAX)), Some(u64::MAX));
        assert_eq!(whole_u64(&json!(-1.0)), None);
        let mut errors = Errors::default();
        let obj = json!({"a": 2285.0, "b": 2.5});
        let mut r = ObjectReader::new(obj.as_object().expect("object"), "", &mut errors);
        assert_eq!(r.integer("a", 0, 3650), Some(2285));
        assert_eq!(r.integer("b", 0, 3650), None);
        assert_eq!(errors.0.len(), 1);
    }

    #[test]
    fn fields_are_found_alike_in_small_and_large_objects() {
        for size in [0, 1, 5, SCAN_KEYS, SCAN_KEYS + 1, 40] {
            let mut obj = Map::new();
            for i in 0..size {
                let value = if i % 3 == 0 { Value::Null } else { json!(i) };
                obj.insert(format!("k{i}"), value);
            }
            let mut errors = Errors::default();
            let r = ObjectReader::new(&obj, "", &mut errors);
            for i in 0..size + 2 {
                let key = format!("k{i}");
                let expected = obj.get(&key).filter(|v| !v.is_null());
                assert_eq!(r.raw(&key), expected, "{size} {key}");
            }
            assert_eq!(r.raw("k"), None);
        }
    }
}
