use std::path::{Path, PathBuf};

use crate::cli::{self, Format, GenerateArgs, OutputArgs};
use crate::commands::{FAILED, OK, command_name, json, report};
use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{self, Disk, Mode, Report};
use crate::generators::{self, Lang, Renderer};
use crate::load::{self, SpecSelection};
use crate::manifest::Summary;
use crate::plan::Plan;
use crate::render::TemplateSet;
use crate::report::JsonReport;
use crate::settings::{Compensation, Location, StateSync};
use crate::source::project::Project;
use crate::targets::Requested;
use crate::validate::{Check, Overrides};

pub fn mode_of(output: &OutputArgs) -> Mode {
    if output.dry_run {
        Mode::DryRun
    } else if output.diff {
        Mode::Diff
    } else if output.check {
        Mode::Check
    } else {
        Mode::Write {
            force: output.force,
        }
    }
}

/// The template set: `--templates`, else the project's `templates:`.
pub fn template_set(
    explicit: Option<&Path>,
    project: &Project,
    diags: &mut Diagnostics,
) -> TemplateSet {
    match explicit.or(project.templates.as_deref()) {
        Some(dir) => TemplateSet::with_overrides(dir, diags),
        None => TemplateSet::builtin(),
    }
}

/// Language roots: `--out DIR` gives `DIR/rust` and `DIR/ts`, else the project's `out:`.
pub fn language_roots(out: Option<&Path>, project: &Project) -> (PathBuf, PathBuf) {
    match out {
        Some(dir) => (dir.join("rust"), dir.join("ts")),
        None => (project.out_rust.clone(), project.out_ts.clone()),
    }
}

pub fn run(project_file: Option<&Path>, args: GenerateArgs) -> u8 {
    let format = args.output.format;
    crate::timings::start();
    let mut diags = Diagnostics::new();
    let Some(project) = load::project(project_file, &mut diags) else {
        report(&diags, format);
        return FAILED;
    };
    let selection = SpecSelection {
        context: args.spec.bc.clone(),
        spec: args.spec.spec.clone(),
        project_file: project_file.map(Path::to_path_buf),
    };
    let Some(spec_path) = load::locate_spec(&selection, &project, &mut diags) else {
        report(&diags, format);
        return FAILED;
    };
    let given = Requested {
        architecture: args.architecture.map(Into::into),
        event_style: args.event_style.map(Into::into),
        transaction_pattern: args.transaction_pattern.map(Into::into),
        state_management: args.state_management.map(Into::into),
        allow_backend_saga: args.allow_backend_saga,
        ..Requested::default()
    };
    let langs = langs_of(&args.lang);
    let (rust_root, ts_root) = language_roots(args.output.out.as_deref(), &project);
    // The outputs this spec already has, per language, read once: their
    // manifests give the settings to keep and tell whether anything changed.
    let existing: Vec<(Lang, Vec<(PathBuf, Summary)>)> = langs
        .iter()
        .map(|&lang| {
            let base = if lang == Lang::Rust {
                &rust_root
            } else {
                &ts_root
            };
            let found = crate::fingerprint::outputs_of(base, generators::BC_GENERATE, &spec_path);
            (lang, found)
        })
        .collect();
    crate::timings::mark("outputs found");
    // Settings outlive flags: each output keeps what it was generated with,
    // and the flags given now change only what they name.
    let settings: Vec<(Lang, Requested)> = existing
        .iter()
        .map(|(lang, found)| (*lang, settled(found, *lang, &given)))
        .collect();
    let requested_for = |lang: Lang| {
        settings
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, requested)| requested.clone())
            .expect("settled for every language")
    };
    let overrides = Overrides {
        allow_backend_saga: langs
            .iter()
            .any(|&lang| requested_for(lang).allow_backend_saga),
    };
    let mode = mode_of(&args.output);
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    crate::timings::mark("templates");
    // Only a plain write takes the shortcut: a check or a forced write
    // trusts nothing (`Trust`).
    if mode == (Mode::Write { force: false }) && !diags.has_errors() {
        let outputs = existing.iter().map(|(lang, found)| {
            let recipe = generators::BcRequest {
                lang: *lang,
                requested: requested_for(*lang),
            };
            let settings = serde_json::to_value(recipe).expect("recipe serialises");
            found
                .iter()
                .filter(|(_, summary)| summary.recipe.settings == settings)
                .collect::<Vec<_>>()
        });
        if let Some(reports) = fresh_reports(outputs, selection.context.as_deref(), &templates) {
            crate::timings::mark("fresh");
            return finish(reports, mode, &args.output, &diags);
        }
        crate::timings::mark("inputs changed");
    }
    // The spec is parsed on every core, then resolved on one; meanwhile
    // the other reads and hashes what the outputs hold, for the plan to reuse.
    let raw = crate::source::load_spec(&spec_path, &mut diags);
    crate::timings::mark("parse");
    let prefetch = if mode.trust() == crate::incremental::Trust::Manifest && !diags.has_errors() {
        let roots = existing
            .iter()
            .flat_map(|(_, found)| found.iter().map(|(root, _)| root.clone()))
            .collect();
        crate::incremental::Prefetch::start(roots)
    } else {
        crate::incremental::Prefetch::none()
    };
    let context = raw.and_then(|raw| {
        load::resolve_context(raw, &spec_path, &Check::ALL, &overrides, &mut diags)
    });
    crate::timings::mark("validate");
    if let Some(ctx) = &context {
        load::check_context_name(&selection, ctx, &mut diags);
    }
    let (Some(ctx), false) = (context, diags.has_errors()) else {
        report(&diags, format);
        return FAILED;
    };
    // What the plans need from the model is taken first; the model is then
    // turned into template values, which frees it as it goes.
    let mut prepared = Vec::new();
    for &lang in &langs {
        let base = if lang == Lang::Rust {
            &rust_root
        } else {
            &ts_root
        };
        let root = generators::context_root(base, &ctx);
        match generators::prepare_bc(&ctx, &requested_for(lang), lang, &root, &spec_path) {
            Ok(mut p) => {
                diags.extend(p.take_warnings());
                prepared.push(p);
            }
            Err(errors) => diags.extend(errors),
        }
    }
    if report_if_failed(&diags, format) {
        return FAILED;
    }
    if langs.contains(&Lang::Ts) {
        warn_missing_sagas(&ctx, &rust_root, &mut diags, |workflow| {
            format!("the TypeScript `{}` starts runs there", workflow.name.ts)
        });
    }
    let sources = crate::fingerprint::Sources::of(&ctx, &spec_path);
    let diagrams = generators::diagrams(&ctx);
    let renderer = Renderer::new(&templates, mode.trust()).with_prefetch(prefetch);
    let digests = crate::incremental::Digests::of(&ctx);
    let ctx_value = crate::render::value_of(ctx);
    crate::timings::mark("templates and model");
    // Everything is rendered before anything is written.
    let mut plans = Vec::new();
    for p in prepared {
        let lang = p.lang();
        match renderer.render_prepared(&ctx_value, &digests, &diagrams, p) {
            Ok(plan) => plans.push(plan),
            Err(errors) => diags.extend(errors),
        }
        crate::timings::mark(&format!("plan {}", lang.as_str()));
    }
    if report_if_failed(&diags, format) {
        return FAILED;
    }
    stamp_all(&mut plans, &sources, &templates, &diags);
    // The template values are done with: freed beside emit, whose reading
    // of the old manifest then reuses their memory instead of adding to it.
    drop(renderer);
    let freeing = std::thread::spawn(move || drop(ctx_value));
    let code = emit_all(&plans, mode, &args.output, &diags);
    crate::timings::mark("emit");
    let _ = freeing.join();
    // The process ends here: freeing a large plan piece by piece would
    // only delay the exit.
    std::mem::forget(plans);
    code
}

/// The TypeScript function of a workflow the backend orchestrates starts
/// runs of its saga, and the service mesh runs it; `setup orchestration`
/// writes it: said when the saga is not in the Rust output folder (as that
/// command says of the context's crate), so neither is shipped relying on
/// a service nobody built. `relies` says what relies on it.
fn warn_missing_sagas(
    ctx: &crate::model::Context,
    rust_root: &Path,
    diags: &mut Diagnostics,
    relies: impl Fn(&crate::model::Workflow) -> String,
) {
    for workflow in ctx.workflows.iter().filter(|w| w.runs_in_a_backend_saga()) {
        let folder = generators::saga_folder(ctx, workflow);
        if rust_root.join(&folder).join("Cargo.toml").is_file() {
            continue;
        }
        let pos = workflow.coordination_pos.unwrap_or(workflow.pos);
        diags.push(
            Diagnostic::warning(
                "missing-saga",
                format!(
                    "workflow `{}` runs in a backend saga (`coordination: orchestration`), and `{folder}` is not in {} yet",
                    workflow.name.raw,
                    crate::diag::display_path(rust_root)
                ),
            )
            .at(crate::diag::Location::in_file(&ctx.file, pos))
            .with_help(format!(
                "run `parasol setup orchestration {} --location backend` with the same output folder: {}",
                workflow.name.raw,
                relies(workflow)
            )),
        );
    }
}

fn report_if_failed(diags: &Diagnostics, format: Format) -> bool {
    if diags.has_errors() {
        report(diags, format);
        true
    } else {
        false
    }
}

/// The settings `bc generate` runs with for `lang`: those the spec's
/// `existing` output recorded in its manifest, with the flags given
/// now on top (a flag given once is kept by later plain runs; give it
/// again with another value to change it).
fn settled(existing: &[(PathBuf, Summary)], lang: Lang, given: &Requested) -> Requested {
    let recorded = existing
        .iter()
        .find_map(|(_, manifest)| {
            let request = <generators::BcRequest as serde::Deserialize>::deserialize(
                &manifest.recipe.settings,
            )
            .ok()?;
            (request.lang == lang).then_some(request.requested)
        })
        .unwrap_or_default();
    Requested {
        architecture: given.architecture.or(recorded.architecture),
        event_style: given.event_style.or(recorded.event_style),
        transaction_pattern: given.transaction_pattern.or(recorded.transaction_pattern),
        state_management: given.state_management.or(recorded.state_management),
        allow_backend_saga: given.allow_backend_saga || recorded.allow_backend_saga,
        schema: recorded.schema,
    }
}

/// Emits every plan, prints the reports, and maps them to an exit code:
/// 1 when a check found drift, a write left a conflict, or a write failed.
pub fn emit_all(plans: &[Plan], mode: Mode, output: &OutputArgs, diags: &Diagnostics) -> u8 {
    // Every folder is opened (locked, its manifest read and checked) before
    // any is touched: one that cannot be trusted stops the whole run.
    let named = output.out.as_deref();
    let opened: Vec<emit::Opened<'_>> = plans
        .iter()
        .map(|plan| emit::open(plan, mode, named))
        .collect();
    let refused: Vec<&Diagnostic> = opened.iter().filter_map(emit::Opened::refusal).collect();
    if !refused.is_empty() {
        let mut all = diags.clone();
        for d in refused {
            all.push(d.clone());
        }
        report(&all, output.format);
        return FAILED;
    }
    let disk = Disk::new();
    let reports: Vec<Report> = opened.into_iter().map(|o| o.emit(&disk)).collect();
    finish(reports, mode, output, diags)
}

/// Lets a later run skip a clean output (see `fresh`). A run with warnings
/// records nothing, so that its warnings are shown again next time.
fn stamp_all(
    plans: &mut [Plan],
    sources: &crate::fingerprint::Sources,
    templates: &TemplateSet,
    diags: &Diagnostics,
) {
    if diags.is_empty() {
        for plan in plans {
            crate::fingerprint::stamp(plan, sources, templates);
        }
    }
}

/// The reports of an unchanged run, when every output the command would
/// write is fresh: `outputs` holds, per language, the existing outputs
/// written with the recipe this run asks for (fresh only if exactly one).
fn fresh_reports<'a>(
    outputs: impl Iterator<Item = Vec<&'a (PathBuf, Summary)>>,
    context: Option<&str>,
    templates: &TemplateSet,
) -> Option<Vec<Report>> {
    let mut reports = Vec::new();
    for found in outputs {
        let [(root, summary)] = found.as_slice() else {
            return None;
        };
        if context.is_some_and(|c| c != summary.recipe.context)
            || !crate::fingerprint::inputs_unchanged(root, summary, templates)
        {
            return None;
        }
        let manifest = crate::manifest::Manifest::read(root).ok()??;
        reports.push(crate::fingerprint::files_as_recorded(root, &manifest)?);
    }
    Some(reports)
}

/// Prints the reports and maps them to an exit code (see `emit_all`).
pub fn finish(reports: Vec<Report>, mode: Mode, output: &OutputArgs, diags: &Diagnostics) -> u8 {
    let mut all = diags.clone();
    for r in &reports {
        for e in &r.errors {
            all.push(e.clone());
        }
    }
    let left_alone = reports.iter().flat_map(|r| r.conflicts()).count();
    let to_edit = reports.iter().flat_map(|r| r.needs_edit()).count();
    let failed = match mode {
        Mode::Check => reports.iter().any(Report::drift),
        Mode::Write { .. } => left_alone > 0 || to_edit > 0,
        _ => false,
    } || all.has_errors();
    match output.format {
        Format::Human => {
            super::print_diagnostics(&all, false);
            let quiet = crate::term::quiet();
            for r in &reports {
                // Quiet keeps what failed: drift in a check, files left alone.
                if !quiet || (failed && (r.drift() || r.conflicts().next().is_some())) {
                    crate::term::out(&emit::render_report(r, mode, output.verbose));
                }
            }
            let force = matches!(mode, Mode::Write { force: true });
            let stale = reports.iter().any(|r| {
                r.manifest_drift
                    || r.files
                        .iter()
                        .any(|f| f.action.is_drift() && f.action != emit::Action::NeedsEdit)
            });
            if mode == Mode::Check && failed && (stale || to_edit == 0) {
                crate::term::err(
                    "error: generated output is stale; regenerate it (the headers name the command)\n",
                );
            }
            if to_edit > 0 {
                crate::term::err(&format!(
                    "error: {to_edit} file{} of yours no longer fit{} the spec (listed above with what to change); parasol never edits your files: change {}, or delete {} to get parasol's new default\n",
                    crate::diag::plural(to_edit),
                    if to_edit == 1 { "s" } else { "" },
                    if to_edit == 1 { "it" } else { "them" },
                    if to_edit == 1 { "it" } else { "one" },
                ));
            }
            if left_alone > 0 && force {
                crate::term::err(&format!(
                    "error: {left_alone} file{} could not be written: a link, a folder or a file is in the way (listed above); parasol never writes through them, even with --force\n",
                    crate::diag::plural(left_alone)
                ));
            } else if left_alone > 0 {
                crate::term::err(
                    "error: some generated files were edited by hand and were kept; move the change into a user-owned file, or re-run with --force to overwrite\n",
                );
            }
        }
        Format::Json => {
            let report =
                JsonReport::new(command_name(), !failed, &all).with_outputs(&reports, mode);
            json(&report);
        }
    }
    if failed { FAILED } else { OK }
}

/// Loads what NAME refers to; `None` (after reporting) when it cannot.
fn load_named(
    project_file: Option<&Path>,
    name: &str,
    spec: Option<&Path>,
    workflows_only: bool,
    allow_backend_saga: bool,
    format: Format,
) -> Option<(
    Project,
    PathBuf,
    crate::model::Context,
    Option<String>,
    Diagnostics,
)> {
    let mut diags = Diagnostics::new();
    let project = load::project(project_file, &mut diags)?;
    let Some(named) = load::find_named(name, spec, &project, workflows_only, &mut diags) else {
        report(&diags, format);
        return None;
    };
    let overrides = Overrides { allow_backend_saga };
    let context = load::load_context(&named.spec, &Check::ALL, &overrides, &mut diags);
    match context {
        Some(ctx) if !diags.has_errors() => Some((project, named.spec, ctx, named.workflow, diags)),
        _ => {
            report(&diags, format);
            None
        }
    }
}

fn langs_of(requested: &[cli::Lang]) -> Vec<Lang> {
    chosen(requested, || Lang::ALL.to_vec())
}

/// The settings a repeatable flag gave, sorted and without repeats; what
/// `default` gives when the flag was not used.
fn chosen<C: Copy + Into<S>, S: Ord>(given: &[C], default: impl FnOnce() -> Vec<S>) -> Vec<S> {
    let mut settings: Vec<S> = given.iter().map(|&c| c.into()).collect();
    if settings.is_empty() {
        settings = default();
    }
    settings.sort();
    settings.dedup();
    settings
}

/// Whole milliseconds of a duration from the command line.
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub fn event_patterns(project_file: Option<&Path>, args: cli::EventPatternsArgs) -> u8 {
    let format = args.output.format;
    let Some((project, spec_path, ctx, workflow, mut diags)) = load_named(
        project_file,
        &args.name,
        args.spec.as_deref(),
        false,
        args.allow_backend_saga,
        format,
    ) else {
        return FAILED;
    };
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    let (rust_root, ts_root) = language_roots(args.output.out.as_deref(), &project);
    let renderer = Renderer::new(&templates, mode_of(&args.output).trust());
    let mut plans = Vec::new();
    for lang in langs_of(&args.lang) {
        let request = crate::generators::EventPatterns {
            lang,
            style: args.style.into(),
            coordination: args.coordination.into(),
            workflow: workflow.clone(),
            no_event_sourcing: args.no_event_sourcing,
            no_saga: args.no_saga,
            allow_backend_saga: args.allow_backend_saga,
        };
        let root = if lang == Lang::Rust {
            &rust_root
        } else {
            &ts_root
        };
        match crate::generators::plan_event_patterns(&renderer, &ctx, &request, root, &spec_path) {
            Ok(plan) => plans.push(plan),
            Err(errors) => diags.extend(errors),
        }
    }
    if report_if_failed(&diags, format) {
        return FAILED;
    }
    let sources = crate::fingerprint::Sources::of(&ctx, &spec_path);
    stamp_all(&mut plans, &sources, &templates, &diags);
    emit_all(&plans, mode_of(&args.output), &args.output, &diags)
}

pub fn orchestration(project_file: Option<&Path>, args: cli::OrchestrationArgs) -> u8 {
    let format = args.output.format;
    let Some((project, spec_path, ctx, workflow, mut diags)) = load_named(
        project_file,
        &args.workflow,
        args.spec.as_deref(),
        true,
        true,
        format,
    ) else {
        return FAILED;
    };
    let Some(workflow) = workflow.as_deref().and_then(|w| ctx.workflow(w)) else {
        return FAILED;
    };
    let location = match args.location {
        Some(location) => location.into(),
        None if workflow.coordination == "frontend" => Location::Frontend,
        None => Location::Backend,
    };
    // The spec's words were validated against the same lists.
    let request = crate::generators::Orchestration {
        lang: if location == Location::Backend {
            Lang::Rust
        } else {
            Lang::Ts
        },
        workflow: workflow.name.raw.clone(),
        location,
        compensation: args.compensation_strategy.map_or_else(
            || Compensation::parse(&workflow.compensation).unwrap_or(Compensation::BestEffort),
            Into::into,
        ),
        state_sync: args.state_sync.map_or_else(
            || StateSync::parse(&workflow.state_sync).unwrap_or(StateSync::RealtimeSse),
            Into::into,
        ),
        allow_backend_saga: args.allow_backend_saga,
    };
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    let (rust_root, ts_root) = language_roots(args.output.out.as_deref(), &project);
    let root = if request.lang == Lang::Rust {
        &rust_root
    } else {
        &ts_root
    };
    let renderer = Renderer::new(&templates, mode_of(&args.output).trust());
    let plan =
        match crate::generators::plan_orchestration(&renderer, &ctx, &request, root, &spec_path) {
            Ok(plan) => plan,
            Err(errors) => {
                diags.extend(errors);
                report(&diags, format);
                return FAILED;
            }
        };
    if request.lang == Lang::Rust && !root.join(&ctx.name.kebab).join("Cargo.toml").is_file() {
        diags.push(
            Diagnostic::warning(
                "missing-service-crate",
                format!(
                    "the saga builds against the context's crate `{}`, which is not in {} yet",
                    ctx.name.kebab,
                    crate::diag::display_path(root)
                ),
            )
            .with_help(format!(
                "run `parasol bc generate {} --lang rust` with the same output folder",
                ctx.name.raw
            )),
        );
    }
    let mut plans = [plan];
    let sources = crate::fingerprint::Sources::of(&ctx, &spec_path);
    stamp_all(&mut plans, &sources, &templates, &diags);
    emit_all(&plans, mode_of(&args.output), &args.output, &diags)
}

/// `parasol generate --all`: every recorded output of the project
/// regenerated from its manifest's recipe (as `check` replays it), and
/// `bc generate` with default settings (both languages) for every spec
/// under `specs:` whose context has no recorded `bc generate` output yet. One run: everything is
/// planned before anything is written.
pub fn all(project_file: Option<&Path>, output: &OutputArgs) -> u8 {
    let format = output.format;
    let mut diags = Diagnostics::new();
    let Some(project) = load::project(project_file, &mut diags) else {
        report(&diags, format);
        return FAILED;
    };
    let templates = template_set(output.templates.as_deref(), &project, &mut diags);
    let (rust_root, ts_root) = language_roots(output.out.as_deref(), &project);
    let mut roots: Vec<PathBuf> = [&rust_root, &ts_root]
        .iter()
        .flat_map(|base| generators::find_manifests(base))
        .collect();
    roots.sort();
    roots.dedup();
    let mut plans = Vec::new();
    // New outputs, with what they are rendered from (see `stamp_all`).
    let mut fresh_plans = Vec::new();
    // Contexts whose `bc generate` output exists, per language.
    let mut recorded: Vec<(String, Lang)> = Vec::new();
    for root in &roots {
        if let Ok(Some(manifest)) = crate::manifest::Manifest::summary(root)
            && manifest.recipe.command == generators::BC_GENERATE
            && let Ok(recipe) =
                serde_json::from_value::<generators::BcRequest>(manifest.recipe.settings.clone())
        {
            recorded.push((manifest.recipe.context.clone(), recipe.lang));
        }
        match crate::generators::replay(root, &templates, mode_of(output).trust()) {
            Ok(plan) => plans.push(plan),
            Err(errors) => diags.extend(errors),
        }
    }
    let specs = load::spec_files(&project.specs);
    if specs.is_empty() && roots.is_empty() {
        diags.push(load::no_specs(&project));
    }
    let renderer = Renderer::new(&templates, mode_of(output).trust());
    for spec in specs {
        let Some(ctx) = load::load_context(&spec, &Check::ALL, &Overrides::default(), &mut diags)
        else {
            continue;
        };
        // A context generated before keeps the languages it was generated in.
        if recorded.iter().any(|(context, _)| *context == ctx.name.raw) {
            continue;
        }
        let missing = [Lang::Rust, Lang::Ts];
        let ctx_value = crate::render::value(&ctx);
        let sources = crate::fingerprint::Sources::of(&ctx, &spec);
        for lang in missing {
            let base = if lang == Lang::Rust {
                &rust_root
            } else {
                &ts_root
            };
            let root = generators::context_root(base, &ctx);
            match generators::plan_bc(
                &renderer,
                &ctx,
                &ctx_value,
                &Requested::default(),
                lang,
                &root,
                &spec,
            ) {
                Ok(plan) => fresh_plans.push((plan, sources.clone())),
                Err(errors) => diags.extend(errors),
            }
        }
    }
    for (mut plan, sources) in fresh_plans {
        if diags.is_empty() {
            crate::fingerprint::stamp(&mut plan, &sources, &templates);
        }
        plans.push(plan);
    }
    if report_if_failed(&diags, format) {
        return FAILED;
    }
    plans.sort_by(|a, b| a.root.cmp(&b.root));
    emit_all(&plans, mode_of(output), output, &diags)
}

/// `parasol bc setup-monitoring`: the request from the flags, thresholds
/// the flags leave out taken from the spec's `communication.sync`.
pub fn monitoring(project_file: Option<&Path>, args: cli::MonitoringArgs) -> u8 {
    use crate::settings::Signal;
    let Some(Loaded {
        project,
        spec_path,
        ctx,
        mut diags,
    }) = load_spec(
        project_file,
        &args.spec,
        Overrides::default(),
        args.output.format,
    )
    else {
        return FAILED;
    };
    let signals = chosen(&args.metrics, || Signal::ALL.to_vec());
    let sync = &ctx.communication.sync;
    let (latency_p99_ms, latency_source) = match args.latency_p99 {
        Some(limit) => (millis(limit), "`--latency-p99`".to_string()),
        None => {
            let (limit, source, warning) = crate::generators::monitoring::latency_from_spec(&ctx);
            if let Some(warning) = warning {
                diags.push(warning);
            }
            (limit, source)
        }
    };
    let (error_rate_percent, error_rate_source) = match args.error_rate {
        Some(percent) => (percent, "`--error-rate`".to_string()),
        None => (
            sync.failure_threshold_percent,
            "the spec's circuit-breaker `failure_threshold`, where callers stop calling"
                .to_string(),
        ),
    };
    let mut targets = args.targets.clone();
    if targets.is_empty() {
        targets.push(crate::generators::monitoring::DEFAULT_TARGET.to_string());
    }
    let request = crate::generators::Monitoring {
        signals,
        logging: args.logging.into(),
        tracing: args.tracing.map(Into::into),
        collector: args.tracing.map(|_| args.collector.clone()),
        targets,
        scrape_interval_ms: millis(args.scrape_interval),
        latency_p99_ms,
        latency_source,
        error_rate_percent,
        error_rate_source,
    };
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    let (rust_root, _) = language_roots(args.output.out.as_deref(), &project);
    let renderer = Renderer::new(&templates, mode_of(&args.output).trust());
    let planned =
        crate::generators::plan_monitoring(&renderer, &ctx, &request, &rust_root, &spec_path);
    emit_planned(planned, &ctx, &spec_path, &templates, &args.output, diags)
}

/// `parasol bc test-communication`: the scenarios asked for (every one the
/// spec allows by default), into the TypeScript output folder.
pub fn communication_tests(project_file: Option<&Path>, args: cli::CommunicationTestsArgs) -> u8 {
    use crate::generators::CommunicationTests;
    let Some(Loaded {
        project,
        spec_path,
        ctx,
        mut diags,
    }) = load_spec(
        project_file,
        &args.spec,
        Overrides::default(),
        args.output.format,
    )
    else {
        return FAILED;
    };
    let scenarios = chosen(&args.scenarios, || CommunicationTests::possible(&ctx));
    let request = CommunicationTests {
        scenarios,
        load_rps: args.load_test,
        load_duration_ms: millis(args.load_duration),
    };
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    let (_, ts_root) = language_roots(args.output.out.as_deref(), &project);
    let renderer = Renderer::new(&templates, mode_of(&args.output).trust());
    let planned = crate::generators::plan_communication_tests(
        &renderer, &ctx, &request, &ts_root, &spec_path,
    );
    emit_planned(planned, &ctx, &spec_path, &templates, &args.output, diags)
}

/// `parasol bc implement-communication`: the service mesh of the
/// context's processes (`--pattern service-mesh`), or the coordination of
/// the workflow the modules take part in, with the generator that owns it
/// (`setup orchestration` or `generate event-patterns`), whose request the
/// output's manifest then records.
pub fn implement_communication(
    project_file: Option<&Path>,
    args: cli::ImplementCommunicationArgs,
) -> u8 {
    use crate::settings::{Coordination, PatternStyle};
    use cli::CommunicationPattern;
    let mesh = args.pattern == CommunicationPattern::ServiceMesh;
    if let Some(unused) = unused_flags(&args) {
        report(&unused, args.output.format);
        return FAILED;
    }
    let overrides = Overrides {
        allow_backend_saga: args.allow_backend_saga,
    };
    let Some(Loaded {
        project,
        spec_path,
        ctx,
        mut diags,
    }) = load_spec(project_file, &args.spec, overrides, args.output.format)
    else {
        return FAILED;
    };
    let workflow = if mesh {
        None
    } else {
        let Some(workflow) = workflow_of(&ctx, args.workflow.as_deref(), &args.modules, &mut diags)
        else {
            report(&diags, args.output.format);
            return FAILED;
        };
        Some(workflow)
    };
    let templates = template_set(args.output.templates.as_deref(), &project, &mut diags);
    let (rust_root, ts_root) = language_roots(args.output.out.as_deref(), &project);
    let renderer = Renderer::new(&templates, mode_of(&args.output).trust());
    let planned = match (args.pattern, workflow) {
        // Only the service mesh goes without a workflow.
        (CommunicationPattern::ServiceMesh, _) | (_, None) => {
            warn_missing_sagas(&ctx, &rust_root, &mut diags, |_| {
                "the mesh runs it, from the image its Dockerfile builds".to_string()
            });
            let request = crate::generators::Mesh::new(
                &ctx,
                args.namespace.clone(),
                args.image.clone(),
                args.replicas,
                args.host.clone(),
            );
            crate::generators::plan_mesh(&renderer, &ctx, &request, &rust_root, &spec_path)
        }
        (
            CommunicationPattern::SagaOrchestration | CommunicationPattern::FrontendOrchestration,
            Some(workflow),
        ) => {
            let backend = args.pattern == CommunicationPattern::SagaOrchestration;
            let request = crate::generators::Orchestration {
                lang: if backend { Lang::Rust } else { Lang::Ts },
                workflow: workflow.name.raw.clone(),
                location: if backend {
                    Location::Backend
                } else {
                    Location::Frontend
                },
                compensation: Compensation::parse(&workflow.compensation)
                    .unwrap_or(Compensation::BestEffort),
                state_sync: StateSync::parse(&workflow.state_sync)
                    .unwrap_or(StateSync::RealtimeSse),
                allow_backend_saga: args.allow_backend_saga,
            };
            let root = if backend { &rust_root } else { &ts_root };
            crate::generators::plan_orchestration_offering(
                &renderer,
                &ctx,
                &request,
                root,
                &spec_path,
                "`--pattern frontend-orchestration`",
            )
        }
        (CommunicationPattern::SagaChoreography, Some(workflow)) => {
            let request = crate::generators::EventPatterns {
                lang: Lang::Rust,
                style: PatternStyle::DomainEvents,
                coordination: Coordination::Backend,
                workflow: Some(workflow.name.raw.clone()),
                no_event_sourcing: false,
                no_saga: false,
                allow_backend_saga: args.allow_backend_saga,
            };
            crate::generators::plan_event_patterns(
                &renderer, &ctx, &request, &rust_root, &spec_path,
            )
        }
    };
    emit_planned(planned, &ctx, &spec_path, &templates, &args.output, diags)
}

/// The flags given that `--pattern` does not use: a flag accepted and
/// ignored would leave the user believing it did something.
fn unused_flags(args: &cli::ImplementCommunicationArgs) -> Option<Diagnostics> {
    let mesh = args.pattern == cli::CommunicationPattern::ServiceMesh;
    let given: &[(&str, bool, bool)] = &[
        // (flag, given, used by this pattern)
        ("--modules", !args.modules.is_empty(), !mesh),
        ("--workflow", args.workflow.is_some(), !mesh),
        ("--allow-backend-saga", args.allow_backend_saga, !mesh),
        ("--namespace", args.namespace.is_some(), mesh),
        ("--image", args.image.is_some(), mesh),
        ("--replicas", args.replicas.is_some(), mesh),
        ("--host", args.host.is_some(), mesh),
    ];
    let pattern = clap::ValueEnum::to_possible_value(&args.pattern)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let mut diags = Diagnostics::new();
    for (flag, given, used) in given {
        if *given && !*used {
            let help = if mesh {
                "a service mesh carries every call of the context's processes; leave the flag out"
            } else {
                "`--namespace`, `--image`, `--replicas` and `--host` are `--pattern service-mesh`'s"
            };
            diags.push(
                Diagnostic::error(
                    "flag-without-effect",
                    format!("`{flag}` does nothing with `--pattern {pattern}`"),
                )
                .with_help(help),
            );
        }
    }
    (!diags.is_empty()).then_some(diags)
}

/// The workflow `--workflow` names, or the one whose steps call exactly
/// `modules`; `None` after saying why.
fn workflow_of<'c>(
    ctx: &'c crate::model::Context,
    named: Option<&str>,
    modules: &[String],
    diags: &mut Diagnostics,
) -> Option<&'c crate::model::Workflow> {
    let listed = || {
        ctx.workflows
            .iter()
            .map(|w| {
                let modules: Vec<&str> = w.modules.iter().map(|m| m.raw.as_str()).collect();
                format!("`{}` ({})", w.name.raw, modules.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    if ctx.workflows.is_empty() {
        diags.push(Diagnostic::error(
            "unknown-workflow",
            format!(
                "context `{}` declares no workflow to coordinate",
                ctx.name.raw
            ),
        ));
        return None;
    }
    if let Some(name) = named {
        let found = ctx.workflow(name);
        if found.is_none() {
            diags.push(
                Diagnostic::error(
                    "unknown-workflow",
                    format!("context `{}` has no workflow `{name}`", ctx.name.raw),
                )
                .with_help_opt(crate::diag::did_you_mean(
                    name,
                    ctx.workflows.iter().map(|w| w.name.raw.as_str()),
                )),
            );
        }
        return found;
    }
    let mut wanted: Vec<String> = Vec::new();
    for module in modules {
        match ctx
            .modules
            .iter()
            .find(|m| [&m.name.raw, &m.name.snake, &m.name.kebab].contains(&module))
        {
            Some(m) => wanted.push(m.name.raw.clone()),
            None => diags.push(
                Diagnostic::error(
                    "unknown-name",
                    format!("context `{}` has no module `{module}`", ctx.name.raw),
                )
                .with_help_opt(crate::diag::did_you_mean(
                    module,
                    ctx.modules.iter().map(|m| m.name.raw.as_str()),
                )),
            ),
        }
    }
    if diags.has_errors() {
        return None;
    }
    wanted.sort();
    wanted.dedup();
    let matching: Vec<&crate::model::Workflow> = ctx
        .workflows
        .iter()
        .filter(|w| {
            wanted.is_empty() || {
                let mut calls: Vec<&String> = w.modules.iter().map(|m| &m.raw).collect();
                calls.sort();
                calls == wanted.iter().collect::<Vec<_>>()
            }
        })
        .collect();
    match matching.as_slice() {
        [one] => Some(one),
        [] => {
            diags.push(
                Diagnostic::error(
                    "unknown-workflow",
                    format!(
                        "no workflow of `{}` calls exactly the modules {}",
                        ctx.name.raw,
                        wanted.join(", ")
                    ),
                )
                .with_help(format!(
                    "the workflows and the modules they call: {}; name one with `--workflow`",
                    listed()
                )),
            );
            None
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    "unknown-workflow",
                    "more than one workflow matches; name one with `--workflow`".to_string(),
                )
                .with_help(format!(
                    "the workflows and the modules they call: {}",
                    listed()
                )),
            );
            None
        }
    }
}

/// What a command that generates from one spec has loaded.
struct Loaded {
    project: Project,
    spec_path: PathBuf,
    ctx: crate::model::Context,
    diags: Diagnostics,
}

/// The project, and the spec `spec` selects loaded and validated; `None`
/// after reporting why not.
fn load_spec(
    project_file: Option<&Path>,
    spec: &cli::SpecArgs,
    overrides: Overrides,
    format: Format,
) -> Option<Loaded> {
    let mut diags = Diagnostics::new();
    let Some(project) = load::project(project_file, &mut diags) else {
        report(&diags, format);
        return None;
    };
    let selection = SpecSelection {
        context: spec.bc.clone(),
        spec: spec.spec.clone(),
        project_file: project_file.map(Path::to_path_buf),
    };
    let Some(spec_path) = load::locate_spec(&selection, &project, &mut diags) else {
        report(&diags, format);
        return None;
    };
    let loaded = load::load_context(&spec_path, &Check::ALL, &overrides, &mut diags);
    let Some(ctx) = loaded.filter(|_| !diags.has_errors()) else {
        report(&diags, format);
        return None;
    };
    Some(Loaded {
        project,
        spec_path,
        ctx,
        diags,
    })
}

/// Emits one generator's plan (stamped with what it was rendered from),
/// or reports why it could not be made.
fn emit_planned(
    planned: Result<Plan, Diagnostics>,
    ctx: &crate::model::Context,
    spec_path: &Path,
    templates: &TemplateSet,
    output: &OutputArgs,
    mut diags: Diagnostics,
) -> u8 {
    let plan = match planned {
        Ok(plan) => plan,
        Err(errors) => {
            diags.extend(errors);
            report(&diags, output.format);
            return FAILED;
        }
    };
    let mut plans = [plan];
    let sources = crate::fingerprint::Sources::of(ctx, spec_path);
    stamp_all(&mut plans, &sources, templates, &diags);
    emit_all(&plans, mode_of(output), output, &diags)
}
