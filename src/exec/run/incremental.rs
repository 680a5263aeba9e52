//! dbt-duckdb's `incremental` materialization for a run where the model's table exists
//! (and no full refresh is asked): the model's SQL (rendered with `is_incremental()` true)
//! goes into a temporary table, `on_schema_change` reconciles the target's columns, then
//! the strategy (`append`, `delete+insert`, `merge`; dbt-duckdb's default is
//! `delete+insert`) writes into the target, all in one transaction, so a failure leaves
//! the table as it was.

use serde_json::{Map, Value};

use super::{BuildOutcome, finish_transaction};
use crate::exec::{Adapter, Column, Relation};

/// `unique_key`: none, one expression (used as written), or a list of columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UniqueKey {
    None,
    One(String),
    Many(Vec<String>),
}

/// `on_schema_change` (dbt falls back to `ignore` for unknown values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSchemaChange {
    Ignore,
    AppendNewColumns,
    SyncAllColumns,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Append,
    DeleteInsert,
    Merge,
}

/// The configs the incremental materialization reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalConfig {
    pub strategy: Strategy,
    pub unique_key: UniqueKey,
    pub on_schema_change: OnSchemaChange,
    /// `incremental_predicates` (or the older `predicates`).
    pub predicates: Vec<String>,
    /// `merge_update_condition`, `merge_insert_condition`.
    pub update_condition: Option<String>,
    pub insert_condition: Option<String>,
    /// `merge_update_columns` / `merge_exclude_columns`.
    pub update_columns: Vec<String>,
    pub exclude_columns: Vec<String>,
    /// The `full_refresh` config (wins over the `--full-refresh` flag).
    pub full_refresh: Option<bool>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl IncrementalConfig {
    /// Reads a model's resolved config; errors as dbt reports them (unknown strategy,
    /// merge features dbtc does not implement).
    pub fn from_config(config: &Map<String, Value>) -> Result<IncrementalConfig, String> {
        let text = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_string);
        let strategy = match text("incremental_strategy").as_deref() {
            None | Some("default") | Some("delete+insert") => Strategy::DeleteInsert,
            Some("append") => Strategy::Append,
            Some("merge") => Strategy::Merge,
            Some(other) => {
                return Err(format!(
                    "Invalid incremental strategy provided: {other}\n    Expected one of: 'append', 'delete+insert', 'merge' (dbtc does not run 'microbatch' or 'insert_overwrite' yet)"
                ));
            }
        };
        let unique_key = match config.get("unique_key") {
            Some(Value::String(s)) if !s.is_empty() => UniqueKey::One(s.clone()),
            Some(Value::Array(items)) if !items.is_empty() => UniqueKey::Many(
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect(),
            ),
            _ => UniqueKey::None,
        };
        let on_schema_change = match text("on_schema_change").as_deref() {
            Some("append_new_columns") => OnSchemaChange::AppendNewColumns,
            Some("sync_all_columns") => OnSchemaChange::SyncAllColumns,
            Some("fail") => OnSchemaChange::Fail,
            _ => OnSchemaChange::Ignore,
        };
        for unsupported in [
            "merge_clauses",
            "merge_on_using_columns",
            "merge_update_set_expressions",
            "merge_returning_columns",
        ] {
            let set = match config.get(unsupported) {
                None | Some(Value::Null) => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(Value::Object(o)) => !o.is_empty(),
                Some(_) => true,
            };
            if set && strategy == Strategy::Merge {
                return Err(format!("`{unsupported}` is not supported by dbtc yet"));
            }
        }
        let mut predicates = strings(config.get("predicates"));
        if predicates.is_empty() {
            predicates = strings(config.get("incremental_predicates"));
        }
        let update_columns = strings(config.get("merge_update_columns"));
        let exclude_columns = strings(config.get("merge_exclude_columns"));
        if !update_columns.is_empty() && !exclude_columns.is_empty() {
            return Err("Model cannot specify merge_update_columns and merge_exclude_columns. Please update model to use only one config".into());
        }
        Ok(IncrementalConfig {
            strategy,
            unique_key,
            on_schema_change,
            predicates,
            update_condition: text("merge_update_condition"),
            insert_condition: text("merge_insert_condition"),
            update_columns,
            exclude_columns,
            full_refresh: config.get("full_refresh").and_then(Value::as_bool),
        })
    }
}

/// A column's type as dbt compares them: strings are `character varying(256)` whatever
/// their declared length (dbt's `Column.data_type` without a size).
fn dbt_type(c: &Column) -> String {
    let lower = c.data_type.to_ascii_lowercase();
    if ["text", "character varying", "character", "varchar"].contains(&lower.as_str()) {
        "character varying(256)".into()
    } else {
        c.data_type.clone()
    }
}

/// The columns of a relation given as SQL (a temporary table is in no schema).
fn describe(adapter: &mut dyn Adapter, rendered: &str) -> Result<Vec<Column>, String> {
    let result = adapter.query(&format!("DESCRIBE {rendered}"))?;
    Ok(result
        .rows
        .into_iter()
        .map(|r| Column {
            name: r[0].as_str().unwrap_or_default().to_string(),
            data_type: r[1].as_str().unwrap_or_default().to_string(),
        })
        .collect())
}

fn names(columns: &[&Column]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("{}({})", c.name, c.data_type))
        .collect();
    format!("[{}]", list.join(", "))
}

/// dbt's `process_schema_changes`: compares the new rows' columns with the target's,
/// fails or alters the target as configured; returns the columns to insert (None: the
/// target's, as with `ignore`).
fn process_schema_changes(
    adapter: &mut dyn Adapter,
    target: &str,
    mode: OnSchemaChange,
    source: &[Column],
    existing: &[Column],
) -> Result<Option<Vec<Column>>, String> {
    if mode == OnSchemaChange::Ignore {
        return Ok(None);
    }
    let has = |list: &[Column], name: &str| list.iter().any(|c| c.name == name);
    let added: Vec<&Column> = source.iter().filter(|c| !has(existing, &c.name)).collect();
    let removed: Vec<&Column> = existing.iter().filter(|c| !has(source, &c.name)).collect();
    let retyped: Vec<&Column> = source
        .iter()
        .filter(|s| {
            existing
                .iter()
                .find(|t| t.name == s.name)
                .is_some_and(|t| dbt_type(s) != dbt_type(t))
        })
        .collect();
    if added.is_empty() && removed.is_empty() && retyped.is_empty() {
        return Ok(Some(source.to_vec()));
    }
    let q = |name: &str| adapter.quote(name);
    match mode {
        OnSchemaChange::Fail => {
            return Err(format!(
                "Compilation Error\n  The source and target schemas on this incremental model are out of sync!\n  They can be reconciled in several ways:\n    - set the `on_schema_change` config to either append_new_columns or sync_all_columns, depending on your situation.\n    - Re-run the incremental model with `full_refresh: True` to update the target schema.\n    - update the schema manually and re-run the process.\n\n  Additional troubleshooting context:\n     Source columns not in target: {}\n     Target columns not in source: {}\n     New column types: {}",
                names(&added),
                names(&removed),
                names(&retyped)
            ));
        }
        OnSchemaChange::AppendNewColumns | OnSchemaChange::SyncAllColumns => {
            let mut statements: Vec<String> = added
                .iter()
                .map(|c| {
                    format!(
                        "alter table {target} add column {} {}",
                        q(&c.name),
                        c.data_type
                    )
                })
                .collect();
            if mode == OnSchemaChange::SyncAllColumns {
                statements.extend(
                    removed
                        .iter()
                        .map(|c| format!("alter table {target} drop column {}", q(&c.name))),
                );
                // dbt's default alter_column_type: a new column, filled, swapped in (so the
                // column moves to the end). dbt fills it with an UPDATE; libduckdb 1.5
                // cannot commit an ALTER that follows an UPDATE in one transaction
                // ("another transaction has altered this table"), so the new column is
                // filled by `ALTER ... TYPE ... USING`, to the same result.
                for c in &retyped {
                    let (col, tmp) = (q(&c.name), q(&format!("{}__dbt_alter", c.name)));
                    let ty = &c.data_type;
                    statements.push(format!(
                        "alter table {target} add column {tmp} {ty};\nalter table {target} alter column {tmp} type {ty} using cast({col} as {ty});\nalter table {target} drop column {col};\nalter table {target} rename column {tmp} to {col}"
                    ));
                }
            }
            for statement in statements {
                adapter.execute(&statement)?;
            }
        }
        OnSchemaChange::Ignore => {}
    }
    Ok(Some(source.to_vec()))
}

fn quoted_csv(adapter: &dyn Adapter, columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| adapter.quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement of the strategy, as dbt-duckdb writes it.
pub fn strategy_sql(
    adapter: &dyn Adapter,
    config: &IncrementalConfig,
    target: &str,
    source: &str,
    dest_columns: &[Column],
) -> String {
    let cols = quoted_csv(adapter, dest_columns);
    let insert =
        format!("insert into {target} ({cols})\n(\n    select {cols}\n    from {source}\n)");
    let preds = &config.predicates;
    match config.strategy {
        Strategy::Append => insert,
        Strategy::DeleteInsert => {
            let extra: String = preds.iter().map(|p| format!("\n    and {p}")).collect();
            let delete = match &config.unique_key {
                UniqueKey::None => String::new(),
                UniqueKey::One(key) => format!(
                    "delete from {target}\nwhere (\n    {key}) in (\n    select ({key})\n    from {source}\n){extra};\n\n"
                ),
                UniqueKey::Many(keys) => {
                    let on: Vec<String> = keys
                        .iter()
                        .map(|k| format!("{source}.{k} = DBT_INCREMENTAL_TARGET.{k}"))
                        .collect();
                    format!(
                        "delete from {target} as DBT_INCREMENTAL_TARGET\nusing {source}\nwhere (\n    {}{extra}\n);\n\n",
                        on.join("\n    and ")
                    )
                }
            };
            format!("{delete}{insert}")
        }
        Strategy::Merge => {
            let mut on: Vec<String> = match &config.unique_key {
                UniqueKey::None => vec!["FALSE".into()],
                UniqueKey::One(k) => {
                    vec![format!("DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}")]
                }
                UniqueKey::Many(keys) => keys
                    .iter()
                    .map(|k| format!("DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}"))
                    .collect(),
            };
            on.extend(preds.iter().cloned());
            let cond =
                |c: &Option<String>| c.as_ref().map(|c| format!(" AND {c}")).unwrap_or_default();
            let update = if config.update_columns.is_empty() && config.exclude_columns.is_empty() {
                "UPDATE BY NAME".to_string()
            } else {
                let columns: Vec<String> = if !config.update_columns.is_empty() {
                    config.update_columns.clone()
                } else {
                    let exclude: Vec<String> = config
                        .exclude_columns
                        .iter()
                        .map(|c| c.to_lowercase())
                        .collect();
                    dest_columns
                        .iter()
                        .filter(|c| !exclude.contains(&c.name.to_lowercase()))
                        .map(|c| adapter.quote(&c.name))
                        .collect()
                };
                let set: Vec<String> = columns
                    .iter()
                    .map(|c| format!("{c} = DBT_INTERNAL_SOURCE.{c}"))
                    .collect();
                format!("UPDATE SET\n        {}", set.join(", "))
            };
            format!(
                "MERGE INTO {target} AS DBT_INTERNAL_DEST\n    USING {source} AS DBT_INTERNAL_SOURCE\n    ON ({})\nWHEN MATCHED{} THEN\n    {update}\nWHEN NOT MATCHED{} THEN\n    INSERT BY NAME",
                on.join(") AND ("),
                cond(&config.update_condition),
                cond(&config.insert_condition)
            )
        }
    }
}

/// Runs one incremental build into an existing table from `sql` (the model rendered with
/// `is_incremental()` true). Returns the statement of the strategy (for target/run).
pub fn build_incremental(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    sql: &str,
    config: &IncrementalConfig,
) -> Result<BuildOutcome, String> {
    let target = adapter.render_relation(relation);
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%6f");
    let tmp = adapter.quote(&format!("{}__dbt_tmp{stamp}", relation.identifier));
    adapter.begin()?;
    let built = (|| -> Result<String, String> {
        adapter.execute(&format!("create temporary table {tmp} as (\n{sql}\n)"))?;
        let source = describe(adapter, &tmp)?;
        let existing = adapter.columns(relation)?;
        let dest = process_schema_changes(
            adapter,
            &target,
            config.on_schema_change,
            &source,
            &existing,
        )?
        .unwrap_or(existing);
        let main = strategy_sql(adapter, config, &target, &tmp, &dest);
        adapter.execute(&main)?;
        Ok(main)
    })();
    finish_transaction(adapter, built, &tmp)
}
