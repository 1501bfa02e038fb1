//! The database schema of the Rust service: one table per aggregate (its
//! id, its version for optimistic locking, and the aggregate as a JSON
//! document), plus the outbox, consumer positions, dead letters and
//! receipts, as sqlx migrations for SQLite and PostgreSQL.
//!
//! A migration, once written, never changes (sqlx refuses to start when an
//! applied migration's checksum differs), so the manifest records which
//! tables earlier runs made migrations for (`Schema`): a new aggregate gets
//! a new migration, numbered after the last; everything else is reported.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::model::{Aggregate, Context};
use crate::plan::FileSpec;
use crate::render::tpl;

/// What the migrations written so far create, and the aggregates' fields
/// as last generated (to tell which spec changes old rows cannot follow).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<Migration>,
    /// Table → field (JSON name) → its spec type (`int?`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub documents: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    /// The first migration also creates parasol's own tables.
    #[serde(default)]
    pub base: bool,
    pub tables: Vec<String>,
    /// Creates the event store (`cqrs-es`), starting the stream of every
    /// row already in `imports` with the row as it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub event_store: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
}

impl Schema {
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty() && self.documents.is_empty()
    }
}

impl Migration {
    fn file_stem(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

/// The table of an aggregate: its plural in snake_case (`stock_items`).
/// Aggregate names are unique across modules, so plurals are too.
pub fn table(aggregate: &Aggregate) -> String {
    aggregate.plural.snake.clone()
}

fn fields_of(aggregate: &Aggregate) -> BTreeMap<String, String> {
    aggregate
        .fields
        .iter()
        .map(|f| (f.json_name().to_string(), f.ty.spec.clone()))
        .collect()
}

/// The schema after this run: `recorded` plus a migration for the tables it
/// does not create yet, and for the event store when `event_sourced` and
/// no migration made it yet. Changes existing rows cannot follow are
/// warnings saying what to do; generation goes on.
pub fn settle(
    ctx: &Context,
    recorded: &Schema,
    event_sourced: bool,
    diags: &mut Diagnostics,
) -> Schema {
    let made: BTreeSet<&str> = recorded
        .migrations
        .iter()
        .flat_map(|m| &m.tables)
        .map(String::as_str)
        .collect();
    let aggregates: Vec<(String, &Aggregate)> = ctx
        .modules
        .iter()
        .flat_map(|m| &m.aggregates)
        .map(|a| (table(a), a))
        .collect();
    let current: BTreeSet<&str> = aggregates.iter().map(|(t, _)| t.as_str()).collect();
    let fresh: Vec<String> = aggregates
        .iter()
        .map(|(t, _)| t)
        .filter(|t| !made.contains(t.as_str()))
        .cloned()
        .collect();
    let mut schema = recorded.clone();
    let store_missing = event_sourced && !recorded.migrations.iter().any(|m| m.event_store);
    if schema.migrations.is_empty() || !fresh.is_empty() || store_missing {
        let version = schema.migrations.last().map_or(1, |m| m.version + 1);
        let name = if version == 1 {
            "init".to_string()
        } else {
            // Long names are cut: the version keeps file names unique.
            let mut name = if fresh.is_empty() {
                "add_event_store".to_string()
            } else {
                format!("add_{}", fresh.join("_"))
            };
            name.truncate(60);
            name
        };
        // Rows stored before the event store existed start their streams
        // where they are, so commands can load every record from its stream.
        let imports = if store_missing {
            current
                .iter()
                .filter(|t| made.contains(*t))
                .map(|t| t.to_string())
                .collect()
        } else {
            Vec::new()
        };
        schema.migrations.push(Migration {
            version,
            name,
            base: version == 1,
            tables: fresh,
            event_store: store_missing,
            imports,
        });
    }
    for gone in made.difference(&current) {
        diags.push(
            Diagnostic::warning(
                "table-kept",
                format!("no aggregate is stored in table `{gone}` any more; its rows stay"),
            )
            .with_help(format!(
                "drop it in a migration of your own (`DROP TABLE \"{gone}\";` in a new file under migrations/) once its data is no longer needed"
            )),
        );
    }
    for (table, aggregate) in &aggregates {
        let fields = fields_of(aggregate);
        if let Some(before) = recorded.documents.get(table) {
            for (name, ty) in &fields {
                let old = before.get(name);
                let required = !ty.ends_with('?');
                let what = match old {
                    None if required => "is new and required",
                    Some(old) if old != ty => "changed type",
                    _ => continue,
                };
                diags.push(
                    Diagnostic::warning(
                        "stored-rows-incompatible",
                        format!(
                            "field `{name}` of `{}` {what} (`{}{ty}`): rows stored before cannot be read",
                            aggregate.name.raw,
                            old.map(|o| format!("{o}` → `")).unwrap_or_default(),
                        ),
                    )
                    .at(Location::in_file(&ctx.file, aggregate.pos))
                    .with_help(format!(
                        "make it optional (`{}?`), or add a migration that rewrites every row of `{table}` (its `body` column is the aggregate as JSON)",
                        ty.trim_end_matches('?')
                    )),
                );
            }
        }
        schema.documents.insert(table.clone(), fields);
    }
    schema.documents.retain(|t, _| current.contains(t.as_str()));
    schema
}

/// The migration files of `schema`, for both databases. They are written
/// once and never touched again, like user-owned files.
pub fn files(schema: &Schema) -> Vec<FileSpec> {
    let mut files = Vec::new();
    for migration in &schema.migrations {
        let value = crate::render::value(migration);
        for (dialect, template) in [
            ("sqlite", tpl::RUST_MIGRATIONS_SQLITE_SQL),
            ("postgres", tpl::RUST_MIGRATIONS_POSTGRES_SQL),
        ] {
            files.push(
                FileSpec::user(
                    format!("migrations/{dialect}/{}.sql", migration.file_stem()),
                    template,
                )
                .with("migration", value.clone()),
            );
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "parasol: 1
bounded_context:
  name: Shop
  modules:
    sales:
      aggregates:
        Order: { fields: { total: int } }
        Refund: { fields: { amount: int } }
";

    #[test]
    fn the_event_store_comes_once_with_the_rows_stored_before_it() {
        let mut diags = Diagnostics::new();
        let raw = crate::source::load_spec_text("shop.bc.yaml", SPEC.as_bytes(), &mut diags);
        let bundles = std::sync::Arc::new(crate::source::bundle::BundleSet::default());
        let ctx = crate::model::lower::lower(&raw.unwrap(), bundles, "shop.bc.yaml", &mut diags);
        let ctx = ctx.unwrap();
        assert!(!diags.has_errors(), "{diags:?}");
        let v5 = settle(&ctx, &Schema::default(), false, &mut diags);
        assert_eq!(v5.migrations.len(), 1);
        assert!(!v5.migrations[0].event_store);

        // Switched to event sourcing: a migration of its own starts the
        // streams of the rows the tables already hold.
        let es = settle(&ctx, &v5, true, &mut diags);
        let added = &es.migrations[1..];
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].name, "add_event_store");
        assert!(added[0].event_store && added[0].tables.is_empty());
        assert_eq!(added[0].imports, ["orders", "refunds"]);
        // Made once: kept, never made again, whichever the setting.
        assert_eq!(settle(&ctx, &es, true, &mut diags), es);
        assert_eq!(settle(&ctx, &es, false, &mut diags), es);

        // From the start: in the first migration, with nothing to import.
        let fresh = settle(&ctx, &Schema::default(), true, &mut diags);
        assert_eq!(fresh.migrations.len(), 1);
        assert!(fresh.migrations[0].event_store && fresh.migrations[0].imports.is_empty());
        assert!(!diags.has_errors());
    }
}
