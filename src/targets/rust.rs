//! The Rust backend crate of a context: an axum service per the V5 pattern.

use crate::model::Context;
use crate::plan::FileSpec;

/// Every file of the crate. Module folders use the snake_case name even for
/// keywords (`mod r#type;` lives in `type/mod.rs`).
pub fn files(ctx: &Context) -> Vec<FileSpec> {
    let mut files = vec![
        FileSpec::generated("Cargo.toml", "rust/Cargo.toml.j2"),
        FileSpec::generated("README.md", "common/README.md.j2"),
        FileSpec::generated(".gitignore", "rust/gitignore.j2"),
        FileSpec::generated("src/lib.rs", "rust/src/lib.rs.j2"),
        FileSpec::generated("src/main.rs", "rust/src/main.rs.j2"),
        FileSpec::generated("src/app.rs", "rust/src/app.rs.j2"),
        FileSpec::generated("src/error.rs", "rust/src/error.rs.j2"),
        FileSpec::generated("src/request.rs", "rust/src/request.rs.j2"),
        FileSpec::generated("src/events.rs", "rust/src/events.rs.j2"),
        FileSpec::generated("src/event_bus.rs", "rust/src/event_bus.rs.j2"),
        FileSpec::generated("src/sse.rs", "rust/src/sse.rs.j2"),
        FileSpec::generated("src/faults.rs", "rust/src/faults.rs.j2"),
        FileSpec::generated("src/repository.rs", "rust/src/repository.rs.j2"),
        FileSpec::generated("src/types.rs", "rust/src/types.rs.j2"),
        FileSpec::generated("src/http.rs", "rust/src/http.rs.j2"),
        FileSpec::generated("src/modules/mod.rs", "rust/src/modules/mod.rs.j2"),
        FileSpec::generated("tests/common/mod.rs", "rust/tests/common/mod.rs.j2"),
        FileSpec::generated("tests/service.rs", "rust/tests/service.rs.j2"),
        FileSpec::generated("tests/http.rs", "rust/tests/http.rs.j2"),
        FileSpec::generated("tests/sse.rs", "rust/tests/sse.rs.j2"),
        FileSpec::user("tests/ops.rs", "rust/tests/ops.rs.j2"),
    ];
    if !ctx.read_models.is_empty() {
        files.push(FileSpec::generated(
            "src/read_models.rs",
            "rust/src/read_models.rs.j2",
        ));
        files.push(FileSpec::user(
            "src/projections.rs",
            "rust/src/projections.rs.j2",
        ));
    }
    for (i, module) in ctx.modules.iter().enumerate() {
        let dir = format!("src/modules/{}", module.name.snake);
        let per_module = [
            (
                format!("{dir}/mod.rs"),
                "rust/src/modules/module/mod.rs.j2",
                false,
            ),
            (
                format!("{dir}/model.rs"),
                "rust/src/modules/module/model.rs.j2",
                false,
            ),
            (
                format!("{dir}/service.rs"),
                "rust/src/modules/module/service.rs.j2",
                false,
            ),
            (
                format!("{dir}/http.rs"),
                "rust/src/modules/module/http.rs.j2",
                false,
            ),
            (
                format!("{dir}/ops.rs"),
                "rust/src/modules/module/ops.rs.j2",
                true,
            ),
        ];
        for (path, template, user) in per_module {
            let spec = if user {
                FileSpec::user(path, template)
            } else {
                FileSpec::generated(path, template)
            };
            files.push(spec.with_item("module", "modules", i));
        }
        if !module.subscribes.is_empty() {
            files.push(
                FileSpec::user(
                    format!("{dir}/handlers.rs"),
                    "rust/src/modules/module/handlers.rs.j2",
                )
                .with_item("module", "modules", i),
            );
        }
    }
    files
}
