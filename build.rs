//! Embeds every file under `templates/` into the binary as `(id, source)` pairs,
//! so the shipped binary needs no files beside it and the list can never drift
//! from the folder.
use std::hash::{Hash, Hasher};
use std::{env, fmt::Write as _, fs, path::Path};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let path = entry.path();
            println!("cargo:rerun-if-changed={}", path.display());
            let id = path
                .strip_prefix(&root)
                .expect("walkdir stays under its root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (id, path.display().to_string())
        })
        .collect();
    entries.sort();
    let mut out = String::from(
        "/// Built-in templates: `(id, source)`, sorted by id.\npub static BUILTIN_TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for (id, path) in &entries {
        writeln!(out, "    ({id:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("templates.rs");
    fs::write(dest, out).unwrap();

    // An identity of the code that renders (not of the templates, which
    // are hashed at run time with any overrides): manifests record it, so a
    // rebuilt parasol never trusts what an older build generated.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    println!("cargo:rerun-if-changed={}", src.display());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    for entry in walkdir::WalkDir::new(&src)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
    {
        println!("cargo:rerun-if-changed={}", entry.path().display());
        entry.path().strip_prefix(&src).unwrap().hash(&mut hasher);
        fs::read(entry.path()).unwrap().hash(&mut hasher);
    }
    let digest = format!(
        "/// Identifies this build of parasol's code (see build.rs).\npub const BUILD_DIGEST: &str = \"{}-{:016x}\";\n",
        env!("CARGO_PKG_VERSION"),
        hasher.finish()
    );
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("build_digest.rs"),
        digest,
    )
    .unwrap();
}
