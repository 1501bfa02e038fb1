//! Per-stage timings of the pipeline, in process (criterion): parsing
//! (read, YAML, decode), resolving into the model, validation, and planning
//! (rendering every file in memory) for W1 (the canonical example) and W2
//! (100 synthetic modules). Run with `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use parasol::diag::Diagnostics;
use parasol::generators::{Lang, Renderer, plan_bc};
use parasol::load::load_context;
use parasol::model::Context;
use parasol::model::lower::lower;
use parasol::render::{self, TemplateSet};
use parasol::source::{self, bundle};
use parasol::targets::Requested;
use parasol::validate::{Check, Overrides, validate};

#[path = "workload.rs"]
mod workload;

fn workloads(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let canonical = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/examples/order-management/order-management.bc.yaml");
    let w2 = dir.join("w2.bc.yaml");
    std::fs::write(&w2, workload::spec("Synthetic100", 100, 10)).unwrap();
    vec![("w1", canonical), ("w2", w2)]
}

fn context(spec: &Path) -> Context {
    let mut diags = Diagnostics::new();
    let ctx = load_context(spec, &Check::ALL, &Overrides::default(), &mut diags);
    assert!(!diags.has_errors(), "{}", diags.render_human());
    ctx.expect("a context")
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let templates = TemplateSet::builtin();
    for (name, spec) in workloads(dir.path()) {
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        group.bench_function("parse", |b| {
            b.iter(|| {
                let mut diags = Diagnostics::new();
                black_box(source::load_spec(&spec, &mut diags))
            })
        });
        let raw = source::load_spec(&spec, &mut Diagnostics::new()).unwrap();
        let spec_dir = spec.parent().unwrap().to_path_buf();
        let roots: Vec<_> = raw
            .bundles
            .iter()
            .map(|b| (source::join_normalised(&spec_dir, &b.value), None))
            .collect();
        let policy = bundle::IncludePolicy::for_file(&spec);
        let bundles = Arc::new(bundle::load(&roots, policy, &mut Diagnostics::new()));
        group.bench_function("resolve", |b| {
            b.iter(|| {
                let mut diags = Diagnostics::new();
                black_box(lower(&raw, bundles.clone(), "spec.bc.yaml", &mut diags))
            })
        });
        let ctx = context(&spec);
        group.bench_function("validate", |b| {
            b.iter(|| {
                let mut diags = Diagnostics::new();
                validate(&ctx, &Check::ALL, &Overrides::default(), &mut diags);
                black_box(diags)
            })
        });
        let renderer = Renderer::new(&templates, parasol::incremental::Trust::Manifest);
        let value = render::value(&ctx);
        for lang in [Lang::Rust, Lang::Ts] {
            group.bench_function(format!("plan-{}", lang.as_str()), |b| {
                b.iter(|| {
                    let root = Path::new("out");
                    black_box(
                        plan_bc(
                            &renderer,
                            &ctx,
                            &value,
                            &Requested::default(),
                            lang,
                            root,
                            &spec,
                        )
                        .unwrap(),
                    )
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
