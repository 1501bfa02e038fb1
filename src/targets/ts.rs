//! The TypeScript frontend package of a context: typed clients, workflow
//! orchestration at the edge, optimistic stores and SSE sync. No runtime
//! dependencies beyond `fetch`, `EventSource` and `AbortController`.

use crate::model::Context;
use crate::plan::FileSpec;

pub fn files(ctx: &Context) -> Vec<FileSpec> {
    let mut files = vec![
        FileSpec::generated("package.json", "ts/package.json.j2"),
        FileSpec::generated("tsconfig.json", "ts/tsconfig.json.j2"),
        FileSpec::generated("tsconfig.test.json", "ts/tsconfig.test.json.j2"),
        FileSpec::generated("README.md", "common/README.md.j2"),
        FileSpec::generated(".gitignore", "ts/gitignore.j2"),
        FileSpec::generated("src/index.ts", "ts/src/index.ts.j2"),
        FileSpec::generated("src/types.ts", "ts/src/types.ts.j2"),
        FileSpec::generated("src/events.ts", "ts/src/events.ts.j2"),
        FileSpec::generated("src/errors.ts", "ts/src/errors.ts.j2"),
        FileSpec::generated("src/http.ts", "ts/src/http.ts.j2"),
        FileSpec::generated("src/workflow.ts", "ts/src/workflow.ts.j2"),
        FileSpec::generated("src/coordinator.ts", "ts/src/coordinator.ts.j2"),
        FileSpec::generated("src/sync.ts", "ts/src/sync.ts.j2"),
        FileSpec::generated("src/store.ts", "ts/src/store.ts.j2"),
        FileSpec::generated("src/stores.ts", "ts/src/stores.ts.j2"),
        FileSpec::generated("src/client.ts", "ts/src/client.ts.j2"),
        FileSpec::generated("test/fakes.ts", "ts/test/fakes.ts.j2"),
        FileSpec::generated("test/workflow.test.ts", "ts/test/workflow.test.ts.j2"),
        FileSpec::generated("test/http.test.ts", "ts/test/http.test.ts.j2"),
        FileSpec::generated("test/store.test.ts", "ts/test/store.test.ts.j2"),
        FileSpec::generated("test/sync.test.ts", "ts/test/sync.test.ts.j2"),
    ];
    for (i, module) in ctx.modules.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/modules/{}.ts", module.name.kebab),
                "ts/src/modules/module.ts.j2",
            )
            .with_item("module", "modules", i),
        );
    }
    for (i, workflow) in ctx.workflows.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/workflows/{}.ts", workflow.name.kebab),
                "ts/src/workflows/workflow.ts.j2",
            )
            .with_item("workflow", "workflows", i),
        );
        files.push(
            FileSpec::generated(
                format!("test/{}.test.ts", workflow.name.kebab),
                "ts/test/workflow_orchestrator.test.ts.j2",
            )
            .with_item("workflow", "workflows", i),
        );
    }
    files
}
