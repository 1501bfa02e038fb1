//! Every diagnostic code, in one registry: the stable, kebab-case name a
//! diagnostic carries (in the human report's JSON twin, and for tools to
//! match on) and what it means. `docs/diagnostics.md` is generated from
//! this list (`parasol` tests keep the two equal), and a debug build
//! refuses to make a diagnostic with a code that is not here.

/// A diagnostic code and what it means.
pub struct Code {
    pub name: &'static str,
    /// The stage that reports it.
    pub stage: &'static str,
    pub meaning: &'static str,
}

const fn code(name: &'static str, stage: &'static str, meaning: &'static str) -> Code {
    Code {
        name,
        stage,
        meaning,
    }
}

/// Every code, sorted by name.
pub const CODES: &[Code] = &[
    code(
        "ambiguous-context",
        "project",
        "several specs found and no bounded context named",
    ),
    code(
        "dependency-cycle",
        "validate",
        "modules depend on each other in a cycle",
    ),
    code(
        "duplicate-context",
        "project",
        "two specs describe the same bounded context",
    ),
    code(
        "duplicate-key",
        "source",
        "a YAML map has the same key twice",
    ),
    code("duplicate-name", "model", "a name is declared twice"),
    code("empty-spec", "source", "the spec file has no content"),
    code(
        "endless-value-object",
        "model",
        "value objects hold one another, other than inside a list or map, so no value of them ends",
    ),
    code(
        "event-never-published",
        "validate",
        "an event is declared but no module publishes it",
    ),
    code(
        "exists",
        "command",
        "a file the command would create is already there",
    ),
    code(
        "flag-without-effect",
        "command",
        "a flag the chosen `--pattern` does not use",
    ),
    code(
        "include-cycle",
        "source",
        "bundles include each other in a cycle",
    ),
    code(
        "include-outside-project",
        "source",
        "an include names a bundle outside the folders bundles may come from",
    ),
    code(
        "include-too-deep",
        "source",
        "bundle includes nest deeper than the limit",
    ),
    code(
        "input-too-deep",
        "source",
        "YAML nests deeper than the limit, or expands past the node limit",
    ),
    code(
        "input-too-large",
        "source",
        "an input file, or its YAML, is over a size limit",
    ),
    code(
        "invalid-encoding",
        "source",
        "an input file is not UTF-8 text, or holds a NUL byte",
    ),
    code(
        "invalid-key",
        "model",
        "a map key is not a valid name here, or a read model's key cannot key its rows",
    ),
    code(
        "invalid-name",
        "model",
        "a name does not have the required shape",
    ),
    code(
        "invalid-reference",
        "model",
        "a reference does not have the required shape",
    ),
    code(
        "invalid-type",
        "model",
        "a type expression cannot be parsed",
    ),
    code(
        "invalid-value",
        "model",
        "a value is not one of those allowed",
    ),
    code(
        "invalid-version",
        "source",
        "a bundle version is not a semantic version",
    ),
    code(
        "listed-twice",
        "source",
        "a name is listed twice in one list (`emits`, `on`, `depends_on`...); the second is ignored",
    ),
    code(
        "manifest",
        "emit",
        "an output folder's manifest is missing, unreadable, or names an unknown generator",
    ),
    code(
        "manifest-unsafe",
        "emit",
        "a manifest names a path outside its output folder, or is reached through a link",
    ),
    code(
        "mesh-replicas",
        "generate",
        "a service mesh with several instances of a service whose event broker is in-memory",
    ),
    code(
        "mesh-setting",
        "generate",
        "a service-mesh namespace, image, host or replica count Kubernetes would refuse",
    ),
    code(
        "missing-include",
        "source",
        "an include names no file, or a file that cannot be read",
    ),
    code("missing-key", "source", "a required key is missing"),
    code(
        "missing-saga",
        "generate",
        "the frontend or the service mesh of a workflow the backend orchestrates is generated without its saga beside it",
    ),
    code(
        "missing-service-crate",
        "generate",
        "a backend saga is generated without the context's crate beside it",
    ),
    code("missing-type", "source", "a field has no type"),
    code(
        "module-boundary",
        "validate",
        "a module uses another module's internals or an event it does not own",
    ),
    code(
        "monitoring-target",
        "generate",
        "a `bc setup-monitoring` scrape target is not `HOST:PORT`, or its trace collector not an http(s) URL",
    ),
    code(
        "monitoring-threshold",
        "generate",
        "a `bc setup-monitoring` threshold the service's metrics cannot show, or that never or always fires",
    ),
    code(
        "name-collision",
        "model",
        "two names become the same name in generated code or files",
    ),
    code(
        "name-too-long",
        "model",
        "a name is longer than generated code and file systems allow",
    ),
    code(
        "no-front-matter",
        "source",
        "a bundle has no YAML front matter, or it is never closed",
    ),
    code(
        "no-project",
        "project",
        "no parasol.yaml was found and no spec was given",
    ),
    code(
        "no-spec",
        "project",
        "the project's specs folder holds no spec",
    ),
    code(
        "not-generated-yet",
        "generate",
        "a setting is recorded and names the output, but the code is what the V5 default generates",
    ),
    code(
        "nothing-to-check",
        "check",
        "no output generated by parasol was found",
    ),
    code(
        "output-is-a-link",
        "emit",
        "a folder parasol writes in (the context's, or `rust/` or `ts/` below `--out`) is a symbolic link",
    ),
    code(
        "output-not-a-folder",
        "emit",
        "the output folder, or a folder on the way to it, is a file",
    ),
    code(
        "policy",
        "policy",
        "a bundle refuses what the spec or a flag asks for",
    ),
    code(
        "reserved-name",
        "model",
        "a name is reserved by the generated code",
    ),
    code(
        "setting-without-effect",
        "validate",
        "a spec setting that the generated code cannot honour as written",
    ),
    code(
        "stored-rows-incompatible",
        "generate",
        "an aggregate field changed so that rows stored before cannot be read",
    ),
    code(
        "subscription-never-published",
        "validate",
        "a module subscribes to an event no module publishes",
    ),
    code(
        "table-kept",
        "generate",
        "an aggregate was removed; its table and rows stay in the database",
    ),
    code("template", "plan", "a template override failed to render"),
    code(
        "template-bug",
        "plan",
        "a built-in template failed to render (a parasol bug)",
    ),
    code(
        "template-override",
        "plan",
        "a template override folder is missing, or a file in it matches no template",
    ),
    code(
        "too-many-files",
        "plan",
        "a run would generate more files than the limit",
    ),
    code(
        "type-mismatch",
        "model",
        "a value or binding does not have the expected type",
    ),
    code(
        "unbound-input",
        "model",
        "a workflow step input is bound to nothing",
    ),
    code(
        "unknown-aggregate",
        "model",
        "a reference names no aggregate",
    ),
    code(
        "unknown-architecture",
        "model",
        "the architecture is not one parasol knows",
    ),
    code(
        "unknown-context",
        "project",
        "no spec describes the named bounded context",
    ),
    code(
        "unknown-event",
        "model",
        "a reference names no declared event",
    ),
    code("unknown-field", "model", "a reference names no field"),
    code(
        "unknown-key",
        "source",
        "a key is not one this place allows",
    ),
    code("unknown-module", "model", "a reference names no module"),
    code(
        "unknown-name",
        "project",
        "no bounded context or workflow has the given name",
    ),
    code("unknown-op", "model", "a reference names no operation"),
    code(
        "unknown-step",
        "model",
        "a binding names no earlier workflow step",
    ),
    code(
        "unknown-template",
        "command",
        "no built-in template has the given name",
    ),
    code(
        "unknown-type",
        "model",
        "a type names nothing declared or built in",
    ),
    code(
        "unknown-workflow",
        "generate",
        "the context has no workflow of that name",
    ),
    code(
        "unreadable-file",
        "source",
        "an input file cannot be read, or is not a regular file",
    ),
    code(
        "unsafe-path",
        "plan",
        "a planned path would leave the output folder (a parasol bug)",
    ),
    code(
        "unsupported-scenario",
        "generate",
        "a `bc test-communication` scenario the spec cannot support (a fault needs an operation), or a load test too short to measure",
    ),
    code(
        "unsupported-version",
        "source",
        "the spec's `parasol:` format version is not supported",
    ),
    code(
        "view-keyed-by-entity",
        "validate",
        "a read model listens to an event that carries no field named like its key, and the key is neither `id` nor named for the event's aggregate (`invoiceId`): its rows for that event are keyed by the event's entity id, which the key field then holds",
    ),
    code(
        "write-failed",
        "emit",
        "a file, the manifest or the lock could not be written",
    ),
    code(
        "wrong-type",
        "source",
        "a node has the wrong YAML type (a list where a map belongs, ...)",
    ),
    code("yaml-syntax", "source", "the YAML cannot be parsed"),
];

/// Whether `name` is a registered code.
pub fn is_known(name: &str) -> bool {
    CODES.binary_search_by(|c| c.name.cmp(name)).is_ok()
}

/// The table `docs/diagnostics.md` holds.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\nEvery diagnostic carries one of these codes (the `code` of the JSON report).\nGenerated from `src/codes.rs`; a test keeps this file equal to it.\n\n| code | stage | meaning |\n|---|---|---|\n",
    );
    for c in CODES {
        out.push_str(&format!("| `{}` | {} | {} |\n", c.name, c.stage, c.meaning));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_kebab_case() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
        for c in CODES {
            let kebab = c.name.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            assert!(kebab, "{}", c.name);
        }
    }

    /// `PARASOL_WRITE_DOCS=1 cargo test --lib codes` rewrites the file.
    #[test]
    fn the_documented_table_is_this_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
        if std::env::var_os("PARASOL_WRITE_DOCS").is_some() {
            std::fs::write(path, markdown()).unwrap();
        }
        let documented = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            documented,
            markdown(),
            "docs/diagnostics.md is stale: PARASOL_WRITE_DOCS=1 cargo test --lib codes"
        );
    }
}
