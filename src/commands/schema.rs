use crate::commands::OK;

pub fn run() -> anyhow::Result<u8> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::schema::spec_schema())?
    );
    Ok(OK)
}
