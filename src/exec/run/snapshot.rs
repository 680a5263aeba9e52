//! dbt's `snapshot` materialization as dbt-duckdb runs it (type-2 slowly changing
//! dimensions): the first run creates the table from the snapshot's query plus
//! `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from` and `dbt_valid_to`; later runs build
//! a staging table of insertions and updates (and deletions with `hard_deletes:
//! invalidate`), close the changed rows' validity and insert their new versions, in one
//! transaction.

use serde_json::{Map, Value};

use super::incremental::UniqueKey;
use super::{BuildOutcome, finish_transaction};
use crate::exec::{Adapter, Column, Relation};

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
    /// `hard_deletes: invalidate` (or `invalidate_hard_deletes: true`).
    pub invalidate_hard_deletes: bool,
}

/// dbt-duckdb's `snapshot_get_time()`.
const NOW: &str = "now()::timestamp";

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
        let hard_deletes = text("hard_deletes");
        let invalidate_hard_deletes = match hard_deletes.as_deref() {
            Some("invalidate") => true,
            Some("new_record") => {
                return Err("hard_deletes: new_record is not supported by dbtc yet".into());
            }
            Some("ignore") => false,
            _ => config
                .get("invalidate_hard_deletes")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        for unsupported in ["snapshot_table_column_names", "dbt_valid_to_current"] {
            if config.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Err(format!("`{unsupported}` is not supported by dbtc yet"));
            }
        }
        Ok(SnapshotConfig {
            strategy,
            unique_key,
            invalidate_hard_deletes,
        })
    }

    /// The expression of the row's time: `updated_at`, or the snapshot's time.
    fn updated_at(&self) -> String {
        match &self.strategy {
            Strategy::Timestamp { updated_at } => updated_at.clone(),
            Strategy::Check { updated_at, .. } => {
                updated_at.clone().unwrap_or_else(|| NOW.to_string())
            }
        }
    }

    /// `md5` of the unique key(s) and the row's time, as dbt's `snapshot_hash_arguments`.
    fn scd_id(&self) -> String {
        let mut args: Vec<String> = match &self.unique_key {
            UniqueKey::Many(keys) => keys.clone(),
            UniqueKey::One(k) => vec![k.clone()],
            UniqueKey::None => Vec::new(),
        };
        args.push(self.updated_at());
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
                .map(|i| {
                    // dbt's `equals()`: null-safe under the default behaviour flag.
                    format!(
                        "({left}.dbt_unique_key_{i} = {right}.dbt_unique_key_{i} or ({left}.dbt_unique_key_{i} is null and {right}.dbt_unique_key_{i} is null))"
                    )
                })
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

/// The first build: the query with dbt's meta columns.
fn build_table_sql(config: &SnapshotConfig, sql: &str) -> String {
    let u = config.updated_at();
    format!(
        "select *,\n    {} as dbt_scd_id,\n    {u} as dbt_updated_at,\n    {u} as dbt_valid_from,\n    coalesce(nullif({u}, {u}), null) as dbt_valid_to\nfrom (\n{sql}\n) sbq",
        config.scd_id()
    )
}

/// dbt's `snapshot_staging_table`: the rows to insert (new keys and new versions) and to
/// close (changed keys; deleted keys with `invalidate`).
fn staging_sql(config: &SnapshotConfig, sql: &str, target: &str, row_changed: &str) -> String {
    let u = config.updated_at();
    let keys = config.key_fields();
    let join = config.key_join("snapshotted_data", "source_data");
    let mut out = format!(
        "with snapshot_query as (\n{sql}\n),\nsnapshotted_data as (\n    select *, {keys}\n    from {target}\n    where dbt_valid_to is null\n),\ninsertions_source_data as (\n    select *, {keys},\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        coalesce(nullif({u}, {u}), null) as dbt_valid_to,\n        {scd} as dbt_scd_id\n    from snapshot_query\n),\nupdates_source_data as (\n    select *, {keys},\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        {u} as dbt_valid_to\n    from snapshot_query\n),\n",
        scd = config.scd_id()
    );
    if config.invalidate_hard_deletes {
        out.push_str(&format!(
            "deletes_source_data as (\n    select *, {keys}\n    from snapshot_query\n),\n"
        ));
    }
    out.push_str(&format!(
        "insertions as (\n    select 'insert' as dbt_change_type, source_data.*\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on {join}\n    where {} or ({} and ({row_changed}))\n),\nupdates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.dbt_scd_id\n    from updates_source_data as source_data\n    join snapshotted_data\n        on {join}\n    where ({row_changed})\n)",
        config.key_null("snapshotted_data", true),
        config.key_null("snapshotted_data", false),
    ));
    if config.invalidate_hard_deletes {
        out.push_str(&format!(
            ",\ndeletes as (\n    select 'delete' as dbt_change_type, source_data.*,\n        {NOW} as dbt_valid_from,\n        {NOW} as dbt_updated_at,\n        {NOW} as dbt_valid_to,\n        snapshotted_data.dbt_scd_id\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on {join}\n    where {}\n)",
            config.key_null("source_data", true)
        ));
    }
    out.push_str("\nselect * from insertions\nunion all\nselect * from updates");
    if config.invalidate_hard_deletes {
        out.push_str("\nunion all\nselect * from deletes");
    }
    out
}

fn describe(adapter: &mut dyn Adapter, what: &str) -> Result<Vec<Column>, String> {
    Ok(adapter
        .query(&format!("DESCRIBE {what}"))?
        .rows
        .into_iter()
        .map(|r| Column {
            name: r[0].as_str().unwrap_or_default().to_string(),
            data_type: r[1].as_str().unwrap_or_default().to_string(),
        })
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
    let query_columns = describe(adapter, &format!("({query})"))?;
    let mut checked = Vec::new();
    for c in &query_columns {
        if existing.iter().any(|e| e.name == c.name) {
            checked.push(adapter.quote(&c.name));
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
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%6f");
    let staging = adapter.quote(&format!("{}__dbt_tmp{stamp}", relation.identifier));
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&relation.schema)
    ))?;
    adapter.begin()?;
    let built = (|| -> Result<String, String> {
        if !exists {
            let create = format!(
                "create table {target} as (\n{}\n)",
                build_table_sql(config, sql)
            );
            adapter.execute(&create)?;
            return Ok(create);
        }
        let existing = adapter.columns(relation)?;
        let changed = row_changed(adapter, config, sql, &existing)?;
        adapter.execute(&format!(
            "create temporary table {staging} as (\n{}\n)",
            staging_sql(config, sql, &target, &changed)
        ))?;
        let internal = |name: &str| {
            let lower = name.to_ascii_lowercase();
            lower == "dbt_change_type"
                || lower == "dbt_unique_key"
                || lower.starts_with("dbt_unique_key_")
        };
        let source: Vec<Column> = describe(adapter, &staging)?
            .into_iter()
            .filter(|c| !internal(&c.name))
            .collect();
        for c in &source {
            if !existing.iter().any(|e| e.name == c.name) {
                adapter.execute(&format!(
                    "alter table {target} add column {} {}",
                    adapter.quote(&c.name),
                    c.data_type
                ))?;
            }
        }
        let cols: Vec<String> = source.iter().map(|c| adapter.quote(&c.name)).collect();
        let values: Vec<String> = cols
            .iter()
            .map(|c| format!("DBT_INTERNAL_SOURCE.{c}"))
            .collect();
        let merge = format!(
            "update {target} as DBT_INTERNAL_TARGET\nset dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_scd_id::text = DBT_INTERNAL_TARGET.dbt_scd_id::text\n  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)\n  and DBT_INTERNAL_TARGET.dbt_valid_to is null;\n\ninsert into {target} ({})\nselect {}\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;",
            cols.join(", "),
            values.join(", ")
        );
        adapter.execute(&merge)?;
        Ok(merge)
    })();
    finish_transaction(adapter, built, &staging)
}
