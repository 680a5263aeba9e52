//! The `incremental` materialization for a run where the model's table exists (and no
//! full refresh is asked), as dbt-duckdb and dbt-postgres run it: the model's SQL
//! (rendered with `is_incremental()` true) goes into a temporary table, `on_schema_change`
//! reconciles the target's columns, then the strategy (`append`, `delete+insert`,
//! `merge`; the default is `delete+insert`, which without a `unique_key` only appends)
//! writes into the target, all in one transaction, so a failure leaves the table as it
//! was. What differs between the adapters: the strategies' statements (`strategies`),
//! the temporary table's name, how column types compare and change (Postgres widens
//! string columns first and retypes with dbt's add/update/drop/rename), and `grants`
//! (Postgres).

mod strategies;

pub use strategies::strategy_sql;

use serde_json::{Map, Value};

use super::{BuildOutcome, finish_transaction};
use crate::exec::transactional::grants::{Grants, apply_grants};
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
    /// `grants` (Postgres): reconciled with the table's current grants after each run.
    pub grants: Grants,
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
            grants: Grants::from_config(config)?,
        })
    }
}

/// How an adapter's dbt plugin sees column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Types {
    /// dbt-duckdb: strings are `character varying(256)` whatever their declared length.
    DuckDb,
    /// dbt-postgres's `PostgresColumn`: `text` and unsized `character varying` as they
    /// are, sized strings as `character varying(n)`, numerics with precision and scale.
    Postgres,
}

fn is_string(ty: &str) -> bool {
    let base = ty
        .split('(')
        .next()
        .unwrap_or(ty)
        .trim()
        .to_ascii_lowercase();
    ["text", "character varying", "character", "varchar"].contains(&base.as_str())
}

/// A string column's size as dbt reads it (`text` and unsized: 256).
fn string_size(ty: &str) -> u32 {
    let lower = ty.to_ascii_lowercase();
    if lower == "text" {
        return 256;
    }
    lower
        .split_once('(')
        .and_then(|(_, rest)| rest.trim_end_matches(')').trim().parse().ok())
        .unwrap_or(256)
}

impl Types {
    /// `Column.expanded_data_type`: the type dbt compares and writes in DDL.
    fn of(self, c: &Column) -> String {
        match self {
            Types::DuckDb if is_string(&c.data_type) => "character varying(256)".into(),
            Types::DuckDb => c.data_type.clone(),
            Types::Postgres => {
                let lower = c.data_type.to_ascii_lowercase();
                if is_string(&lower) && lower != "text" && lower != "character varying" {
                    format!("character varying({})", string_size(&lower))
                } else {
                    c.data_type.clone()
                }
            }
        }
    }

    /// `source` differs from `target` (dbt's `diff_column_data_types`: a string that
    /// only needs to be wider is not a change: `expand_target_column_types` widens it).
    fn changed(self, source: &Column, target: &Column) -> bool {
        let can_expand = is_string(&source.data_type)
            && is_string(&target.data_type)
            && string_size(&target.data_type) > string_size(&source.data_type);
        self.of(source) != self.of(target) && !(self == Types::Postgres && can_expand)
    }
}

fn names(columns: &[&Column]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("{}({})", c.name, c.data_type))
        .collect();
    format!("[{}]", list.join(", "))
}

/// dbt's default `alter_column_type` on Postgres: a new column of the new type, filled,
/// the old one dropped (cascade) and the new one renamed (so it moves to the end).
fn alter_column_type_sql(adapter: &dyn Adapter, target: &str, column: &str, ty: &str) -> String {
    let (col, tmp) = (
        adapter.quote(column),
        adapter.quote(&format!("{column}__dbt_alter")),
    );
    format!(
        "alter table {target} add column {tmp} {ty};\nupdate {target} set {tmp} = {col};\nalter table {target} drop column {col} cascade;\nalter table {target} rename column {tmp} to {col}"
    )
}

/// dbt's `expand_target_column_types` (Postgres): a target string column narrower than
/// the new rows' becomes `character varying(<their size>)`.
pub(crate) fn expand_target_column_types(
    adapter: &mut dyn Adapter,
    target: &str,
    source: &[Column],
    existing: &[Column],
) -> Result<bool, String> {
    let mut changed = false;
    for s in source {
        let Some(t) = existing.iter().find(|t| t.name == s.name) else {
            continue;
        };
        if is_string(&s.data_type)
            && is_string(&t.data_type)
            && string_size(&s.data_type) > string_size(&t.data_type)
        {
            let ty = format!("character varying({})", string_size(&s.data_type));
            adapter.execute(&alter_column_type_sql(adapter, target, &t.name, &ty))?;
            changed = true;
        }
    }
    Ok(changed)
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
    let types = if adapter.adapter_type() == "postgres" {
        Types::Postgres
    } else {
        Types::DuckDb
    };
    let has = |list: &[Column], name: &str| list.iter().any(|c| c.name == name);
    let added: Vec<&Column> = source.iter().filter(|c| !has(existing, &c.name)).collect();
    let removed: Vec<&Column> = existing.iter().filter(|c| !has(source, &c.name)).collect();
    let retyped: Vec<&Column> = source
        .iter()
        .filter(|s| {
            existing
                .iter()
                .find(|t| t.name == s.name)
                .is_some_and(|t| types.changed(s, t))
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
            let sync = mode == OnSchemaChange::SyncAllColumns;
            let removed: &[&Column] = if sync { &removed } else { &[] };
            let mut statements: Vec<String> = Vec::new();
            if types == Types::Postgres {
                // dbt's alter_relation_add_remove_columns: one statement.
                let mut clauses: Vec<String> = added
                    .iter()
                    .map(|c| format!("add column {} {}", q(&c.name), types.of(c)))
                    .collect();
                clauses.extend(
                    removed
                        .iter()
                        .map(|c| format!("drop column {}", q(&c.name))),
                );
                if !clauses.is_empty() {
                    statements.push(format!("alter table {target}\n  {}", clauses.join(",\n  ")));
                }
            } else {
                statements.extend(added.iter().map(|c| {
                    format!(
                        "alter table {target} add column {} {}",
                        q(&c.name),
                        c.data_type
                    )
                }));
                statements.extend(
                    removed
                        .iter()
                        .map(|c| format!("alter table {target} drop column {}", q(&c.name))),
                );
            }
            if sync {
                for c in &retyped {
                    statements.push(if types == Types::Postgres {
                        alter_column_type_sql(adapter, target, &c.name, &types.of(c))
                    } else {
                        // dbt's default alter_column_type fills the new column with an
                        // UPDATE; libduckdb 1.5 cannot commit an ALTER that follows an
                        // UPDATE in one transaction ("another transaction has altered
                        // this table"), so it is filled by `ALTER ... TYPE ... USING`, to
                        // the same result.
                        let (col, tmp) = (q(&c.name), q(&format!("{}__dbt_alter", c.name)));
                        let ty = &c.data_type;
                        format!(
                            "alter table {target} add column {tmp} {ty};\nalter table {target} alter column {tmp} type {ty} using cast({col} as {ty});\nalter table {target} drop column {col};\nalter table {target} rename column {tmp} to {col}"
                        )
                    });
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

/// The temporary table's name: dbt-postgres's (`<identifier>__dbt_tmp<HHMMSSffffff>`,
/// the identifier cut so the name fits Postgres's 63 characters), dbt-duckdb's (the date
/// too) elsewhere.
pub(crate) fn temp_name(adapter: &dyn Adapter, identifier: &str) -> String {
    let now = chrono::Utc::now();
    if adapter.adapter_type() == "postgres" {
        let suffix = format!("__dbt_tmp{}", now.format("%H%M%S%6f"));
        let keep = 63usize.saturating_sub(suffix.len());
        let base: String = identifier.chars().take(keep).collect();
        format!("{base}{suffix}")
    } else {
        format!("{identifier}__dbt_tmp{}", now.format("%Y%m%d%H%M%S%6f"))
    }
}

/// `merge` needs Postgres's MERGE (15 and later): a clear error on older servers.
fn check_merge_supported(adapter: &mut dyn Adapter) -> Result<(), String> {
    let version = adapter.query("show server_version_num")?;
    let num = version
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if num < 150_000 {
        return Err(format!(
            "incremental_strategy 'merge' needs PostgreSQL 15 or later (MERGE); this server's version number is {num}. Use 'delete+insert' or 'append'."
        ));
    }
    Ok(())
}

/// Runs one incremental build into an existing table from `sql` (the model rendered with
/// `is_incremental()` true). Returns the statement of the strategy (for target/run).
pub fn build_incremental(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    sql: &str,
    config: &IncrementalConfig,
) -> Result<BuildOutcome, String> {
    let postgres = adapter.adapter_type() == "postgres";
    if postgres && config.strategy == Strategy::Merge {
        check_merge_supported(adapter)?;
    }
    let target = adapter.render_relation(relation);
    let tmp_name = temp_name(adapter, &relation.identifier);
    let tmp = adapter.quote(&tmp_name);
    adapter.begin()?;
    let built = (|| -> Result<String, String> {
        adapter.execute(&format!("create temporary table {tmp} as (\n{sql}\n)"))?;
        let source = adapter.temp_columns(&tmp_name)?;
        let mut existing = adapter.columns(relation)?;
        if postgres && expand_target_column_types(adapter, &target, &source, &existing)? {
            existing = adapter.columns(relation)?;
        }
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
        // The table is kept, so grants from before may need revoking.
        apply_grants(adapter, relation, &config.grants, true)?;
        Ok(main)
    })();
    finish_transaction(adapter, built, &tmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::QueryResult;

    /// A Postgres server that only answers its version number.
    struct Server(&'static str);

    impl Adapter for Server {
        fn adapter_type(&self) -> &'static str {
            "postgres"
        }
        fn execute(&mut self, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn query(&mut self, _: &str) -> Result<QueryResult, String> {
            Ok(QueryResult {
                columns: Vec::new(),
                rows: vec![vec![Value::from(self.0)]],
            })
        }
        fn relation_kind(&mut self, _: &Relation) -> Result<Option<String>, String> {
            Ok(None)
        }
        fn columns(&mut self, _: &Relation) -> Result<Vec<Column>, String> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn merge_needs_postgres_15() {
        assert!(check_merge_supported(&mut Server("150018")).is_ok());
        let e = check_merge_supported(&mut Server("140011")).unwrap_err();
        assert!(
            e.contains("PostgreSQL 15 or later") && e.contains("140011"),
            "{e}"
        );
    }

    #[test]
    fn postgres_types_as_dbt_postgres_compares_them() {
        let c = |t: &str| Column {
            name: "c".into(),
            data_type: t.into(),
        };
        let t = Types::Postgres;
        assert_eq!(t.of(&c("text")), "text");
        assert_eq!(t.of(&c("character(3)")), "character varying(3)");
        // Only wider: not a change (the target is widened instead).
        assert!(!t.changed(&c("character varying(10)"), &c("character varying(20)")));
        assert!(t.changed(&c("character varying"), &c("integer")));
        assert!(!t.changed(&c("numeric(6,2)"), &c("numeric(6,2)")));
        assert_eq!(string_size("character varying(40)"), 40);
        let name = temp_name(&Server("150000"), &"x".repeat(80));
        assert_eq!(name.len(), 63, "{name}");
        assert!(name.contains("__dbt_tmp"), "{name}");
    }
}
