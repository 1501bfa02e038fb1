//! Synthetic workloads for benchmarks: a context of `modules` modules, each
//! with 4 aggregates, 5 operations and 5 events, subscribing to its
//! neighbour's events, plus `workflows` three-step workflows across modules.
//! Written as an ordinary `*.bc.yaml`, so anyone can rerun the numbers.

use std::fmt::Write as _;

pub const AGGREGATES: usize = 4;
pub const OPERATIONS: [&str; 5] = ["open", "amend", "approve", "close", "archive"];
/// The event each operation emits.
pub const EVENTS: [&str; 5] = ["opened", "amended", "approved", "closed", "archived"];

/// The spec text of a context named `name`.
pub fn spec(name: &str, modules: usize, workflows: usize) -> String {
    let mut out = String::new();
    let module = |m: usize| format!("unit{m:04}");
    let aggregate = |m: usize, a: usize| format!("Record{m:04}x{a}");
    writeln!(out, "parasol: 1").unwrap();
    writeln!(out, "bounded_context:").unwrap();
    writeln!(out, "  name: {name}").unwrap();
    writeln!(
        out,
        "  description: A synthetic context of {modules} modules."
    )
    .unwrap();
    writeln!(out, "  modules:").unwrap();
    for m in 0..modules {
        writeln!(out, "    {}:", module(m)).unwrap();
        writeln!(out, "      description: Synthetic module {m}.").unwrap();
        writeln!(out, "      aggregates:").unwrap();
        for a in 0..AGGREGATES {
            writeln!(out, "        {}:", aggregate(m, a)).unwrap();
            writeln!(out, "          fields:").unwrap();
            writeln!(out, "            title: string").unwrap();
            writeln!(out, "            amount: int").unwrap();
            writeln!(out, "            active: bool").unwrap();
            writeln!(out, "            tags: list<string>").unwrap();
            writeln!(out, "            stage: {{ enum: [draft, live, done] }}").unwrap();
            writeln!(out, "            note: string?").unwrap();
        }
        writeln!(out, "      api:").unwrap();
        for (op, event) in OPERATIONS.iter().zip(EVENTS) {
            writeln!(out, "        {op}:").unwrap();
            writeln!(
                out,
                "          input: {{ recordId: string, amount: int, reason: string? }}"
            )
            .unwrap();
            writeln!(out, "          output: {{ accepted: bool }}").unwrap();
            writeln!(out, "          emits: [{}.{event}]", module(m)).unwrap();
        }
        if m > 0 {
            writeln!(out, "      subscribes: [{}.opened]", module(m - 1)).unwrap();
            writeln!(out, "      depends_on: [{}]", module(m - 1)).unwrap();
        }
    }
    writeln!(out, "  events:").unwrap();
    for m in 0..modules {
        for event in EVENTS {
            writeln!(out, "    {}.{event}:", module(m)).unwrap();
            writeln!(out, "      entity: {}", aggregate(m, 0)).unwrap();
            writeln!(out, "      metadata: {{ recordId: string, amount: int }}").unwrap();
        }
    }
    if workflows > 0 && modules > 0 {
        writeln!(out, "  workflows:").unwrap();
        for w in 0..workflows {
            writeln!(out, "    Flow{w:03}:").unwrap();
            writeln!(out, "      input: {{ recordId: string, amount: int }}").unwrap();
            writeln!(out, "      steps:").unwrap();
            for s in 0..3 {
                let m = (w * 3 + s) % modules;
                writeln!(out, "        - name: step{s}").unwrap();
                writeln!(out, "          call: {}.open", module(m)).unwrap();
                writeln!(out, "          compensate: {}.archive", module(m)).unwrap();
            }
        }
    }
    out
}
