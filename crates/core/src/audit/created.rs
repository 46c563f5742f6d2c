//! The `changes` text of a creation written straight from the new entity's `Serialize`, without
//! building its JSON document first: a serde `Serializer` that walks the value and keeps every
//! non-null leaf by its dotted path, as JSON text in one buffer. [`super::created_changes_text`]
//! of the document `serde_json::to_value` would make is the reference: same leaves, same order,
//! same bytes (tests below, and `a_new_clients_audit_changes_are_the_diff_of_its_document`).
//! A bulk import writes one of these per row; the document it saves was about 7 % of an
//! imported row's instructions (docs/performance.md, "Bulk import and export").
//!
//! Values the walk does not expect (sequences, a map key that is not text) make it give up:
//! the caller then takes the reference path.

use std::fmt;
use std::ops::Range;

use serde::ser::{self, Impossible, Serialize};
use serde_json::Value;

use super::DERIVED;
use crate::mask::{is_sensitive_field, mask_field};

/// serde_json's name for a number kept as its digits (`arbitrary_precision`).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The `changes` text of `value`'s creation, or `None` when its shape is not one the walk
/// handles (see the module's documentation).
pub(super) fn changes_text<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut leaves = Leaves::default();
    value
        .serialize(Walk {
            leaves: &mut leaves,
        })
        .ok()?;
    let Leaves {
        mut found, text, ..
    } = leaves;
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(text.len() + 16 * found.len() + 2);
    out.push(b'{');
    for (i, (path, range)) in found.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, path);
        out.extend_from_slice(b":[null,");
        let raw = &text[range.clone()];
        if is_sensitive_field(path) {
            let value: Value = serde_json::from_slice(raw).ok()?;
            let _ = serde_json::to_writer(&mut out, &mask_field(path, &value));
        } else {
            out.extend_from_slice(raw);
        }
        out.push(b']');
    }
    out.push(b'}');
    String::from_utf8(out).ok()
}

#[derive(Default)]
struct Leaves {
    /// The path of the value being walked (`credit.limit`).
    path: String,
    /// Each leaf's path and where its JSON text is in `text`.
    found: Vec<(String, Range<usize>)>,
    text: Vec<u8>,
}

impl Leaves {
    /// Keeps a leaf at the current path whose JSON text `write` appends (the top level and the
    /// derived paths are left out, as `created_leaves` does).
    fn leaf(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        if self.path.is_empty() || DERIVED.contains(&self.path.as_str()) {
            return;
        }
        let start = self.text.len();
        write(&mut self.text);
        self.found.push((self.path.clone(), start..self.text.len()));
    }

    fn string(&mut self, s: &str) {
        self.leaf(|out| {
            let _ = serde_json::to_writer(out, s);
        });
    }

    /// Walks `value` at the path extended by `key`.
    fn child<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unsupported> {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
        let r = value.serialize(Walk { leaves: self });
        self.path.truncate(len);
        r
    }
}

/// Why the walk gave up.
#[derive(Debug)]
pub(super) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value the creation's audit text does not walk")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

struct Walk<'a> {
    leaves: &'a mut Leaves,
}

macro_rules! leaf_as_json {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Unsupported> {
            self.leaves.leaf(|out| {
                let _ = serde_json::to_writer(out, &v);
            });
            Ok(())
        })*
    };
}

impl<'a> ser::Serializer for Walk<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = MapWalk<'a>;
    type SerializeStruct = StructWalk<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    leaf_as_json!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );

    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        // What the document would hold: a number, or null for what JSON cannot write.
        if !v.is_finite() {
            return Ok(());
        }
        self.leaves.leaf(|out| {
            let _ = serde_json::to_writer(out, &Value::from(v));
        });
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.leaves.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.leaves.string(v);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.leaves.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapWalk<'a>, Unsupported> {
        Ok(MapWalk {
            leaves: self.leaves,
            key: None,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<StructWalk<'a>, Unsupported> {
        Ok(StructWalk {
            leaves: self.leaves,
            number: name == NUMBER_TOKEN,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

/// A struct's fields, each a child of the current path; or serde_json's number token, whose
/// one field is the number's digits, written as they are.
struct StructWalk<'a> {
    leaves: &'a mut Leaves,
    number: bool,
}

impl ser::SerializeStruct for StructWalk<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        if self.number {
            let digits = value.serialize(Digits)?;
            self.leaves
                .leaf(|out| out.extend_from_slice(digits.as_bytes()));
            return Ok(());
        }
        self.leaves.child(key, value)
    }

    fn end(self) -> Result<(), Unsupported> {
        Ok(())
    }
}

/// A map with text keys, each entry a child of the current path.
struct MapWalk<'a> {
    leaves: &'a mut Leaves,
    key: Option<String>,
}

impl ser::SerializeMap for MapWalk<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.key = Some(key.serialize(Digits)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        let key = self.key.take().ok_or(Unsupported)?;
        self.leaves.child(&key, value)
    }

    fn end(self) -> Result<(), Unsupported> {
        Ok(())
    }
}

/// A value that must be text (a map key, a number's digits): that text.
struct Digits;

impl ser::Serializer for Digits {
    type Ok = String;
    type Error = Unsupported;
    type SerializeSeq = Impossible<String, Unsupported>;
    type SerializeTuple = Impossible<String, Unsupported>;
    type SerializeTupleStruct = Impossible<String, Unsupported>;
    type SerializeTupleVariant = Impossible<String, Unsupported>;
    type SerializeMap = Impossible<String, Unsupported>;
    type SerializeStruct = Impossible<String, Unsupported>;
    type SerializeStructVariant = Impossible<String, Unsupported>;

    fn serialize_str(self, v: &str) -> Result<String, Unsupported> {
        Ok(v.to_string())
    }

    fn serialize_bool(self, _v: bool) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i8(self, _v: i8) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i16(self, _v: i16) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i32(self, _v: i32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i64(self, _v: i64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u8(self, _v: u8) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u16(self, _v: u16) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u32(self, _v: u32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u64(self, _v: u64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _v: f32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, _v: char) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}
