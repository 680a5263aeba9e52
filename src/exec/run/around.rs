//! What runs around a node's build, in dbt's materialization order: pre-hooks outside the
//! transaction; then, inside the build's transaction, the pre-hooks inside it and the
//! contract check (`before`), the build (which applies `grants`, except a `table`'s),
//! `persist_docs` and the post-hooks inside it (`after`; dbt's `table` materialization
//! runs those hooks first, then its grants, then its comments); last the post-hooks
//! outside the transaction. A failure inside the transaction rolls back
//! what `before` did, as in dbt, when the build runs `before` and `after` in its own
//! transaction (see `build_model`); other builds run them just before and after.

use std::cell::Cell;

use super::super::{Adapter, Column, QueryResult, Relation};
use super::Step;
use super::contract::Breach;
use super::extras::Extras;
use super::hooks::{Hook, LiveHook, run_hooks};
use crate::exec::transactional::grants::apply_grants;

/// Why a node failed: its hooks did not render or its contract does not hold (dbt's
/// compilation errors), or the database refused a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Compilation(String),
    Runtime(String),
}

/// How a build's hooks are chosen and rendered.
#[derive(Clone, Copy)]
pub struct HookRun<'a> {
    /// The build writes into the existing relation: the hooks rendered with
    /// `is_incremental()` true.
    pub incremental: bool,
    /// Renders the hooks that query the database, against the connection (None: such a
    /// hook fails).
    pub live: Option<&'a LiveHook<'a>>,
}

/// Runs `build` with the node's extras around it; `build` gets the `before` and `after`
/// steps to run inside its transaction. `hooking`: which hooks and how live ones render;
/// `sql`: the SQL
/// the contract is checked against (None: no contract check, e.g. seeds and snapshots);
/// `table`: the relation is built by the `table` materialization.
pub fn around<T>(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    extras: &Extras,
    hooking: HookRun<'_>,
    sql: Option<&str>,
    table: bool,
    build: impl FnOnce(&mut dyn Adapter, &mut Step<'_>, &mut Step<'_>) -> Result<T, String>,
) -> Result<T, Failure> {
    let incremental = hooking.incremental;
    let hooks = extras
        .hooks_for(incremental)
        .map_err(Failure::Compilation)?;
    let run = |adapter: &mut dyn Adapter, hooks: &[Hook], inside: bool| {
        run_hooks(adapter, hooks, inside, hooking.live, incremental)
    };
    run(adapter, &hooks.pre, false)?;
    // A contract that does not hold, or a hook that did not render, inside the
    // transaction: a compilation error.
    let compile_failed = Cell::new(false);
    let inside = |adapter: &mut dyn Adapter, hooks: &[Hook]| -> Result<(), String> {
        run(adapter, hooks, true).map_err(|f| match f {
            Failure::Compilation(e) => {
                compile_failed.set(true);
                e
            }
            Failure::Runtime(e) => e,
        })
    };
    let mut before = |adapter: &mut dyn Adapter| -> Result<(), String> {
        inside(adapter, &hooks.pre)?;
        if let (Some(contract), Some(sql)) = (&extras.contract, sql) {
            contract
                .check(adapter, sql)
                .map_err(|breach| match breach {
                    Breach::Contract(e) => {
                        compile_failed.set(true);
                        e
                    }
                    Breach::Database(e) | Breach::Unsupported(e) => e,
                })?;
        }
        Ok(())
    };
    let mut after = |adapter: &mut dyn Adapter| -> Result<(), String> {
        if table {
            inside(adapter, &hooks.post)?;
            // A replaced table starts without grants (copy_grants is false).
            apply_grants(adapter, relation, &extras.table_grants, false)?;
        }
        if let Some(docs) = &extras.persist_docs {
            docs.apply(adapter, relation)?;
        }
        if !table {
            inside(adapter, &hooks.post)?;
        }
        Ok(())
    };
    // On Postgres everything between the pre-hooks and the post-hooks outside the
    // transaction is one transaction, as in dbt: a failing post-hook (or grant, or
    // comment) rolls the build back to the previous relation. Without a transaction
    // after a pre-hook outside it (see `Extras::autocommit`).
    let one_transaction = adapter.transactional_ddl() && !extras.autocommit(adapter, incremental);
    let built = if one_transaction {
        adapter.begin().map_err(Failure::Runtime)?;
        let built = build(&mut InTransaction(adapter), &mut before, &mut after);
        match built {
            Ok(b) => adapter.commit().map(|()| b),
            Err(e) => {
                // A lost connection has rolled back already.
                let _ = adapter.rollback();
                Err(e)
            }
        }
    } else {
        build(adapter, &mut before, &mut after)
    };
    let built = built.map_err(|e| {
        if compile_failed.get() {
            Failure::Compilation(e)
        } else {
            Failure::Runtime(e)
        }
    })?;
    run(adapter, &hooks.post, false)?;
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

/// The connection inside the transaction [`around`] opened: the build's own BEGIN,
/// COMMIT and ROLLBACK do nothing (the outer transaction commits or rolls back all of
/// it); everything else goes to the connection.
struct InTransaction<'a>(&'a mut dyn Adapter);

impl Adapter for InTransaction<'_> {
    fn adapter_type(&self) -> &'static str {
        self.0.adapter_type()
    }
    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.0.execute(sql)
    }
    fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        self.0.query(sql)
    }
    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String> {
        self.0.relation_kind(relation)
    }
    fn relation_exists(&mut self, relation: &Relation) -> Result<bool, String> {
        self.0.relation_exists(relation)
    }
    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String> {
        self.0.columns(relation)
    }
    fn quote(&self, identifier: &str) -> String {
        self.0.quote(identifier)
    }
    fn render_relation(&self, relation: &Relation) -> String {
        self.0.render_relation(relation)
    }
    fn begin(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn commit(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn rollback(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn transactional_ddl(&self) -> bool {
        self.0.transactional_ddl()
    }
    fn drop_cascade(&self) -> &'static str {
        self.0.drop_cascade()
    }
    fn temp_columns(&mut self, name: &str) -> Result<Vec<Column>, String> {
        self.0.temp_columns(name)
    }
    fn seed_type(&self, inferred: &str) -> String {
        self.0.seed_type(inferred)
    }
}
