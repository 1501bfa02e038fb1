//! The TypeScript frontend package of a context: typed clients, workflow
//! orchestration at the edge, optimistic stores and SSE sync. No runtime
//! dependencies beyond `fetch`, `EventSource` and `AbortController`.

use crate::model::Context;
use crate::plan::FileSpec;
use crate::render::tpl;

pub fn files(ctx: &Context) -> Vec<FileSpec> {
    let mut files = vec![
        FileSpec::generated("package.json", tpl::TS_PACKAGE_JSON),
        FileSpec::generated("tsconfig.json", tpl::TS_TSCONFIG_JSON),
        FileSpec::generated("tsconfig.test.json", tpl::TS_TSCONFIG_TEST_JSON),
        FileSpec::generated("README.md", tpl::COMMON_README_MD),
        FileSpec::generated(".gitignore", tpl::TS_GITIGNORE),
        FileSpec::generated("src/index.ts", tpl::TS_SRC_INDEX_TS),
        FileSpec::generated("src/types.ts", tpl::TS_SRC_TYPES_TS),
        FileSpec::generated("src/events.ts", tpl::TS_SRC_EVENTS_TS),
        FileSpec::generated("src/errors.ts", tpl::TS_SRC_ERRORS_TS),
        FileSpec::generated("src/http.ts", tpl::TS_SRC_HTTP_TS),
        FileSpec::generated("src/workflow.ts", tpl::TS_SRC_WORKFLOW_TS),
        FileSpec::generated("src/coordinator.ts", tpl::TS_SRC_COORDINATOR_TS),
        FileSpec::generated("src/sync.ts", tpl::TS_SRC_SYNC_TS),
        FileSpec::generated("src/store.ts", tpl::TS_SRC_STORE_TS),
        FileSpec::generated("src/stores.ts", tpl::TS_SRC_STORES_TS),
        FileSpec::generated("src/client.ts", tpl::TS_SRC_CLIENT_TS),
        FileSpec::generated("test/fakes.ts", tpl::TS_TEST_FAKES_TS),
        FileSpec::generated("test/workflow.test.ts", tpl::TS_TEST_WORKFLOW_TEST_TS),
        FileSpec::generated("test/http.test.ts", tpl::TS_TEST_HTTP_TEST_TS),
        FileSpec::generated("test/store.test.ts", tpl::TS_TEST_STORE_TEST_TS),
        FileSpec::generated("test/sync.test.ts", tpl::TS_TEST_SYNC_TEST_TS),
    ];
    for (i, module) in ctx.modules.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/modules/{}.ts", module.name.kebab),
                tpl::TS_SRC_MODULES_MODULE_TS,
            )
            .with_item("module", "modules", i),
        );
    }
    for (i, workflow) in ctx.workflows.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/workflows/{}.ts", workflow.name.kebab),
                tpl::TS_SRC_WORKFLOWS_WORKFLOW_TS,
            )
            .with_item("workflow", "workflows", i),
        );
        files.push(
            FileSpec::generated(
                format!("test/{}.test.ts", workflow.name.kebab),
                tpl::TS_TEST_WORKFLOW_ORCHESTRATOR_TEST_TS,
            )
            .with_item("workflow", "workflows", i),
        );
    }
    files
}
