//! What a default body computes, in no language. `bodies` plans values as
//! `Expr` trees (this input, that stored field, converted so) and writes
//! them to `Place`s; a target spells them (`targets::rust::expr`), and the
//! template view hands templates the spelling (`targets/view.rs`).

use crate::model::Name;

/// A value a default body computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field of the operation's input.
    Input(Name),
    /// A field of the record the body loaded or is making.
    Entity(Name),
    /// The id of that record.
    EntityId,
    /// A field of the event a projection handles.
    Event(Name),
    /// The id of the record the handled event is about.
    EnvelopeEntityId,
    /// A variable of the body: a value captured before a change
    /// (`old_price`), a fresh id, the new record's id, the record an
    /// issued id was recorded for.
    Local(String),
    /// An owned copy of a value its source keeps.
    Copy(Box<Expr>),
    /// The value, as an optional that holds it.
    Some(Box<Expr>),
    /// The value's text (an enum value's name, a uuid's hyphenated form).
    Text(Box<Expr>),
    /// An optional's value's text, if it has one.
    OptionalText(Box<Expr>),
    /// How many items a list holds, as an `int`.
    Count(Box<Expr>),
    /// The record's version (optimistic locking), as an `int`.
    Version,
    /// Text read as an enum value; a value it does not name fails the call.
    Parse(Box<Expr>),
    /// An optional's value, or the type's empty value when it has none.
    OrDefault(Box<Expr>),
    /// The time of the call.
    Now,
    /// A fresh id, as text or as a uuid.
    NewId,
    NewUuid,
    /// The type's empty value: nothing says what the value should be.
    Default,
    /// Whether the record the input names exists.
    Found,
    True,
    /// An enum value: the enum type's name and the variant as the spec spells it.
    Variant {
        enum_type: String,
        variant: String,
    },
    /// Literal text.
    Literal(String),
}

impl Expr {
    pub fn copy(self) -> Expr {
        Expr::Copy(Box::new(self))
    }

    pub fn some(self) -> Expr {
        Expr::Some(Box::new(self))
    }

    pub fn text(self) -> Expr {
        Expr::Text(Box::new(self))
    }

    pub fn parse(self) -> Expr {
        Expr::Parse(Box::new(self))
    }

    pub fn or_default(self) -> Expr {
        Expr::OrDefault(Box::new(self))
    }

    /// Whether any leaf of the expression satisfies `leaf`.
    pub fn reads(&self, leaf: &impl Fn(&Expr) -> bool) -> bool {
        match self.wrapped() {
            Some(e) => e.reads(leaf),
            None => leaf(self),
        }
    }

    /// The expression this one converts or wraps, if it is not a leaf.
    fn wrapped(&self) -> Option<&Expr> {
        match self {
            Expr::Copy(e)
            | Expr::Some(e)
            | Expr::Text(e)
            | Expr::OptionalText(e)
            | Expr::Count(e)
            | Expr::Parse(e)
            | Expr::OrDefault(e) => Some(e),
            _ => None,
        }
    }

    /// Whether it reads the loaded (or new) record.
    pub fn reads_entity(&self) -> bool {
        self.reads(&|e| matches!(e, Expr::Entity(_) | Expr::EntityId | Expr::Version))
    }

    /// Whether it can fail (text read as an enum value): only where the
    /// function returns a `Result` for `?` to pass the failure on.
    pub fn fallible(&self) -> bool {
        matches!(self, Expr::Parse(_)) || self.wrapped().is_some_and(Expr::fallible)
    }

    pub fn reads_input(&self) -> bool {
        self.reads(&|e| matches!(e, Expr::Input(_)))
    }

    /// Whether it needs the call's context (the clock, the id maker).
    pub fn reads_call(&self) -> bool {
        self.reads(&|e| matches!(e, Expr::Now | Expr::NewId | Expr::NewUuid))
    }
}

/// Where a default body puts a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A field of what is being built: the new record, the output, an
    /// event's metadata.
    Field(Name),
    /// A field of the loaded record.
    EntityField(Name),
    /// A field of the read model a projection updates.
    ViewField(Name),
    /// A variable of the body (`old_price`).
    Local(String),
}
