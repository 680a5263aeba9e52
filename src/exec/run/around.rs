//! What runs around a node's build, in dbt's materialization order: pre-hooks outside the
//! transaction; then, inside the build's transaction, the pre-hooks inside it and the
//! contract check (`before`), the build (which applies `grants`, except a `table`'s),
//! `persist_docs` and the post-hooks inside it (`after`; dbt's `table` materialization
//! runs those hooks first, then its grants, then its comments); last the post-hooks
//! outside the transaction. A failure inside the transaction rolls back
//! what `before` did, as in dbt, when the build runs `before` and `after` in its own
//! transaction (see `build_model`); other builds run them just before and after.

use std::cell::Cell;

use super::super::{Adapter, Relation};
use super::Step;
use super::contract::Breach;
use super::extras::Extras;
use super::hooks::run_hooks;
use crate::exec::transactional::grants::apply_grants;

/// Why a node failed: its hooks did not render or its contract does not hold (dbt's
/// compilation errors), or the database refused a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Compilation(String),
    Runtime(String),
}

/// Runs `build` with the node's extras around it; `build` gets the `before` and `after`
/// steps to run inside its transaction. `incremental`: the build writes into the
/// existing relation (the hooks rendered with `is_incremental()` true); `sql`: the SQL
/// the contract is checked against (None: no contract check, e.g. seeds and snapshots);
/// `table`: the relation is built by the `table` materialization.
pub fn around<T>(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    extras: &Extras,
    incremental: bool,
    sql: Option<&str>,
    table: bool,
    build: impl FnOnce(&mut dyn Adapter, &mut Step<'_>, &mut Step<'_>) -> Result<T, String>,
) -> Result<T, Failure> {
    let hooks = extras
        .hooks_for(incremental)
        .map_err(Failure::Compilation)?;
    run_hooks(adapter, &hooks.pre, false).map_err(Failure::Runtime)?;
    let contract_failed = Cell::new(false);
    let mut before = |adapter: &mut dyn Adapter| -> Result<(), String> {
        run_hooks(adapter, &hooks.pre, true)?;
        if let (Some(contract), Some(sql)) = (&extras.contract, sql) {
            contract
                .check(adapter, sql)
                .map_err(|breach| match breach {
                    Breach::Contract(e) => {
                        contract_failed.set(true);
                        e
                    }
                    Breach::Database(e) | Breach::Unsupported(e) => e,
                })?;
        }
        Ok(())
    };
    let mut after = |adapter: &mut dyn Adapter| -> Result<(), String> {
        if table {
            run_hooks(adapter, &hooks.post, true)?;
            // A replaced table starts without grants (copy_grants is false).
            apply_grants(adapter, relation, &extras.table_grants, false)?;
        }
        if let Some(docs) = &extras.persist_docs {
            docs.apply(adapter, relation)?;
        }
        if !table {
            run_hooks(adapter, &hooks.post, true)?;
        }
        Ok(())
    };
    let built = build(adapter, &mut before, &mut after).map_err(|e| {
        if contract_failed.get() {
            Failure::Compilation(e)
        } else {
            Failure::Runtime(e)
        }
    })?;
    run_hooks(adapter, &hooks.post, false).map_err(Failure::Runtime)?;
    Ok(built)
}

/// A build that manages its own transaction: `before`, the build, `after`.
pub fn in_sequence<T>(
    adapter: &mut dyn Adapter,
    before: &mut Step<'_>,
    after: &mut Step<'_>,
    build: impl FnOnce(&mut dyn Adapter) -> Result<T, String>,
) -> Result<T, String> {
    before(adapter)?;
    let built = build(adapter)?;
    after(adapter)?;
    Ok(built)
}
