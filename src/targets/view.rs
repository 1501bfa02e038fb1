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
        // One template value per distinct type, shared by every field of
        // that type (a large context has tens of thousands of fields and a
        // handful of types).
        if minijinja::value::serializing_for_value() {
            return shared_value(self).serialize(serializer);
        }
        Spelled(self).serialize(serializer)
    }
}

fn shared_value(ty: &Ty) -> minijinja::Value {
    thread_local! {
        static MADE: std::cell::RefCell<std::collections::HashMap<Ty, minijinja::Value>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(value) = MADE.with(|made| made.borrow().get(ty).cloned()) {
        return value;
    }
    // Made outside the borrow: an element type is made through here too.
    let value = minijinja::Value::from(minijinja::value::Serde(Spelled(ty)));
    MADE.with(|made| {
        let mut made = made.borrow_mut();
        // Bounded, for long-lived processes (tests, fuzzing).
        if made.len() >= 1 << 12 {
            made.clear();
        }
        made.insert(ty.clone(), value.clone());
    });
    value
}

/// A type with its spellings, field by field.
struct Spelled<'t>(&'t Ty);

impl Serialize for Spelled<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Spelled(ty) = *self;
        let mut s = serializer.serialize_struct("Ty", 10)?;
        s.serialize_field("kind", ty.kind)?;
        s.serialize_field("name", &ty.name)?;
        s.serialize_field("item", &ty.item)?;
        s.serialize_field("optional", &ty.optional)?;
        s.serialize_field("spec", &ty.spec)?;
        s.serialize_field("rust", &super::rust::type_name(ty))?;
        s.serialize_field("ts", &super::ts::type_name(ty))?;
        s.serialize_field("copy", &ty.plain_value())?;
        s.serialize_field("stringly", &ty.stringly())?;
        s.serialize_field("variants", &ty.variants)?;
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
