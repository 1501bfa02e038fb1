//! The TypeScript frontend package of a context: typed clients, workflow
//! orchestration at the edge, optimistic stores and SSE sync. No runtime
//! dependencies beyond `fetch`, `EventSource` and `AbortController`.

use crate::model::{Context, Ty, Workflow};
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
        FileSpec::generated("src/stores.ts", tpl::TS_SRC_STORES_TS)
            .with_a_part_per_module(tpl::TS_SRC_STORES_TS_MODULE, ctx.modules.len()),
        FileSpec::generated("src/client.ts", tpl::TS_SRC_CLIENT_TS),
        FileSpec::generated("test/fakes.ts", tpl::TS_TEST_FAKES_TS),
        FileSpec::generated("test/workflow.test.ts", tpl::TS_TEST_WORKFLOW_TEST_TS),
        FileSpec::generated("test/http.test.ts", tpl::TS_TEST_HTTP_TEST_TS),
        FileSpec::generated("test/store.test.ts", tpl::TS_TEST_STORE_TEST_TS),
        FileSpec::generated("test/sync.test.ts", tpl::TS_TEST_SYNC_TEST_TS),
        FileSpec::generated("test/service.test.ts", tpl::TS_TEST_SERVICE_TEST_TS)
            .with_a_part_per_module(tpl::TS_TEST_SERVICE_TEST_TS_MODULE, ctx.modules.len()),
    ];
    if !ctx.communication.bff_views.is_empty() {
        files.push(FileSpec::generated("src/bff.ts", tpl::TS_SRC_BFF_TS));
        files.push(FileSpec::generated(
            "test/bff.test.ts",
            tpl::TS_TEST_BFF_TEST_TS,
        ));
    }
    if !ctx.read_models.is_empty() {
        files.push(FileSpec::generated("src/cqrs.ts", tpl::TS_SRC_CQRS_TS));
        files.push(FileSpec::generated(
            "test/cqrs.test.ts",
            tpl::TS_TEST_CQRS_TEST_TS,
        ));
    }
    for (i, module) in ctx.modules.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/modules/{}.ts", module.name.kebab),
                tpl::TS_SRC_MODULES_MODULE_TS,
            )
            .with_item("module", "modules", i),
        );
    }
    // A workflow the backend orchestrates is run by its saga; the frontend
    // starts and follows it (`src/saga.ts`).
    if ctx.workflows.iter().any(Workflow::runs_in_a_backend_saga) {
        files.push(FileSpec::generated("src/saga.ts", tpl::TS_SRC_SAGA_TS));
    }
    for (i, workflow) in ctx.workflows.iter().enumerate() {
        files.push(
            FileSpec::generated(
                format!("src/workflows/{}.ts", workflow.name.kebab),
                tpl::TS_SRC_WORKFLOWS_WORKFLOW_TS,
            )
            .with_item("workflow", "workflows", i),
        );
        let test = if workflow.runs_in_a_backend_saga() {
            tpl::TS_TEST_WORKFLOW_SAGA_TEST_TS
        } else {
            tpl::TS_TEST_WORKFLOW_ORCHESTRATOR_TEST_TS
        };
        files.push(
            FileSpec::generated(format!("test/{}.test.ts", workflow.name.kebab), test).with_item(
                "workflow",
                "workflows",
                i,
            ),
        );
    }
    files
}

/// The TypeScript spelling of a type, without the optional marker (fields
/// carry `?:`; an optional item of a list or map is `T | null`).
pub fn type_name(ty: &Ty) -> String {
    let item = || {
        ty.item
            .as_deref()
            .expect("lists and maps have an item type")
    };
    match ty.kind {
        "string" | "aggregate" | "decimal" | "uuid" | "datetime" => "string".into(),
        "int" | "float" => "number".into(),
        "bool" => "boolean".into(),
        "list" => {
            let item = item();
            let spelled = type_name(item);
            if item.optional || spelled.contains(' ') {
                format!("Array<{}>", nullable(&spelled, item.optional))
            } else {
                format!("{spelled}[]")
            }
        }
        "map" => {
            let value = item();
            format!(
                "Record<string, {}>",
                nullable(&type_name(value), value.optional)
            )
        }
        _ => ty.name.clone().unwrap_or_default(),
    }
}

fn nullable(ts: &str, optional: bool) -> String {
    if optional {
        format!("{ts} | null")
    } else {
        ts.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_types() {
        let t = Ty::list(Ty::primitive("int")).optional();
        assert_eq!(
            (super::super::rust::type_name(&t), type_name(&t)),
            ("Option<Vec<i64>>".to_string(), "number[]".to_string())
        );
        let m = Ty::map(Ty::primitive("string").optional());
        assert_eq!(type_name(&m), "Record<string, string | null>");
        assert_eq!(super::super::rust::type_name(&t.required()), "Vec<i64>");
        let nested = Ty::list(Ty::map(Ty::primitive("int")));
        assert_eq!(type_name(&nested), "Array<Record<string, number>>");
    }
}
