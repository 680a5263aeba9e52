//! Building models the way dbt-duckdb's materializations do: `view` and `table` (and an
//! `incremental` model's first build or full refresh, which is a table; its other runs are
//! in `incremental`). Each build goes into a
//! `<alias>__dbt_tmp` relation that replaces the old one, inside a transaction, only when
//! the build succeeded, so a failing model leaves its previous relation intact.

pub mod around;
pub mod contract;
pub mod extras;
pub mod hooks;
pub mod incremental;
pub mod node_render;
pub mod persist_docs;
pub mod snapshot;

use super::transactional::{PostBuild, grants, indexes};
use super::{Adapter, Relation};
use contract::Contract;

/// The materializations `dbtc run` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialization {
    View,
    Table,
    Incremental,
}

impl Materialization {
    pub fn parse(name: &str) -> Option<Materialization> {
        match name {
            "view" => Some(Materialization::View),
            "table" => Some(Materialization::Table),
            "incremental" => Some(Materialization::Incremental),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Materialization::View => "view",
            Materialization::Table => "table",
            Materialization::Incremental => "incremental",
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// Built: the adapter's status (`OK`) and the statement that created the relation
    /// (written to target/run).
    Built { status: String, sql: String },
    /// Not built, with the reason (e.g. an incremental model that already exists).
    Skipped(String),
}

fn drop_sql(adapter: &dyn Adapter, kind: Option<&str>, rel: &Relation) -> Option<String> {
    let rendered = adapter.render_relation(rel);
    let cascade = adapter.drop_cascade();
    match kind? {
        "view" => Some(format!("DROP VIEW IF EXISTS {rendered}{cascade}")),
        _ => Some(format!("DROP TABLE IF EXISTS {rendered}{cascade}")),
    }
}

/// A step run inside a build's transaction (hooks, contract check, persist_docs); its
/// failure undoes the build.
pub type Step<'a> = dyn FnMut(&mut dyn Adapter) -> Result<(), String> + 'a;

/// Builds one model's relation from its compiled SQL; a table with an enforced
/// `contract` is created with the declared columns and constraints, then filled. `post`:
/// the model's `indexes` (tables) and `grants`, applied in the build's transaction
/// (dbt-postgres indexes the new table before renaming it into place, dbt-duckdb after;
/// grants are no-ops on DuckDB, as in dbt-duckdb).
/// In one transaction: `before`, the create, the swap, `after` (on an adapter whose
/// builds are transactional, `transactional` builds in its own transaction, between
/// `before` and `after`). Without `transaction` (dbt-postgres after a pre-hook outside
/// the transaction, see `Extras::autocommit`) each statement stands alone.
#[expect(
    clippy::too_many_arguments,
    reason = "the build's inputs and the steps dbt runs inside its transaction"
)]
pub fn build_model(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    materialization: Materialization,
    sql: &str,
    contract: Option<&Contract>,
    post: &PostBuild,
    transaction: bool,
    before: &mut Step<'_>,
    after: &mut Step<'_>,
) -> Result<BuildOutcome, String> {
    // An incremental model comes here for its first build or a full refresh (see
    // `incremental` for the other runs): built as a table.
    let existing = adapter.relation_kind(relation)?;
    let contract = contract.filter(|_| materialization != Materialization::View);
    if adapter.transactional_ddl() && contract.is_none() {
        return around::in_sequence(adapter, before, after, |adapter| {
            super::transactional::build_model_with(
                adapter,
                relation,
                existing.as_deref(),
                materialization,
                sql,
                post,
            )
        });
    }
    let tmp = Relation {
        identifier: format!("{}__dbt_tmp", relation.identifier),
        ..relation.clone()
    };
    let tmp_sql = adapter.render_relation(&tmp);
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&relation.schema)
    ))?;
    // Leftovers of an interrupted build.
    let leftover = adapter.relation_kind(&tmp)?;
    if let Some(drop) = drop_sql(adapter, leftover.as_deref(), &tmp) {
        adapter.execute(&drop)?;
    }
    let (create, tmp_kind) = match (materialization, contract) {
        (Materialization::View, _) => (format!("CREATE VIEW {tmp_sql} AS (\n{sql}\n)"), "view"),
        (_, Some(contract)) => (contract.create_table_sql(adapter, &tmp_sql, sql), "table"),
        _ => (format!("CREATE TABLE {tmp_sql} AS (\n{sql}\n)"), "table"),
    };
    // Build, then drop the old relation and rename the new one, in one transaction.
    if transaction {
        adapter.begin()?;
    }
    let table = tmp_kind == "table";
    let index_before_rename = adapter.adapter_type() == "postgres";
    let swapped = (|| -> Result<(), String> {
        before(adapter)?;
        adapter.execute(&create)?;
        if table && index_before_rename {
            indexes::create_indexes(adapter, &tmp, &post.indexes)?;
        }
        if let Some(drop) = drop_sql(adapter, existing.as_deref(), relation) {
            adapter.execute(&drop)?;
        }
        let alter = if table { "TABLE" } else { "VIEW" };
        adapter.execute(&format!(
            "ALTER {alter} {tmp_sql} RENAME TO {}",
            adapter.quote(&relation.identifier)
        ))?;
        if table && !index_before_rename {
            indexes::create_indexes(adapter, relation, &post.indexes)?;
        }
        // The new relation starts without grants (copy_grants is false).
        grants::apply_grants(adapter, relation, &post.grants, false)?;
        after(adapter)
    })();
    match swapped {
        Ok(()) if transaction => adapter.commit()?,
        Ok(()) => {}
        Err(e) => {
            if transaction {
                let _ = adapter.rollback();
            }
            if let Some(drop) = drop_sql(adapter, Some(tmp_kind), &tmp) {
                let _ = adapter.execute(&drop);
            }
            return Err(e);
        }
    }
    Ok(BuildOutcome::Built {
        status: "OK".into(),
        sql: create,
    })
}

/// Before an incremental run on DuckDB: libduckdb 1.5 checks a unique index read back from
/// the database file too eagerly, so a transaction that deletes a key and inserts it again
/// (`delete+insert`, `merge`) fails with "Duplicate key" unless a statement used the index
/// first (DuckDB 2, which dbt-duckdb 1.11 runs on, does not need this). An insert of no
/// rows, rolled back, loads the table's indexes; it changes nothing, and its failure is
/// left to the build itself to report.
pub fn load_duckdb_indexes(adapter: &mut dyn Adapter, relation: &Relation) {
    if adapter.adapter_type() != "duckdb" {
        return;
    }
    let target = adapter.render_relation(relation);
    if adapter.begin().is_ok() {
        let _ = adapter.execute(&format!(
            "insert into {target} select * from {target} where false"
        ));
        let _ = adapter.rollback();
    }
}

/// `ids` in DAG order (parents first; ties in the given order). Parents outside `ids`
/// are ignored; nodes in a cycle come last in the given order.
pub fn dag_order(ids: &[String], parents: &indexmap::IndexMap<String, Vec<String>>) -> Vec<String> {
    let set: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut done: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    loop {
        let before = out.len();
        for id in ids {
            if done.contains(id) {
                continue;
            }
            let ready = parents.get(id).is_none_or(|ps| {
                ps.iter()
                    .all(|p| !set.contains(p.as_str()) || done.contains(p) || p == id)
            });
            if ready {
                done.insert(id.clone());
                out.push(id.clone());
            }
        }
        if out.len() == ids.len() {
            return out;
        }
        if out.len() == before {
            out.extend(ids.iter().filter(|i| !done.contains(*i)).cloned());
            return out;
        }
    }
}

/// Ends a build that ran in a transaction and left a scratch table (`scratch`): commit and
/// drop it when `built` succeeded (its SQL is what target/run shows), else roll back (the
/// old relation stays as it was) and drop it.
pub(crate) fn finish_transaction(
    adapter: &mut dyn Adapter,
    built: Result<String, String>,
    scratch: &str,
) -> Result<BuildOutcome, String> {
    match built {
        Ok(main) => {
            adapter.commit()?;
            adapter.execute(&format!("drop table if exists {scratch}"))?;
            Ok(BuildOutcome::Built {
                status: "OK".into(),
                sql: main,
            })
        }
        Err(e) => {
            let _ = adapter.rollback();
            let _ = adapter.execute(&format!("drop table if exists {scratch}"));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn parents_first() {
        let mut parents = IndexMap::new();
        parents.insert("c".to_string(), vec!["b".to_string()]);
        parents.insert("b".to_string(), vec!["a".to_string(), "x".to_string()]);
        parents.insert("a".to_string(), vec![]);
        let ids = vec!["c".to_string(), "b".to_string(), "a".to_string()];
        assert_eq!(dag_order(&ids, &parents), ["a", "b", "c"]);
    }
}
