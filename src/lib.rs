//! dbtc: an open-source, incremental Rust engine for dbt projects.
//!
//! Every stage is a salsa query (see `DESIGN.md` in the shared folder and the README):
//! files and settings are inputs; project config, node discovery, config resolution,
//! parse-time and compile-time renders, and the DAG are tracked functions.

pub mod artifacts;
pub mod bench;
pub mod cli;
pub mod compile;
pub mod db;
pub mod diagnostics;
pub mod exec;
pub mod generate;
pub mod graph;
pub mod jinja;
pub mod macro_users;
pub mod project;
pub mod recompile;
pub mod sql;
pub mod watch;
