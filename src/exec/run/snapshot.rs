//! dbt's `snapshot` materialization as dbt-duckdb and dbt-postgres run it (type-2 slowly
//! changing dimensions): the first run creates the table from the snapshot's query plus
//! `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from` and `dbt_valid_to` (and
//! `dbt_is_deleted` with `hard_deletes: new_record`); later runs build a staging table of
//! insertions, updates and deletions (`staging`), close the changed rows' validity and
//! insert their new versions, in one transaction. On Postgres the snapshot's `indexes`
//! are created with the table and its `grants` applied after every run.

mod staging;

use serde_json::{Map, Value};

use super::incremental::{UniqueKey, expand_target_column_types, temp_name};
use super::{BuildOutcome, finish_transaction};
use crate::exec::transactional::PostBuild;
use crate::exec::transactional::grants::apply_grants;
use crate::exec::transactional::indexes::create_indexes;
use crate::exec::{Adapter, Column, Relation};

/// `hard_deletes` (or the older `invalidate_hard_deletes: true`): what happens to a
/// snapshotted row whose key left the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardDeletes {
    Ignore,
    /// Its current version is closed.
    Invalidate,
    /// Closed, and a new version with `dbt_is_deleted = 'True'` is inserted.
    NewRecord,
}

/// How a snapshot detects changed rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// `updated_at` column: a row changed when it is newer than the current version.
    Timestamp { updated_at: String },
    /// `check_cols` (`all` or a list): a row changed when one of them differs.
    Check {
        cols: Option<Vec<String>>,
        updated_at: Option<String>,
    },
}

/// The configs of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConfig {
    pub strategy: Strategy,
    pub unique_key: UniqueKey,
    pub hard_deletes: HardDeletes,
    /// `grants` and `indexes` (Postgres).
    pub post_build: PostBuild,
}

/// The adapter's `snapshot_get_time()`.
fn snapshot_time(adapter: &dyn Adapter) -> &'static str {
    if adapter.adapter_type() == "postgres" {
        "now()::timestamp without time zone"
    } else {
        "now()::timestamp"
    }
}

impl SnapshotConfig {
    pub fn from_config(config: &Map<String, Value>) -> Result<SnapshotConfig, String> {
        let text = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_string);
        let unique_key = match config.get("unique_key") {
            Some(Value::String(s)) if !s.is_empty() => UniqueKey::One(s.clone()),
            Some(Value::Array(items)) if !items.is_empty() => UniqueKey::Many(
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect(),
            ),
            _ => return Err("Snapshots must be configured with a 'unique_key'".into()),
        };
        let strategy = match text("strategy").as_deref() {
            Some("timestamp") => Strategy::Timestamp {
                updated_at: text("updated_at").ok_or(
                    "Snapshots using the timestamp strategy must be configured with 'updated_at'",
                )?,
            },
            Some("check") => Strategy::Check {
                cols: match config.get("check_cols") {
                    Some(Value::String(s)) if s == "all" => None,
                    Some(Value::Array(items)) if !items.is_empty() => Some(
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                    ),
                    other => {
                        return Err(format!(
                            "Invalid value for 'check_cols': {}",
                            other.map_or("None".into(), Value::to_string)
                        ));
                    }
                },
                updated_at: text("updated_at"),
            },
            Some(other) => {
                return Err(format!(
                    "The specified strategy macro '{other}' was not found in package 'None'"
                ));
            }
            None => return Err("Snapshots must be configured with a 'strategy'".into()),
        };
        let invalidate = config
            .get("invalidate_hard_deletes")
            .filter(|v| !v.is_null());
        let hard_deletes = match (text("hard_deletes").as_deref(), invalidate) {
            (Some(_), Some(_)) => {
                return Err("You cannot set both the invalidate_hard_deletes and hard_deletes config properties on the same snapshot.".into());
            }
            (Some("invalidate"), None) => HardDeletes::Invalidate,
            (Some("new_record"), None) => HardDeletes::NewRecord,
            (Some("ignore"), None) => HardDeletes::Ignore,
            (Some(_), None) => return Err("Invalid setting for property hard_deletes.".into()),
            (None, Some(v)) if v.as_bool() == Some(true) => HardDeletes::Invalidate,
            (None, _) => HardDeletes::Ignore,
        };
        for unsupported in ["snapshot_table_column_names", "dbt_valid_to_current"] {
            if config.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Err(format!("`{unsupported}` is not supported by dbtc yet"));
            }
        }
        Ok(SnapshotConfig {
            strategy,
            unique_key,
            hard_deletes,
            post_build: PostBuild::from_config(config)?,
        })
    }

    /// The expression of the row's time: `updated_at`, or the snapshot's time.
    fn updated_at(&self, now: &str) -> String {
        match &self.strategy {
            Strategy::Timestamp { updated_at } => updated_at.clone(),
            Strategy::Check { updated_at, .. } => {
                updated_at.clone().unwrap_or_else(|| now.to_string())
            }
        }
    }

    /// `md5` of the unique key(s) and the row's time, as dbt's `snapshot_hash_arguments`.
    fn scd_id(&self, now: &str) -> String {
        let mut args: Vec<String> = match &self.unique_key {
            UniqueKey::Many(keys) => keys.clone(),
            UniqueKey::One(k) => vec![k.clone()],
            UniqueKey::None => Vec::new(),
        };
        args.push(self.updated_at(now));
        let parts: Vec<String> = args
            .iter()
            .map(|a| format!("coalesce(cast({a} as varchar ), '')"))
            .collect();
        format!("md5({})", parts.join(" || '|' || "))
    }

    fn key_fields(&self) -> String {
        match &self.unique_key {
            UniqueKey::Many(keys) => keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} as dbt_unique_key_{}", i + 1))
                .collect::<Vec<_>>()
                .join(", "),
            UniqueKey::One(k) => format!("{k} as dbt_unique_key"),
            UniqueKey::None => String::new(),
        }
    }

    fn key_join(&self, left: &str, right: &str) -> String {
        match &self.unique_key {
            UniqueKey::Many(keys) => (1..=keys.len())
                // dbt's `equals()` under its default behaviour flag.
                .map(|i| format!("({left}.dbt_unique_key_{i} = {right}.dbt_unique_key_{i})"))
                .collect::<Vec<_>>()
                .join(" and "),
            _ => format!("{left}.dbt_unique_key = {right}.dbt_unique_key"),
        }
    }

    fn key_null(&self, rel: &str, null: bool) -> String {
        let col = match &self.unique_key {
            UniqueKey::Many(_) => "dbt_unique_key_1",
            _ => "dbt_unique_key",
        };
        format!("{rel}.{col} is {}null", if null { "" } else { "not " })
    }
}

/// The column names of a query's result (it is not run: `limit 0`).
fn query_columns(adapter: &mut dyn Adapter, sql: &str) -> Result<Vec<String>, String> {
    Ok(adapter
        .query(&format!("select * from (\n{sql}\n) as dbt_sbq limit 0"))?
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect())
}

/// The `row_changed` expression of the strategy (the check strategy looks at the
/// query's and the table's columns: a column new to the table changes every row).
fn row_changed(
    adapter: &mut dyn Adapter,
    config: &SnapshotConfig,
    sql: &str,
    existing: &[Column],
) -> Result<String, String> {
    let cols = match &config.strategy {
        Strategy::Timestamp { updated_at } => {
            return Ok(format!(
                "(snapshotted_data.dbt_valid_from < source_data.{updated_at})"
            ));
        }
        Strategy::Check { cols, .. } => cols,
    };
    let query = match cols {
        None => format!("select * from (\n{sql}\n) subq"),
        Some(cols) => format!("select {} from (\n{sql}\n) subq", cols.join(", ")),
    };
    let mut checked = Vec::new();
    for name in query_columns(adapter, &query)? {
        if existing.iter().any(|e| e.name == name) {
            checked.push(adapter.quote(&name));
        } else {
            return Ok("(TRUE)".into());
        }
    }
    let (s, c) = ("snapshotted_data", "source_data");
    let terms: Vec<String> = checked
        .iter()
        .map(|col| {
            format!(
                "{s}.{col} != {c}.{col}\n    or\n    ((({s}.{col} is null) and not ({c}.{col} is null))\n    or\n    ((not {s}.{col} is null) and ({c}.{col} is null)))"
            )
        })
        .collect();
    Ok(format!("({})", terms.join(" or ")))
}

/// The merge of the staging table into the snapshot: close the updated and deleted rows'
/// current versions, insert the new ones (dbt-duckdb's and dbt-postgres's shapes).
fn merge_sql(postgres: bool, target: &str, staging: &str, cols: &[String]) -> String {
    let (update, target_ref) = if postgres {
        (format!("update {target}"), target.to_string())
    } else {
        (
            format!("update {target} as DBT_INTERNAL_TARGET"),
            "DBT_INTERNAL_TARGET".to_string(),
        )
    };
    let values: Vec<String> = cols
        .iter()
        .map(|c| format!("DBT_INTERNAL_SOURCE.{c}"))
        .collect();
    format!(
        "{update}\nset dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_scd_id::text = {target_ref}.dbt_scd_id::text\n  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)\n  and {target_ref}.dbt_valid_to is null;\n\ninsert into {target} ({})\nselect {}\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;",
        cols.join(", "),
        values.join(", ")
    )
}

/// The staging table's columns that are not the snapshot's (change type, unique keys).
fn internal(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dbt_change_type" || lower == "dbt_unique_key" || lower.starts_with("dbt_unique_key_")
}

/// Runs a snapshot: creates its table on the first run, else merges the changes in.
pub fn build_snapshot(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    sql: &str,
    config: &SnapshotConfig,
) -> Result<BuildOutcome, String> {
    let target = adapter.render_relation(relation);
    let exists = match adapter.relation_kind(relation)?.as_deref() {
        None => false,
        Some("table") => true,
        Some(other) => {
            return Err(format!(
                "Trying to create table {target}, but it currently exists as a {other}. Either drop {target} manually, or run dbt with `--full-refresh` and dbt will drop it for you."
            ));
        }
    };
    let postgres = adapter.adapter_type() == "postgres";
    let now = snapshot_time(adapter);
    let staging_name = temp_name(adapter, &relation.identifier);
    let staging = adapter.quote(&staging_name);
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&relation.schema)
    ))?;
    adapter.begin()?;
    let built = (|| -> Result<String, String> {
        if !exists {
            let create = format!(
                "create table {target} as (\n{}\n)",
                staging::build_table_sql(config, sql, now)
            );
            adapter.execute(&create)?;
            apply_grants(adapter, relation, &config.post_build.grants, false)?;
            create_indexes(adapter, relation, &config.post_build.indexes)?;
            return Ok(create);
        }
        let existing = adapter.columns(relation)?;
        let changed = row_changed(adapter, config, sql, &existing)?;
        let (source_names, target_names) = if config.hard_deletes == HardDeletes::NewRecord {
            let target_names: Vec<String> = existing.iter().map(|c| c.name.clone()).collect();
            (query_columns(adapter, sql)?, target_names)
        } else {
            (Vec::new(), Vec::new())
        };
        let quote = |name: &str| adapter.quote(name);
        let select = staging::staging_sql(
            config,
            sql,
            &target,
            &changed,
            now,
            &staging::Names {
                query: &source_names,
                table: &target_names,
            },
            &quote,
        );
        adapter.execute(&format!(
            "create temporary table {staging} as (\n{select}\n)"
        ))?;
        let source: Vec<Column> = adapter
            .temp_columns(&staging_name)?
            .into_iter()
            .filter(|c| !internal(&c.name))
            .collect();
        let existing =
            if postgres && expand_target_column_types(adapter, &target, &source, &existing)? {
                adapter.columns(relation)?
            } else {
                existing
            };
        for c in &source {
            if !existing.iter().any(|e| e.name == c.name) {
                adapter.execute(&format!(
                    "alter table {target} add column {} {};",
                    adapter.quote(&c.name),
                    c.data_type
                ))?;
            }
        }
        let cols: Vec<String> = source.iter().map(|c| adapter.quote(&c.name)).collect();
        let merge = merge_sql(postgres, &target, &staging, &cols);
        adapter.execute(&merge)?;
        apply_grants(adapter, relation, &config.post_build.grants, true)?;
        Ok(merge)
    })();
    finish_transaction(adapter, built, &staging)
}
