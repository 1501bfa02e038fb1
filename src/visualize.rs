//! Diagrams of a context: module dependencies, who publishes and who
//! subscribes to each event, each module's API, and each workflow's steps
//! with their compensations. Mermaid (in Markdown that renders on GitHub)
//! or Graphviz dot. Node ids are derived from validated names, labels are
//! quoted and escaped, so any spec renders.

use std::fmt::Write as _;

use crate::model::{Context, Field, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Dependencies,
    Events,
    Apis,
    Workflows,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::Dependencies,
        Part::Events,
        Part::Apis,
        Part::Workflows,
    ];

    fn title(self) -> &'static str {
        match self {
            Part::Dependencies => "Module dependencies",
            Part::Events => "Events",
            Part::Apis => "APIs",
            Part::Workflows => "Workflows",
        }
    }
}

fn label(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn sig(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name.raw.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One Mermaid diagram (without fences).
pub fn mermaid(ctx: &Context, part: Part) -> String {
    let mut out = String::new();
    match part {
        Part::Dependencies => {
            out.push_str("flowchart LR\n");
            for m in &ctx.modules {
                let _ = writeln!(out, "    m_{}[\"{}\"]", m.name.snake, label(&m.name.raw));
            }
            for m in &ctx.modules {
                for d in &m.depends_on {
                    let _ = writeln!(out, "    m_{} --> m_{}", m.name.snake, d.snake);
                }
            }
        }
        Part::Events => {
            out.push_str("flowchart LR\n");
            for m in &ctx.modules {
                let _ = writeln!(out, "    m_{}[\"{}\"]", m.name.snake, label(&m.name.raw));
            }
            for e in ctx.declared_events() {
                let _ = writeln!(out, "    e_{}([\"{}\"])", e.name.snake, label(&e.name.raw));
            }
            for e in ctx.declared_events() {
                for p in &e.publishers {
                    let _ = writeln!(out, "    m_{p} -- publishes --> e_{}", e.name.snake);
                }
                for s in &e.subscribers {
                    let _ = writeln!(out, "    e_{} -. subscribes .-> m_{s}", e.name.snake);
                }
            }
            for r in &ctx.read_models {
                let _ = writeln!(out, "    v_{}[(\"{}\")]", r.name.snake, label(&r.name.raw));
                for e in &r.on {
                    let _ = writeln!(out, "    e_{} -. projects .-> v_{}", e.snake, r.name.snake);
                }
            }
        }
        Part::Apis => {
            out.push_str("flowchart TB\n");
            for m in &ctx.modules {
                let _ = writeln!(
                    out,
                    "    subgraph m_{}[\"{}\"]",
                    m.name.snake,
                    label(&m.name.raw)
                );
                for a in &m.aggregates {
                    let _ = writeln!(
                        out,
                        "        a_{}_{}[(\"{} · {}\")]",
                        m.name.snake,
                        a.name.snake,
                        label(&a.name.raw),
                        label(&a.route)
                    );
                }
                for o in &m.ops {
                    let out_part = if o.output.is_empty() {
                        String::new()
                    } else {
                        format!(" → {}", sig(&o.output))
                    };
                    let _ = writeln!(
                        out,
                        "        o_{}_{}[\"{}({}){}\"]",
                        m.name.snake,
                        o.name.snake,
                        label(&o.name.raw),
                        label(&sig(&o.input)),
                        label(&out_part)
                    );
                }
                if m.aggregates.is_empty() && m.ops.is_empty() {
                    let _ = writeln!(out, "        m_{}_empty[\"(no API)\"]", m.name.snake);
                }
                out.push_str("    end\n");
            }
        }
        Part::Workflows => {
            out.push_str("flowchart TD\n");
            for w in &ctx.workflows {
                let wid = format!("w_{}", w.name.snake);
                let _ = writeln!(
                    out,
                    "    subgraph {wid}[\"{} · {} · {}\"]",
                    label(&w.name.raw),
                    label(&w.coordination),
                    label(&w.compensation)
                );
                let _ = writeln!(out, "        {wid}_start([\"start\"])");
                let mut previous = format!("{wid}_start");
                for (i, s) in w.steps.iter().enumerate() {
                    let id = format!("{wid}_s{i}");
                    let _ = writeln!(
                        out,
                        "        {id}[\"{}<br/>{}\"]",
                        label(&s.name.raw),
                        label(&s.call.key)
                    );
                    let _ = writeln!(out, "        {previous} --> {id}");
                    if let Some(c) = &s.compensate {
                        let _ = writeln!(out, "        {id}_undo[\"{}\"]", label(&c.call.key));
                        let _ = writeln!(out, "        {id} -. on failure .-> {id}_undo");
                    }
                    previous = id;
                }
                let done = match &w.on_success {
                    Some(e) => format!("done: {}", e.raw),
                    None => "done".into(),
                };
                let _ = writeln!(out, "        {wid}_done([\"{}\"])", label(&done));
                let _ = writeln!(out, "        {previous} --> {wid}_done");
                out.push_str("    end\n");
            }
            if ctx.workflows.is_empty() {
                out.push_str("    none[\"no workflows\"]\n");
            }
        }
    }
    out
}

/// The diagrams as a Markdown page body (no title): one section per part.
pub fn markdown(ctx: &Context, parts: &[Part]) -> String {
    let mut out = String::new();
    for (i, &part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "## {}\n", part.title());
        let _ = writeln!(out, "```mermaid\n{}```", mermaid(ctx, part));
        if part == Part::Workflows {
            for w in &ctx.workflows {
                let _ = writeln!(out, "\n### {}\n", w.name.raw);
                let _ = writeln!(
                    out,
                    "Coordination `{}`, compensation `{}`, state sync `{}`. Steps run in order; when one fails, the compensations of the steps that completed run in reverse order.\n",
                    w.coordination, w.compensation, w.state_sync
                );
                out.push_str("| step | calls | inputs | compensation |\n|---|---|---|---|\n");
                for s in &w.steps {
                    let inputs: Vec<String> = s
                        .bindings
                        .iter()
                        .map(|b| format!("{} ← {}", b.field.raw, source_text(&b.source)))
                        .collect();
                    let comp = s
                        .compensate
                        .as_ref()
                        .map_or("—".to_string(), |c| format!("`{}`", c.call.key));
                    let _ = writeln!(
                        out,
                        "| `{}` | `{}` | {} | {} |",
                        s.name.raw,
                        s.call.key,
                        inputs.join(", "),
                        comp
                    );
                }
            }
        }
    }
    out
}

pub fn source_text(source: &Source) -> String {
    match source {
        Source::Input { field } => format!("input.{}", field.raw),
        Source::Step { step, field } => format!("steps.{}.{}", step.raw, field.raw),
        Source::Own { field } => format!("output.{}", field.raw),
        Source::WorkflowId => "workflow.id".into(),
        Source::Literal { json } => json.replace('|', "\\|"),
        Source::Absent => "(not set)".into(),
    }
}

/// Graphviz dot for the chosen parts, one cluster each.
pub fn dot(ctx: &Context, parts: &[Part]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", q(&ctx.name.raw));
    out.push_str("    rankdir=LR;\n    node [shape=box, fontname=\"Helvetica\"];\n");
    for &part in parts {
        let _ = writeln!(out, "    subgraph cluster_{:?} {{", part);
        let _ = writeln!(out, "        label={};", q(part.title()));
        let prefix = format!("{:?}", part).to_lowercase();
        match part {
            Part::Dependencies => {
                for m in &ctx.modules {
                    let _ = writeln!(
                        out,
                        "        {prefix}_{} [label={}];",
                        m.name.snake,
                        q(&m.name.raw)
                    );
                    for d in &m.depends_on {
                        let _ = writeln!(
                            out,
                            "        {prefix}_{} -> {prefix}_{};",
                            m.name.snake, d.snake
                        );
                    }
                }
            }
            Part::Events => {
                for m in &ctx.modules {
                    let _ = writeln!(
                        out,
                        "        {prefix}_m_{} [label={}];",
                        m.name.snake,
                        q(&m.name.raw)
                    );
                }
                for e in ctx.declared_events() {
                    let _ = writeln!(
                        out,
                        "        {prefix}_e_{} [label={}, shape=ellipse];",
                        e.name.snake,
                        q(&e.name.raw)
                    );
                    for p in &e.publishers {
                        let _ = writeln!(
                            out,
                            "        {prefix}_m_{p} -> {prefix}_e_{} [label=\"publishes\"];",
                            e.name.snake
                        );
                    }
                    for s in &e.subscribers {
                        let _ = writeln!(
                            out,
                            "        {prefix}_e_{} -> {prefix}_m_{s} [label=\"subscribes\", style=dashed];",
                            e.name.snake
                        );
                    }
                }
            }
            Part::Apis => {
                for m in &ctx.modules {
                    let _ = writeln!(
                        out,
                        "        {prefix}_{} [label={}];",
                        m.name.snake,
                        q(&m.name.raw)
                    );
                    for o in &m.ops {
                        let _ = writeln!(
                            out,
                            "        {prefix}_{}_{} [label={}, shape=note];",
                            m.name.snake,
                            o.name.snake,
                            q(&format!("{}({})", o.name.raw, sig(&o.input)))
                        );
                        let _ = writeln!(
                            out,
                            "        {prefix}_{} -> {prefix}_{}_{};",
                            m.name.snake, m.name.snake, o.name.snake
                        );
                    }
                }
            }
            Part::Workflows => {
                for w in &ctx.workflows {
                    let mut previous: Option<String> = None;
                    for (i, s) in w.steps.iter().enumerate() {
                        let id = format!("{prefix}_{}_{i}", w.name.snake);
                        let _ = writeln!(
                            out,
                            "        {id} [label={}];",
                            q(&format!("{}\\n{}", s.name.raw, s.call.key))
                        );
                        if let Some(p) = &previous {
                            let _ = writeln!(out, "        {p} -> {id};");
                        }
                        if let Some(c) = &s.compensate {
                            let _ = writeln!(
                                out,
                                "        {id}_undo [label={}, style=dashed];",
                                q(&c.call.key)
                            );
                            let _ = writeln!(
                                out,
                                "        {id} -> {id}_undo [style=dashed, label=\"on failure\"];"
                            );
                        }
                        previous = Some(id);
                    }
                }
            }
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}
