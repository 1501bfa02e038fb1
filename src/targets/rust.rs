//! The Rust backend crate of a context: an axum service per the V5 pattern.

use crate::model::Context;
use crate::plan::FileSpec;
use crate::render::tpl;

/// Every file of the crate. Module folders use the snake_case name even for
/// keywords (`mod r#type;` lives in `type/mod.rs`).
pub fn files(ctx: &Context) -> Vec<FileSpec> {
    let mut files = vec![
        FileSpec::generated("Cargo.toml", tpl::RUST_CARGO_TOML),
        FileSpec::generated("README.md", tpl::COMMON_README_MD),
        FileSpec::generated(".gitignore", tpl::RUST_GITIGNORE),
        FileSpec::generated("src/lib.rs", tpl::RUST_SRC_LIB_RS),
        FileSpec::generated("src/main.rs", tpl::RUST_SRC_MAIN_RS),
        FileSpec::generated("src/app.rs", tpl::RUST_SRC_APP_RS),
        FileSpec::generated("src/error.rs", tpl::RUST_SRC_ERROR_RS),
        FileSpec::generated("src/request.rs", tpl::RUST_SRC_REQUEST_RS),
        FileSpec::generated("src/events.rs", tpl::RUST_SRC_EVENTS_RS),
        FileSpec::generated("src/event_bus.rs", tpl::RUST_SRC_EVENT_BUS_RS),
        FileSpec::generated("src/sse.rs", tpl::RUST_SRC_SSE_RS),
        FileSpec::generated("src/faults.rs", tpl::RUST_SRC_FAULTS_RS),
        FileSpec::generated("src/repository.rs", tpl::RUST_SRC_REPOSITORY_RS),
        FileSpec::generated("src/types.rs", tpl::RUST_SRC_TYPES_RS),
        FileSpec::generated("src/http.rs", tpl::RUST_SRC_HTTP_RS),
        FileSpec::generated("src/modules/mod.rs", tpl::RUST_SRC_MODULES_MOD_RS),
        FileSpec::generated("tests/common/mod.rs", tpl::RUST_TESTS_COMMON_MOD_RS),
        FileSpec::generated("tests/service.rs", tpl::RUST_TESTS_SERVICE_RS),
        FileSpec::generated("tests/http.rs", tpl::RUST_TESTS_HTTP_RS),
        FileSpec::generated("tests/sse.rs", tpl::RUST_TESTS_SSE_RS),
        FileSpec::user("tests/ops.rs", tpl::RUST_TESTS_OPS_RS),
    ];
    if !ctx.read_models.is_empty() {
        files.push(FileSpec::generated(
            "src/read_models.rs",
            tpl::RUST_SRC_READ_MODELS_RS,
        ));
        files.push(FileSpec::user(
            "src/projections.rs",
            tpl::RUST_SRC_PROJECTIONS_RS,
        ));
    }
    for (i, module) in ctx.modules.iter().enumerate() {
        let dir = format!("src/modules/{}", module.name.snake);
        let per_module = [
            (
                format!("{dir}/mod.rs"),
                tpl::RUST_SRC_MODULES_MODULE_MOD_RS,
                false,
            ),
            (
                format!("{dir}/model.rs"),
                tpl::RUST_SRC_MODULES_MODULE_MODEL_RS,
                false,
            ),
            (
                format!("{dir}/service.rs"),
                tpl::RUST_SRC_MODULES_MODULE_SERVICE_RS,
                false,
            ),
            (
                format!("{dir}/http.rs"),
                tpl::RUST_SRC_MODULES_MODULE_HTTP_RS,
                false,
            ),
            (
                format!("{dir}/ops.rs"),
                tpl::RUST_SRC_MODULES_MODULE_OPS_RS,
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
                    tpl::RUST_SRC_MODULES_MODULE_HANDLERS_RS,
                )
                .with_item("module", "modules", i),
            );
        }
    }
    files
}
