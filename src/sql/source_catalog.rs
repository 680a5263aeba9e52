//! Source columns from the target database's catalog, for sources whose `columns:` do not
//! all declare a `data_type`.
//!
//! - When the target database can be reached (DuckDB: the target's file exists; it is
//!   opened read-only and never created. Postgres: a connection with the target's
//!   profile, as `dbt compile` connects), the columns and types of every such source
//!   relation are read in one query (`duckdb_columns()`; Postgres' `pg_attribute` with
//!   `format_type`, the type as the database spells it), once per process and target,
//!   when analysis first needs a source's schema. Each process that reaches the database
//!   writes what it read to `<target-path>/.dbtc/source_columns.<target>.tsv`
//!   (`database schema table column type` lines), replacing the previous file; when the
//!   database cannot be reached, that file stands in for it. Compiling never needs the
//!   database: without both, sources stay opaque as before.
//! - Types are read as the target's dialect spells them: DuckDB's with the type parser,
//!   Postgres' through pg_catalog's types; a type neither knows is unknown.
//! - A relation the database does not have stays opaque (it may be created by the run).
//! - The database is read outside salsa's tracking: a watch session reads it once, and a
//!   table created or altered after that is seen by the next process.
//!
//! How declared columns merge with these is [`super::analysis::upstream::source_schema`]'s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::{Db, Project};
use crate::project::nodes::ResourceType;
use crate::project::profiles::Target;
use crate::sql::Dialect;
use crate::sql::schema::{Column, RelationSchema};

/// A source relation to look up: database (None: any), schema and table, lowercase.
pub type SourceRelation = (Option<String>, String, String);

/// The columns the database has for the source relations it was asked about.
#[derive(Debug, Default)]
pub struct SourceCatalog {
    /// (database, schema, table), lowercase -> columns in the table's order.
    relations: HashMap<(String, String, String), Arc<RelationSchema>>,
}

impl SourceCatalog {
    /// From `database schema table column type` lines (`#` lines are comments).
    pub fn parse(text: &str, dialect: Option<Dialect>) -> SourceCatalog {
        let mut relations: HashMap<(String, String, String), Vec<Column>> = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [database, schema, table, column, ty] = fields[..] else {
                continue;
            };
            relations
                .entry((
                    database.to_lowercase(),
                    schema.to_lowercase(),
                    table.to_lowercase(),
                ))
                .or_default()
                .push(Column {
                    name: column.to_string(),
                    ty: super::analysis::upstream::declared_type(ty, dialect),
                    lineage: Vec::new(),
                });
        }
        SourceCatalog {
            relations: relations
                .into_iter()
                .map(|(k, columns)| (k, Arc::new(RelationSchema { columns })))
                .collect(),
        }
    }

    /// A relation's columns; without a database, the one relation of that schema and name.
    pub fn lookup(
        &self,
        database: Option<&str>,
        schema: &str,
        table: &str,
    ) -> Option<Arc<RelationSchema>> {
        let (schema, table) = (schema.to_lowercase(), table.to_lowercase());
        if let Some(database) = database {
            return self
                .relations
                .get(&(database.to_lowercase(), schema, table))
                .cloned();
        }
        let mut found = self
            .relations
            .iter()
            .filter(|((_, s, t), _)| *s == schema && *t == table);
        match (found.next(), found.next()) {
            (Some((_, columns)), None) => Some(columns.clone()),
            _ => None,
        }
    }
}

/// The relations of the project's sources whose columns do not all have a `data_type`,
/// sorted.
#[salsa::tracked(returns(ref))]
pub fn untyped_sources(db: &dyn Db, project: Project) -> Vec<SourceRelation> {
    use crate::jinja::nodes::{all_nodes, node_info, node_relation};
    let mut out = Vec::new();
    for key in all_nodes(db, project) {
        let Some(node) = node_info(db, project, *key).as_ref() else {
            continue;
        };
        if node.resource_type != ResourceType::Source
            || super::analysis::upstream::declared_schema(&node.patch.columns, None).is_some()
        {
            continue;
        }
        let Some(rel) = node_relation(db, project, *key) else {
            continue;
        };
        if let (Some(schema), Some(table)) = (&rel.schema, &rel.identifier) {
            out.push((
                rel.database.as_ref().map(|d| d.to_lowercase()),
                schema.to_lowercase(),
                table.to_lowercase(),
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The catalog of `project`'s untyped sources on its active target: None when there are
/// none, the adapter is neither DuckDB nor Postgres, or neither the database nor the
/// cache could be read.
pub fn for_project(db: &dyn Db, project: Project) -> Option<Arc<SourceCatalog>> {
    let target = crate::jinja::nodes::active_target(db, project);
    let dialect = Dialect::for_adapter(&target.adapter_type)?;
    let relations = untyped_sources(db, project);
    if relations.is_empty() {
        return None;
    }
    let root = project.root(db).clone();
    let target_path = crate::project::config::target_path(db, project);
    let cache = cache_path(&root.join(target_path), &target.name);
    read_once(&root, &target, dialect, relations, cache)
}

/// What the compile stamp (`crate::artifacts::compile_cache`) must hash for these
/// columns: nothing when no yml file declares `sources:`; for DuckDB, the size and
/// modification time of the database file and its WAL, and the cache's text (cheaper
/// than finding the untyped sources, which the stamp's fast path must not parse for);
/// on Postgres, None (never stamp) when there are untyped sources: its tables change
/// without a trace dbtc could check cheaply.
pub fn stamp_input(db: &dyn Db, project: Project) -> Option<String> {
    let target = crate::jinja::nodes::active_target(db, project);
    let Some(dialect) = Dialect::for_adapter(&target.adapter_type) else {
        return Some(String::new());
    };
    let declares_sources = project.files(db).iter().any(|f| {
        let path = f.path(db);
        path.extension().is_some_and(|e| e == "yml" || e == "yaml")
            && f.text(db).contains("sources:")
    });
    if !declares_sources {
        return Some(String::new());
    }
    if dialect == Dialect::Postgres {
        return untyped_sources(db, project).is_empty().then(String::new);
    }
    let root = project.root(db);
    let mut out = String::new();
    if let Some(path) = crate::exec::duckdb::database_path(&target, root) {
        out.push_str(&crate::exec::duckdb::file_state(&path));
    }
    let target_path = crate::project::config::target_path(db, project);
    let cache = cache_path(&root.join(target_path), &target.name);
    out.push_str(&std::fs::read_to_string(cache).unwrap_or_default());
    Some(out)
}

/// Where a target's source columns are cached, under the target path.
pub fn cache_path(target_dir: &Path, target_name: &str) -> PathBuf {
    target_dir
        .join(".dbtc")
        .join(format!("source_columns.{target_name}.tsv"))
}

/// Each project and target's catalog, read once per process.
fn read_once(
    root: &Path,
    target: &Target,
    dialect: Dialect,
    relations: &[SourceRelation],
    cache: PathBuf,
) -> Option<Arc<SourceCatalog>> {
    static READ: crate::sql::db_read::ReadOnce<SourceCatalog> =
        crate::sql::db_read::ReadOnce::new();
    READ.get(
        root,
        target,
        &cache,
        || read_live(root, target, dialect, relations),
        |text| SourceCatalog::parse(text, Some(dialect)),
    )
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `(lower(schema) = 's' and lower(table) = 't') or ...` over `relations`.
fn relation_filter(relations: &[SourceRelation], schema: &str, table: &str) -> String {
    relations
        .iter()
        .map(|(_, s, t)| {
            format!(
                "(lower({schema}) = {} and lower({table}) = {})",
                literal(s),
                literal(t)
            )
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The query that lists `relations`' columns (database, schema, table, column, type)
/// in each table's column order.
pub fn columns_query(dialect: Dialect, relations: &[SourceRelation]) -> String {
    match dialect {
        Dialect::DuckDb => format!(
            "select database_name, schema_name, table_name, column_name, data_type \
             from duckdb_columns() where {} \
             order by database_name, schema_name, table_name, column_index",
            relation_filter(relations, "schema_name", "table_name")
        ),
        Dialect::Postgres => format!(
            "select current_database(), n.nspname, c.relname, a.attname, \
             format_type(a.atttypid, a.atttypmod) \
             from pg_catalog.pg_attribute a \
             join pg_catalog.pg_class c on c.oid = a.attrelid \
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             where a.attnum > 0 and not a.attisdropped \
             and c.relkind in ('r', 'v', 'm', 'f', 'p') and ({}) \
             order by n.nspname, c.relname, a.attnum",
            relation_filter(relations, "n.nspname", "c.relname")
        ),
    }
}

/// The columns of `relations` in the target database, as cache lines.
fn read_live(
    root: &Path,
    target: &Target,
    dialect: Dialect,
    relations: &[SourceRelation],
) -> Result<String, String> {
    let sql = columns_query(dialect, relations);
    let rows: Vec<Vec<String>> = match dialect {
        Dialect::DuckDb => read_duckdb(root, target, &sql)?,
        Dialect::Postgres => {
            use crate::exec::Adapter;
            let mut adapter = crate::exec::postgres::PostgresAdapter::open(target)?;
            adapter
                .query(&sql)?
                .rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .map(|v| match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect()
        }
    };
    let mut out = String::from("# source columns read from the target database (dbtc)\n");
    for row in rows {
        // Names with tabs or newlines cannot be written as a line: left out (opaque).
        if row.len() == 5 && row.iter().all(|f| !f.contains(['\t', '\n', '\r'])) {
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
    }
    Ok(out)
}

/// Runs `sql` on the target's DuckDB file, opened read-only; an error when the target is
/// in memory or its file does not exist (it is never created here).
fn read_duckdb(root: &Path, target: &Target, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let path = crate::exec::duckdb::database_path(target, root)
        .ok_or_else(|| "an in-memory database has no tables yet".to_string())?;
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let err = |e: duckdb::Error| e.to_string();
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .map_err(err)?;
    let conn = duckdb::Connection::open_with_flags(&path, config).map_err(err)?;
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            (0..5)
                .map(|i| r.get::<_, String>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::types::SqlType;

    #[test]
    fn parse_and_lookup() {
        let text = "# comment\n\
                    dev\traw\tOrders\tid\tINTEGER\n\
                    dev\traw\tOrders\tAmount\tDECIMAL(10,2)\n\
                    dev\traw\tbroken\n";
        let cat = SourceCatalog::parse(text, Some(Dialect::DuckDb));
        let orders = cat.lookup(Some("DEV"), "RAW", "orders").expect("orders");
        let names: Vec<&str> = orders.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "Amount"]);
        assert_eq!(orders.columns[0].ty, SqlType::parse("integer").unwrap());
        assert!(cat.lookup(None, "raw", "orders").is_some());
        assert!(cat.lookup(Some("other"), "raw", "orders").is_none());
        assert!(cat.lookup(None, "raw", "broken").is_none());
    }

    #[test]
    fn queries_quote_names() {
        let rels = vec![(None, "ra'w".to_string(), "t".to_string())];
        let q = columns_query(Dialect::Postgres, &rels);
        assert!(q.contains("lower(n.nspname) = 'ra''w'"), "{q}");
    }
}
