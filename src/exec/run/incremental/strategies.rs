//! The statements of the incremental strategies, in each adapter's shapes: dbt-duckdb's
//! (`MERGE ... UPDATE BY NAME / INSERT BY NAME`, delete+insert with `using` for a list of
//! keys) and dbt-core's defaults that dbt-postgres uses (`delete ... where (keys) in
//! (select distinct keys ...)`, `merge ... when matched then update set ... when not
//! matched then insert (...) values (...)`).

use super::{IncrementalConfig, Strategy, UniqueKey};
use crate::exec::{Adapter, Column};

fn quoted_csv(adapter: &dyn Adapter, columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| adapter.quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `merge_update_columns` as written, else the destination columns (quoted) less
/// `merge_exclude_columns` (compared case-insensitively).
fn update_columns(
    adapter: &dyn Adapter,
    config: &IncrementalConfig,
    dest_columns: &[Column],
) -> Vec<String> {
    if !config.update_columns.is_empty() {
        return config.update_columns.clone();
    }
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
}

fn set_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{c} = DBT_INTERNAL_SOURCE.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement of the strategy, as the adapter's dbt plugin writes it.
pub fn strategy_sql(
    adapter: &dyn Adapter,
    config: &IncrementalConfig,
    target: &str,
    source: &str,
    dest_columns: &[Column],
) -> String {
    if adapter.adapter_type() == "postgres" {
        postgres_sql(adapter, config, target, source, dest_columns)
    } else {
        duckdb_sql(adapter, config, target, source, dest_columns)
    }
}

fn insert_sql(cols: &str, target: &str, source: &str) -> String {
    format!("insert into {target} ({cols})\n(\n    select {cols}\n    from {source}\n)")
}

/// dbt-core's default strategies (dbt-postgres's): with a unique key the default is
/// delete+insert, without one append (delete+insert without a key only inserts).
fn postgres_sql(
    adapter: &dyn Adapter,
    config: &IncrementalConfig,
    target: &str,
    source: &str,
    dest_columns: &[Column],
) -> String {
    let cols = quoted_csv(adapter, dest_columns);
    let insert = insert_sql(&cols, target, source);
    let keys: Vec<String> = match &config.unique_key {
        UniqueKey::None => Vec::new(),
        UniqueKey::One(k) => vec![k.clone()],
        UniqueKey::Many(ks) => ks.clone(),
    };
    match config.strategy {
        Strategy::Append => insert,
        Strategy::DeleteInsert if keys.is_empty() => insert,
        Strategy::DeleteInsert => {
            let keys = keys.join(", ");
            let extra: String = config
                .predicates
                .iter()
                .map(|p| format!("\n    and {p}"))
                .collect();
            format!(
                "delete from {target} as DBT_INTERNAL_DEST\nwhere ({keys}) in (\n    select distinct {keys}\n    from {source} as DBT_INTERNAL_SOURCE\n){extra};\n\n{insert}"
            )
        }
        Strategy::Merge => {
            let mut on: Vec<String> = config.predicates.clone();
            match &config.unique_key {
                UniqueKey::None => on.push("FALSE".into()),
                UniqueKey::One(k) => {
                    on.push(format!("(DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k})"))
                }
                UniqueKey::Many(ks) => on.extend(
                    ks.iter()
                        .map(|k| format!("DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}")),
                ),
            }
            let matched = if keys.is_empty() {
                String::new()
            } else {
                format!(
                    "when matched then update set\n    {}\n",
                    set_list(&update_columns(adapter, config, dest_columns))
                )
            };
            format!(
                "merge into {target} as DBT_INTERNAL_DEST\n    using {source} as DBT_INTERNAL_SOURCE\n    on ({})\n{matched}when not matched then insert\n    ({cols})\nvalues\n    ({cols})",
                on.join(") and (")
            )
        }
    }
}

/// dbt-duckdb's strategies (its default is delete+insert).
fn duckdb_sql(
    adapter: &dyn Adapter,
    config: &IncrementalConfig,
    target: &str,
    source: &str,
    dest_columns: &[Column],
) -> String {
    let cols = quoted_csv(adapter, dest_columns);
    let insert = insert_sql(&cols, target, source);
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
                format!(
                    "UPDATE SET\n        {}",
                    set_list(&update_columns(adapter, config, dest_columns))
                )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{QueryResult, Relation};

    /// An adapter that only names itself (the statements are built, never run).
    struct Named(&'static str);

    impl Adapter for Named {
        fn adapter_type(&self) -> &'static str {
            self.0
        }
        fn execute(&mut self, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn query(&mut self, _: &str) -> Result<QueryResult, String> {
            Ok(QueryResult::default())
        }
        fn relation_kind(&mut self, _: &Relation) -> Result<Option<String>, String> {
            Ok(None)
        }
        fn columns(&mut self, _: &Relation) -> Result<Vec<Column>, String> {
            Ok(Vec::new())
        }
    }

    fn config(v: serde_json::Value) -> IncrementalConfig {
        IncrementalConfig::from_config(v.as_object().unwrap()).unwrap()
    }

    fn cols() -> Vec<Column> {
        ["id", "v"]
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                data_type: "integer".into(),
            })
            .collect()
    }

    #[test]
    fn postgres_shapes() {
        let pg = Named("postgres");
        let sql = |v| strategy_sql(&pg, &config(v), "\"s\".\"t\"", "\"tmp\"", &cols());
        assert_eq!(
            sql(
                serde_json::json!({"unique_key": ["id", "v"], "incremental_predicates": ["v > 0"]})
            ),
            "delete from \"s\".\"t\" as DBT_INTERNAL_DEST\nwhere (id, v) in (\n    select distinct id, v\n    from \"tmp\" as DBT_INTERNAL_SOURCE\n)\n    and v > 0;\n\ninsert into \"s\".\"t\" (\"id\", \"v\")\n(\n    select \"id\", \"v\"\n    from \"tmp\"\n)"
        );
        // Without a unique_key the default only appends.
        assert!(sql(serde_json::json!({})).starts_with("insert into"));
        assert_eq!(
            sql(
                serde_json::json!({"incremental_strategy": "merge", "unique_key": "id",
                "incremental_predicates": ["DBT_INTERNAL_DEST.v < 9"]})
            ),
            "merge into \"s\".\"t\" as DBT_INTERNAL_DEST\n    using \"tmp\" as DBT_INTERNAL_SOURCE\n    on (DBT_INTERNAL_DEST.v < 9) and ((DBT_INTERNAL_SOURCE.id = DBT_INTERNAL_DEST.id))\nwhen matched then update set\n    \"id\" = DBT_INTERNAL_SOURCE.\"id\", \"v\" = DBT_INTERNAL_SOURCE.\"v\"\nwhen not matched then insert\n    (\"id\", \"v\")\nvalues\n    (\"id\", \"v\")"
        );
        let no_key = sql(serde_json::json!({"incremental_strategy": "merge",
            "merge_exclude_columns": ["V"]}));
        assert!(
            no_key.contains("on (FALSE)") && !no_key.contains("when matched"),
            "{no_key}"
        );
        let excluded = sql(
            serde_json::json!({"incremental_strategy": "merge", "unique_key": "id",
            "merge_exclude_columns": ["V"]}),
        );
        assert!(
            excluded.contains("update set\n    \"id\" = DBT_INTERNAL_SOURCE.\"id\"\n"),
            "{excluded}"
        );
    }

    #[test]
    fn duckdb_shapes_unchanged() {
        let duck = Named("duckdb");
        let merge = strategy_sql(
            &duck,
            &config(serde_json::json!({"incremental_strategy": "merge", "unique_key": "id"})),
            "t",
            "tmp",
            &cols(),
        );
        assert!(
            merge.starts_with("MERGE INTO t AS DBT_INTERNAL_DEST"),
            "{merge}"
        );
        assert!(merge.contains("UPDATE BY NAME") && merge.ends_with("INSERT BY NAME"));
    }
}
