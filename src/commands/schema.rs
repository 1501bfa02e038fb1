use crate::cli::SchemaKind;
use crate::commands::OK;

pub fn run(kind: SchemaKind) -> u8 {
    let schema = match kind {
        SchemaKind::Spec => crate::schema::spec_schema(),
        SchemaKind::Report => crate::report::schema(),
    };
    crate::term::outln(&serde_json::to_string_pretty(&schema).expect("schema serialises"));
    OK
}
