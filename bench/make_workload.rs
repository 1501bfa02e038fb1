//! Writes a benchmark workload spec:
//! `cargo run --release --example make-workload -- MODULES WORKFLOWS FILE`
//! (W2: 100 modules, 10 workflows; W3: 1000 modules, 10 workflows).

#[path = "workload.rs"]
mod workload;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [modules, workflows, file] = args.as_slice() else {
        eprintln!("usage: make-workload MODULES WORKFLOWS FILE");
        std::process::exit(2);
    };
    let modules: usize = modules.parse().expect("MODULES is a number");
    let workflows: usize = workflows.parse().expect("WORKFLOWS is a number");
    let name = format!("Synthetic{modules}");
    std::fs::write(file, workload::spec(&name, modules, workflows)).expect("the spec is written");
}
