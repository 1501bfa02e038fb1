//! What templates see of a type: its language-neutral shape (the model's
//! `Ty`) with each target's spelling beside it, computed once when the
//! model becomes template values rather than on every use.
//!
//! | field | meaning |
//! |---|---|
//! | `kind`, `name`, `item`, `optional`, `spec`, `variants` | the shape (`model::types::Ty`) |
//! | `rust` | the Rust type, `Option<…>` included when optional |
//! | `ts` | the TypeScript type, without the optional marker (fields carry `?:`) |
//! | `copy` | the Rust type is `Copy` (no `.clone()`) |
//! | `stringly` | the value is a plain string on the wire |
//!
//! A default body's values and places (`model::expr`) are seen as their
//! Rust spelling (`input.price.clone()`, `entity.status`): only the Rust
//! target renders default bodies.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::model::Ty;
use crate::model::expr::{Expr, Place};

impl Serialize for Ty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Ty", 10)?;
        s.serialize_field("kind", self.kind)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("item", &self.item)?;
        s.serialize_field("optional", &self.optional)?;
        s.serialize_field("spec", &self.spec)?;
        s.serialize_field("rust", &super::rust::type_name(self))?;
        s.serialize_field("ts", &super::ts::type_name(self))?;
        s.serialize_field("copy", &self.plain_value())?;
        s.serialize_field("stringly", &self.stringly())?;
        s.serialize_field("variants", &self.variants)?;
        s.end()
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rust::expr(self))
    }
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rust::place(self))
    }
}
