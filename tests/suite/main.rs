//! parasol's own integration tests, in one binary: one link and one copy
//! of `support`. The tests that build and run generated code with the Rust
//! and Node toolchains (`generated`, `compile`, `evolution`, `e2e`,
//! `patterns`, `diagrams`) are binaries of their own.
//!
//! Run one part with a filter: `cargo test --test suite cli::`.

#[path = "../support/mod.rs"]
mod support;

mod architecture;
mod cli;
mod communication;
mod communication_tests;
mod errors;
mod fuzz;
mod incremental;
mod mesh;
mod migrations;
mod monitoring;
mod regeneration;
mod safety;
mod snapshots;
mod untrusted;
