//! The migrations ledger: what `bc generate` writes under `migrations/` as
//! a spec grows, and what it reports when stored rows cannot follow.

use std::path::Path;

use crate::support::*;

const BASE: &str = "parasol: 1
bounded_context:
  name: Shelf
  modules:
    books:
      aggregates:
        Book:
          fields:
            title: string
";

fn write_spec(dir: &Path, text: &str) -> std::path::PathBuf {
    let spec = dir.join("shelf.bc.yaml");
    std::fs::write(&spec, text).unwrap();
    spec
}

fn migrations(out: &Path, dialect: &str) -> Vec<String> {
    let dir = out.join("rust/shelf/migrations").join(dialect);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join("rust/shelf").join(path)).unwrap()
}

#[test]
fn a_growing_spec_gets_new_migrations_and_destructive_changes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = write_spec(dir.path(), BASE);
    generate(&spec, &out, "rust");
    for dialect in ["sqlite", "postgres"] {
        assert_eq!(migrations(&out, dialect), ["0001_init.sql"]);
    }
    let init = read(&out, "migrations/sqlite/0001_init.sql");
    assert!(init.contains("CREATE TABLE \"books\""), "{init}");
    assert!(init.contains("parasol_events"), "{init}");

    // A new aggregate and a new optional field: one new migration, no warning.
    let grown = BASE.replace(
        "            title: string\n",
        "            title: string\n            subtitle: string?\n        Rack:\n          fields:\n            label: string\n",
    );
    write_spec(dir.path(), &grown);
    let run = generate(&spec, &out, "rust");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    for dialect in ["sqlite", "postgres"] {
        assert_eq!(
            migrations(&out, dialect),
            ["0001_init.sql", "0002_add_racks.sql"]
        );
    }
    assert_eq!(read(&out, "migrations/sqlite/0001_init.sql"), init);
    let added = read(&out, "migrations/postgres/0002_add_racks.sql");
    assert!(added.contains("CREATE TABLE \"racks\""), "{added}");
    assert!(!added.contains("books"), "{added}");

    // A migration is the user's once written: an edit survives.
    let edited = format!("{added}-- my own index\n");
    std::fs::write(
        out.join("rust/shelf/migrations/postgres/0002_add_racks.sql"),
        &edited,
    )
    .unwrap();

    // A required field on stored rows, and a removed aggregate: reported,
    // at the aggregate, with what to do; nothing dropped.
    let changed = grown
        .replace(
            "            subtitle: string?\n",
            "            subtitle: string?\n            isbn: string\n",
        )
        .replace(
            "        Rack:\n          fields:\n            label: string\n",
            "",
        );
    write_spec(dir.path(), &changed);
    let run = generate(&spec, &out, "rust");
    assert!(
        run.stderr
            .contains("field `isbn` of `Book` is new and required"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("shelf.bc.yaml:7:9"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no aggregate is stored in table `racks` any more"),
        "{}",
        run.stderr
    );
    for dialect in ["sqlite", "postgres"] {
        assert_eq!(
            migrations(&out, dialect),
            ["0001_init.sql", "0002_add_racks.sql"]
        );
    }
    assert_eq!(read(&out, "migrations/postgres/0002_add_racks.sql"), edited);

    // The same spec again: the ledger already holds the change; no repeat.
    let run = generate(&spec, &out, "rust");
    assert!(!run.stderr.contains("rows stored before"), "{}", run.stderr);
}

#[test]
fn a_changed_field_type_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = write_spec(dir.path(), BASE);
    generate(&spec, &out, "rust");
    write_spec(dir.path(), &BASE.replace("title: string", "title: int"));
    let run = generate(&spec, &out, "rust");
    assert!(
        run.stderr
            .contains("field `title` of `Book` changed type (`string` → `int`)"),
        "{}",
        run.stderr
    );
    assert_eq!(migrations(&out, "sqlite"), ["0001_init.sql"]);
}
