//! Stage 4 (validate): bundle policy and architecture checks over the
//! resolved model, all reported at once.
//!
//! Dangling references (unknown modules, ops, events, types) are found while
//! lowering and are always errors. The checks here can be chosen with
//! `--check` (default: all):
//!
//! | check | finding | severity |
//! |---|---|---|
//! | `circular-dependencies` | a `depends_on` cycle | error (warning if the bundle sets `module_rules.forbid_cycles: false`) |
//! | `module-boundaries` | a module depends on itself | error |
//! | `module-boundaries` | an op emits, or a module publishes, an event about another module's aggregate | warning |
//! | `public-api-usage` | an event is declared but nothing publishes it | warning |
//! | `public-api-usage` | a module subscribes to an event nothing publishes | warning |
//! | `public-api-usage` | a read model or workflow listens for an event nothing publishes | warning |
//!
//! Policy violations (what a bundle forbids) are always errors and name the
//! bundle and the principle.

use std::collections::{BTreeMap, HashMap};

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use crate::model::{Context, Event};
use crate::policy::Ask;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    CircularDependencies,
    ModuleBoundaries,
    PublicApiUsage,
}

impl Check {
    pub const ALL: [Check; 3] = [
        Check::CircularDependencies,
        Check::ModuleBoundaries,
        Check::PublicApiUsage,
    ];
}

/// What the user asked for that policy may forbid.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--allow-backend-saga`: run backend sagas even under `frontend_orchestration`.
    pub allow_backend_saga: bool,
}

pub fn validate(ctx: &Context, checks: &[Check], overrides: &Overrides, diags: &mut Diagnostics) {
    policy(ctx, overrides, diags);
    file_paths(ctx, diags);
    view_keys(ctx, diags);
    routes(ctx, diags);
    if checks.contains(&Check::CircularDependencies) {
        cycles(ctx, diags);
    }
    if checks.contains(&Check::ModuleBoundaries) {
        boundaries(ctx, diags);
    }
    if checks.contains(&Check::PublicApiUsage) {
        public_api(ctx, diags);
    }
}

/// Two routes of the service at one path for one method make its router
/// panic when it is built (axum's "Overlapping method route", or matchit's
/// conflict between `{id}` and `{key}` at one place): a module named
/// `views` serving aggregate `Board` at `/api/views/boards`, beside read
/// model `Boards`. Reported at the later of the two, naming the first.
fn routes(ctx: &Context, diags: &mut Diagnostics) {
    // Who serves a route, told only when another meets it: a large context
    // has tens of thousands of routes, and nothing is formatted for them.
    #[derive(Clone, Copy)]
    enum Origin<'c> {
        Aggregate(&'c crate::model::Aggregate),
        Op(&'c crate::model::Op),
        View(&'c crate::model::ReadModel),
    }
    impl Origin<'_> {
        fn told(self) -> String {
            match self {
                Origin::Aggregate(a) => format!("aggregate `{}`'s records", a.name.raw),
                Origin::Op(op) => format!("operation `{}`", op.key),
                Origin::View(r) => format!("read model `{}`", r.name.raw),
            }
        }
        fn pos(self) -> Pos {
            match self {
                Origin::Aggregate(a) => a.pos,
                Origin::Op(op) => op.pos,
                Origin::View(r) => r.pos,
            }
        }
    }
    // (collection path, whether one record under it (`/{id}`), method).
    type Route<'c> = (&'c str, bool, &'static str);
    fn claim<'c>(
        ctx: &Context,
        taken: &mut HashMap<Route<'c>, Origin<'c>>,
        diags: &mut Diagnostics,
        routes: &[Route<'c>],
        origin: Origin<'c>,
    ) {
        let met = routes
            .iter()
            .find_map(|r| taken.get(r).map(|first| (r, *first)));
        if let Some(((path, one, method), first)) = met {
            let shown = if *one {
                format!("{path}/{{…}}")
            } else {
                path.to_string()
            };
            let message = format!(
                "{} and {} are both served at `{method} {shown}`",
                origin.told(),
                first.told()
            );
            diags.push(
                Diagnostic::error("name-collision", message)
                    .at(at(ctx, origin.pos()))
                    .with_help("rename one of them"),
            );
            return;
        }
        for route in routes {
            taken.insert(*route, origin);
        }
    }
    // Routes within a module meet only as names do, which lowering refuses;
    // what is left is a module's route beside a read model's, so only the
    // routes in the read models' folders are claimed.
    fn parent(route: &str) -> &str {
        route.rsplit_once('/').map_or("", |(parent, _)| parent)
    }
    let view_folders: std::collections::HashSet<&str> =
        ctx.read_models.iter().map(|r| parent(&r.route)).collect();
    let mut taken = HashMap::new();
    for m in &ctx.modules {
        for a in &m.aggregates {
            let path = a.route.as_str();
            if !view_folders.contains(parent(path)) {
                continue;
            }
            let routes = [
                (path, false, "GET"),
                (path, false, "POST"),
                (path, true, "GET"),
                (path, true, "PUT"),
                (path, true, "PATCH"),
                (path, true, "DELETE"),
            ];
            claim(ctx, &mut taken, diags, &routes, Origin::Aggregate(a));
        }
        for op in m
            .ops
            .iter()
            .filter(|op| view_folders.contains(parent(&op.route)))
        {
            let routes = [(op.route.as_str(), false, "POST")];
            claim(ctx, &mut taken, diags, &routes, Origin::Op(op));
        }
    }
    for r in &ctx.read_models {
        let path = r.route.as_str();
        let routes = [(path, false, "GET"), (path, true, "GET")];
        claim(ctx, &mut taken, diags, &routes, Origin::View(r));
    }
}

/// A view is keyed by the event's field named like its key, else by the
/// event's entity id. That is a guess worth a word when the key does not
/// name the entity: `ZoneDemand` keyed by `zone` on `trip.requested`, which
/// carries no `zone`, gets a row per trip.
fn view_keys(ctx: &Context, diags: &mut Diagnostics) {
    let events = events_by_name(ctx);
    for r in &ctx.read_models {
        let key = &r.key;
        let carries = |e: &Event| {
            e.metadata
                .iter()
                .any(|m| m.name.raw == key.name.raw && crate::model::bodies::keys_a_view(&m.ty))
        };
        // The aggregate the key names: its type, or `plotId` for `Plot`.
        let key_stem = key.name.raw.strip_suffix("Id").unwrap_or_default();
        let named = key.ty.name.clone().or_else(|| {
            ctx.aggregate(&crate::model::Name::new(key_stem).pascal)
                .map(|a| a.name.pascal.clone())
        });
        for (event, pos) in r.on.iter().zip(&r.on_pos) {
            let Some(event) = events.get(event.raw.as_str()) else {
                continue;
            };
            // An entity id is a uuid: a number or an enum value never reads
            // from it, so such a view gets no row from an event without its key.
            let carried = carries(event);
            let help = || {
                format!(
                    "add `{}` to the metadata of `{}`, or take the event out of `on:`",
                    key.name.raw, event.name.raw
                )
            };
            let diagnostic = if !carried && key.ty.kind != "uuid" && r.key_parsed {
                Diagnostic::error(
                    "invalid-key",
                    format!(
                        "read model `{}` is keyed by `{}: {}`, which `{}` does not carry: no row would ever be projected from it",
                        r.name.raw, key.name.raw, key.ty.spec, event.name.raw
                    ),
                )
                .with_help(help())
            } else {
                let names_entity = named.as_deref() == Some(event.entity.pascal.as_str())
                    || key_stem.eq_ignore_ascii_case(&event.entity.raw);
                // `id` is the entity id by name; any other key that no
                // event carries would be filled with an id it does not name.
                if carried || names_entity || key.name.raw == "id" {
                    continue;
                }
                Diagnostic::warning(
                    "view-keyed-by-entity",
                    format!(
                        "read model `{}` is keyed by `{}`, which `{}` does not carry: its rows for that event are keyed by the `{}` id instead",
                        r.name.raw, key.name.raw, event.name.raw, event.entity.raw
                    ),
                )
                .with_help(format!(
                    "{}; or, if a row per `{}` is meant, key the view by `{}Id`",
                    help(),
                    event.entity.raw,
                    event.entity.camel
                ))
            };
            diags.push(diagnostic.at(at(ctx, *pos)));
        }
    }
}

fn at(ctx: &Context, pos: Pos) -> Location {
    Location::in_file(&ctx.file, pos)
}

/// What `bc generate` would refuse about its files, found here first so
/// that `bc validate` accepts nothing `bc generate` then refuses: two files
/// of one output at the same path, or at paths that differ only in case
/// (one file on case-insensitive file systems), and outputs over the file
/// limit. Reported at the spec node whose name made the path.
fn file_paths(ctx: &Context, diags: &mut Diagnostics) {
    let outputs = [
        ("Rust", crate::targets::rust::paths(ctx)),
        ("TypeScript", crate::targets::ts::files(ctx)),
    ];
    for (lang, files) in &outputs {
        if files.len() > crate::plan::MAX_FILES {
            diags.push(
                Diagnostic::error(
                    "too-many-files",
                    format!(
                        "the {lang} output would have {} files; parasol stops at {}",
                        files.len(),
                        crate::plan::MAX_FILES
                    ),
                )
                .at(at(ctx, ctx.pos))
                .with_help("split the context into several bounded contexts"),
            );
        }
        let mut seen: HashMap<String, &crate::plan::FileSpec> = HashMap::new();
        for file in files {
            let key = file.path.to_lowercase();
            let Some(first) = seen.get(&key).copied() else {
                seen.insert(key, file);
                continue;
            };
            let named = |f: &crate::plan::FileSpec| {
                f.items.first().map(|&(_, list, i)| match list {
                    "modules" => (
                        format!("module `{}`", ctx.modules[i].name.raw),
                        ctx.modules[i].pos,
                    ),
                    _ => (
                        format!("workflow `{}`", ctx.workflows[i].name.raw),
                        ctx.workflows[i].pos,
                    ),
                })
            };
            let (who, pos) = named(file)
                .or_else(|| named(first))
                .unwrap_or_else(|| ("the context".into(), ctx.pos));
            let other = match named(first).filter(|_| named(file).is_some()) {
                Some((first_who, _)) => format!("where {first_who} also goes"),
                None => format!("a file parasol itself writes (`{}`)", first.path),
            };
            diags.push(
                Diagnostic::error(
                    "name-collision",
                    format!(
                        "{who} would be generated into `{}` of the {lang} output, {other}",
                        file.path
                    ),
                )
                .at(at(ctx, pos))
                .with_help("rename it"),
            );
        }
    }
}

/// The bundle policy applied to what the spec asks for (see `policy`).
fn policy(ctx: &Context, overrides: &Overrides, diags: &mut Diagnostics) {
    let arch_pos = ctx.architecture_pos.unwrap_or(ctx.pos);
    let asks = [
        Ask::Architecture(&ctx.architecture),
        Ask::EventSourcing {
            what: "architecture `cqrs-es` uses event sourcing".into(),
            refused_by_flag: false,
        },
    ];
    for ask in &asks {
        if matches!(ask, Ask::EventSourcing { .. }) && ctx.architecture != "cqrs-es" {
            continue;
        }
        if let Some(refusal) = ctx.refusal(ask, Some(at(ctx, arch_pos)), None) {
            diags.push(refusal);
        }
    }
    for wf in &ctx.workflows {
        if wf.coordination == "frontend" {
            continue;
        }
        let pos = wf.coordination_pos.unwrap_or(wf.pos);
        let saga = Ask::BackendSaga {
            what: format!(
                "workflow `{}` asks for a backend saga (`coordination: {}`)",
                wf.name.raw, wf.coordination
            ),
            allowed_by_flag: overrides.allow_backend_saga,
        };
        let style = Ask::CommunicationStyle {
            style: &wf.coordination,
            workflow: &wf.name.raw,
        };
        let help =
            "use `coordination: frontend`, or pass `--allow-backend-saga` to override the bundle";
        if let Some(refusal) = ctx.refusal(&saga, Some(at(ctx, pos)), Some(help)) {
            diags.push(refusal);
        }
        if let Some(refusal) = ctx.refusal(&style, Some(at(ctx, pos)), None) {
            diags.push(refusal);
        }
    }
}

/// One cycle per strongly connected component of `depends_on` (the shortest
/// through its first module), reported at the dependency that closes it with
/// the whole chain. Linear in the size of the graph, whatever its shape.
fn cycles(ctx: &Context, diags: &mut Diagnostics) {
    let index: BTreeMap<&str, usize> = ctx
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.raw.as_str(), i))
        .collect();
    let edges: Vec<Vec<(usize, Pos)>> = ctx
        .modules
        .iter()
        .map(|m| {
            m.depends_on
                .iter()
                .zip(&m.depends_on_pos)
                .filter_map(|(d, p)| index.get(d.raw.as_str()).map(|&i| (i, *p)))
                .filter(|(to, _)| ctx.modules[*to].name.raw != m.name.raw)
                .collect()
        })
        .collect();
    let forbid = ctx
        .config
        .get("module_rules")
        .and_then(|r| r.get("forbid_cycles"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    for (path, pos) in crate::graph::rings(&edges) {
        let chain: Vec<&str> = path
            .iter()
            .map(|&i| ctx.modules[i].name.raw.as_str())
            .collect();
        let message = format!("module dependency cycle: {}", chain.join(" -> "));
        let d = if forbid {
            Diagnostic::error("dependency-cycle", message)
        } else {
            Diagnostic::warning("dependency-cycle", message)
        };
        diags.push(d.at(at(ctx, pos)).with_help(
            "modules must not depend on each other in a cycle; move the shared part into its own module or talk through events",
        ));
    }
}

/// Events by name: the checks look one up per reference.
fn events_by_name(ctx: &Context) -> HashMap<&str, &Event> {
    ctx.events
        .iter()
        .map(|e| (e.name.raw.as_str(), e))
        .collect()
}

fn boundaries(ctx: &Context, diags: &mut Diagnostics) {
    let events = events_by_name(ctx);
    for m in &ctx.modules {
        for (dep, pos) in m.depends_on.iter().zip(&m.depends_on_pos) {
            if dep.raw == m.name.raw {
                diags.push(
                    Diagnostic::error(
                        "module-boundary",
                        format!("module `{}` depends on itself", m.name.raw),
                    )
                    .at(at(ctx, *pos)),
                );
            }
        }
        for op in &m.ops {
            for (event, pos) in op.emits.iter().zip(&op.emits_pos) {
                if let Some(e) = events.get(event.raw.as_str())
                    && e.entity_module != m.name.snake
                {
                    diags.push(
                        Diagnostic::warning(
                            "module-boundary",
                            format!(
                                "`{}` emits `{}`, an event about `{}` of module `{}`",
                                op.key, e.name.raw, e.entity.raw, e.entity_module
                            ),
                        )
                        .at(at(ctx, *pos))
                        .with_help(format!(
                            "let module `{}` publish its own events, or change the event's entity",
                            e.entity_module
                        )),
                    );
                }
            }
        }
        for (event, pos) in &m.declared_publishes {
            if let Some(e) = events.get(event.as_str())
                && e.entity_module != m.name.snake
            {
                diags.push(
                    Diagnostic::warning(
                        "module-boundary",
                        format!(
                            "module `{}` publishes `{}`, an event about `{}` of module `{}`",
                            m.name.raw, e.name.raw, e.entity.raw, e.entity_module
                        ),
                    )
                    .at(at(ctx, *pos)),
                );
            }
        }
    }
}

fn public_api(ctx: &Context, diags: &mut Diagnostics) {
    for e in ctx.declared_events() {
        if e.publishers.is_empty() {
            diags.push(
                Diagnostic::warning("event-never-published", format!("event `{}` is declared but no module publishes it", e.name.raw))
                    .at(at(ctx, e.pos))
                    .with_help(format!("add it to an op's `emits:` or a module's `publishes:` (`{}` belongs to module `{}`)", e.entity.raw, e.entity_module)),
            );
        }
    }
    let events = events_by_name(ctx);
    let published = |name: &str| events.get(name).is_some_and(|e| !e.publishers.is_empty());
    for m in &ctx.modules {
        for s in &m.subscribes {
            if !published(&s.event.raw) {
                diags.push(
                    Diagnostic::warning(
                        "subscription-never-published",
                        format!(
                            "module `{}` subscribes to `{}`, which no module publishes",
                            m.name.raw, s.event.raw
                        ),
                    )
                    .at(at(ctx, s.pos)),
                );
            }
        }
    }
    for r in &ctx.read_models {
        for (event, pos) in r.on.iter().zip(&r.on_pos) {
            if !published(&event.raw) {
                diags.push(
                    Diagnostic::warning(
                        "subscription-never-published",
                        format!(
                            "read model `{}` listens for `{}`, which no module publishes",
                            r.name.raw, event.raw
                        ),
                    )
                    .at(at(ctx, *pos)),
                );
            }
        }
    }
    for w in &ctx.workflows {
        if let Some(notify) = &w.on_success
            && !published(&notify.raw)
        {
            diags.push(
                Diagnostic::warning(
                    "subscription-never-published",
                    format!(
                        "workflow `{}` notifies `{}`, which no module publishes",
                        w.name.raw, notify.raw
                    ),
                )
                .at(at(ctx, w.pos)),
            );
        }
    }
}
