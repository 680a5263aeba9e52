//! What runs around a node's build, in dbt's materialization order: pre-hooks outside the
//! transaction, pre-hooks inside it, the contract check, the build, then (in the build's
//! transaction when the build offers one) `persist_docs` and the post-hooks inside it
//! (a `table` runs those hooks before its comments, as dbt-duckdb does), and last the
//! post-hooks outside the transaction.

use super::super::{Adapter, Relation};
use super::Inside;
use super::extras::Extras;
use super::hooks::run_hooks;

/// Why a node failed: its hooks did not render or its contract does not hold (dbt's
/// compilation errors), or the database refused a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Compilation(String),
    Runtime(String),
}

/// Runs `build` with the node's extras around it. `incremental`: the build writes into
/// the existing relation (the hooks rendered with `is_incremental()` true); `sql`: the
/// SQL the contract is checked against (None: no contract check, e.g. seeds and
/// snapshots); `table`: the relation is a table built by the `table` materialization.
pub fn around<T>(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    extras: &Extras,
    incremental: bool,
    sql: Option<&str>,
    table: bool,
    build: impl FnOnce(&mut dyn Adapter, &mut Inside<'_>) -> Result<T, String>,
) -> Result<T, Failure> {
    let hooks = extras
        .hooks_for(incremental)
        .map_err(Failure::Compilation)?;
    let mut ran = Vec::new();
    run_hooks(adapter, &hooks.pre, false, &mut ran).map_err(Failure::Runtime)?;
    run_hooks(adapter, &hooks.pre, true, &mut ran).map_err(Failure::Runtime)?;
    if let (Some(contract), Some(sql)) = (&extras.contract, sql) {
        contract.check(adapter, sql).map_err(|e| {
            // A database error while describing the query is not a contract failure.
            if e.starts_with("This model") || e.starts_with("Contracted models") {
                Failure::Compilation(e)
            } else {
                Failure::Runtime(e)
            }
        })?;
    }
    let mut inside = |adapter: &mut dyn Adapter| -> Result<(), String> {
        let mut ran = Vec::new();
        if table {
            run_hooks(adapter, &hooks.post, true, &mut ran)?;
        }
        if let Some(docs) = &extras.persist_docs {
            docs.apply(adapter, relation)?;
        }
        if !table {
            run_hooks(adapter, &hooks.post, true, &mut ran)?;
        }
        Ok(())
    };
    let built = build(adapter, &mut inside).map_err(Failure::Runtime)?;
    run_hooks(adapter, &hooks.post, false, &mut ran).map_err(Failure::Runtime)?;
    Ok(built)
}
