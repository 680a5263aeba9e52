//! Materializations for warehouses whose DDL is transactional (Postgres), as dbt-postgres
//! runs them: everything that replaces a relation happens in one transaction, so a failed
//! statement or a lost connection rolls back to the previous relation.
//!
//! - view / table: `create <kind> <alias>__dbt_tmp as (...)`, rename the old relation to
//!   `<alias>__dbt_backup`, rename the new one into place, commit, then drop the backup
//!   (`cascade`, so views built on the old relation go with it, as in dbt-postgres).
//! - seeds: drop (cascade) and create the table, or truncate the existing one without
//!   `--full-refresh`, then insert the rows in batches, grant (revoking, when the table
//!   was kept, what `grants` no longer lists) and index a new table, all in one
//!   transaction.

pub mod grants;
pub mod indexes;

use serde_json::{Map, Value};

use super::run::{BuildOutcome, Materialization};
use super::seed::{Loaded, SeedSpec, infer_type};
use super::{Adapter, Relation};

fn with_suffix(relation: &Relation, suffix: &str) -> Relation {
    Relation {
        identifier: format!("{}{suffix}", relation.identifier),
        ..relation.clone()
    }
}

fn kind_keyword(kind: &str) -> &'static str {
    if kind == "view" { "VIEW" } else { "TABLE" }
}

/// Drops `relation` when it exists (with `cascade` where the adapter needs it).
fn drop_if_exists(adapter: &mut dyn Adapter, relation: &Relation) -> Result<(), String> {
    if let Some(kind) = adapter.relation_kind(relation)? {
        let sql = format!(
            "DROP {} IF EXISTS {}{}",
            kind_keyword(&kind),
            adapter.render_relation(relation),
            adapter.drop_cascade()
        );
        adapter.execute(&sql)?;
    }
    Ok(())
}

/// Runs `body` between BEGIN and COMMIT; any error rolls back (a lost connection has
/// rolled back already: the rollback's own error is ignored).
fn in_transaction(
    adapter: &mut dyn Adapter,
    body: impl FnOnce(&mut dyn Adapter) -> Result<(), String>,
) -> Result<(), String> {
    adapter.begin()?;
    match body(adapter) {
        Ok(()) => adapter.commit(),
        Err(e) => {
            let _ = adapter.rollback();
            Err(e)
        }
    }
}

/// What dbt-postgres does to a relation after building it, in the same transaction:
/// `indexes` on a table (before it is renamed into place), then `grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostBuild {
    pub grants: grants::Grants,
    pub indexes: Vec<indexes::Index>,
}

impl PostBuild {
    /// Reads `grants` and `indexes` from a node's resolved config.
    pub fn from_config(config: &Map<String, Value>) -> Result<PostBuild, String> {
        Ok(PostBuild {
            grants: grants::Grants::from_config(config)?,
            indexes: indexes::from_config(config)?,
        })
    }
}

/// Builds a view or table model (or an incremental model's first build) with
/// dbt-postgres's rename dance. `existing` is the kind of the current relation.
pub fn build_model(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    existing: Option<&str>,
    materialization: Materialization,
    sql: &str,
) -> Result<BuildOutcome, String> {
    build_model_with(
        adapter,
        relation,
        existing,
        materialization,
        sql,
        &PostBuild::default(),
    )
}

/// [`build_model`] with the model's `indexes` (tables) and `grants`, as dbt-postgres's
/// table and view materializations apply them.
pub fn build_model_with(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    existing: Option<&str>,
    materialization: Materialization,
    sql: &str,
    post: &PostBuild,
) -> Result<BuildOutcome, String> {
    let tmp = with_suffix(relation, "__dbt_tmp");
    let backup = with_suffix(relation, "__dbt_backup");
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&relation.schema)
    ))?;
    // Leftovers of a build that was interrupted outside a transaction.
    drop_if_exists(adapter, &tmp)?;
    drop_if_exists(adapter, &backup)?;
    let kind = match materialization {
        Materialization::View => "view",
        Materialization::Table | Materialization::Incremental => "table",
    };
    let create = format!(
        "create {kind} {} as (\n{sql}\n)",
        adapter.render_relation(&tmp)
    );
    in_transaction(adapter, |a| {
        a.execute(&create)?;
        if kind == "table" {
            indexes::create_indexes(a, &tmp, &post.indexes)?;
        }
        if let Some(old) = existing {
            a.execute(&format!(
                "ALTER {} {} RENAME TO {}",
                kind_keyword(old),
                a.render_relation(relation),
                a.quote(&backup.identifier)
            ))?;
        }
        a.execute(&format!(
            "ALTER {} {} RENAME TO {}",
            kind_keyword(kind),
            a.render_relation(&tmp),
            a.quote(&relation.identifier)
        ))?;
        // A replaced relation starts without grants (dbt-postgres: copy_grants is false).
        grants::apply_grants(a, relation, &post.grants, false)?;
        Ok(())
    })?;
    if let Some(old) = existing {
        adapter.execute(&format!(
            "DROP {} IF EXISTS {}{}",
            kind_keyword(old),
            adapter.render_relation(&backup),
            adapter.drop_cascade()
        ))?;
    }
    Ok(BuildOutcome::Built {
        status: "OK".into(),
        sql: create,
    })
}

fn is_null(s: &str) -> bool {
    let t = s.trim().to_ascii_lowercase();
    t.is_empty() || t == "null"
}

fn is_plain_number(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac) && exponent_ok
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A CSV's header and rows (None: a null value).
type CsvText = (Vec<String>, Vec<Vec<Option<String>>>);

/// The CSV's header and rows (`""` and `null` are null, as agate reads them).
fn read_csv(spec: &SeedSpec) -> Result<CsvText, String> {
    let delimiter = spec.delimiter.bytes().next().unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(&spec.csv)
        .map_err(|e| format!("{}: {e}", spec.csv.display()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", spec.csv.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", spec.csv.display()))?;
        rows.push(
            record
                .iter()
                .map(|v| (!is_null(v)).then(|| v.to_string()))
                .collect(),
        );
    }
    Ok((header, rows))
}

/// Rows per INSERT statement (dbt's default batch size).
const BATCH: usize = 10_000;

/// Loads one seed in one transaction. The old table survives any failure.
pub fn load_seed(
    adapter: &mut dyn Adapter,
    spec: &SeedSpec,
    full_refresh: bool,
) -> Result<Loaded, String> {
    if !spec.csv.is_file() {
        return Err(format!("seed file {} not found", spec.csv.display()));
    }
    let post = spec.post_build.as_ref().map_err(Clone::clone)?;
    let (header, rows) = read_csv(spec)?;
    // Numbers go in unquoted (as the Decimal dbt binds), so `12.00` fits an integer column.
    let mut numeric = Vec::with_capacity(header.len());
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let ty = match spec.column_types.get(name) {
            Some(Value::String(t)) => t.clone(),
            Some(other) => other.to_string(),
            None => {
                let inferred = infer_type(rows.iter().map(|r| r.get(i).and_then(Option::as_deref)));
                if matches!(inferred, "INTEGER" | "DOUBLE") {
                    numeric.push(i);
                }
                adapter.seed_type(inferred)
            }
        };
        let quoted = if spec.quote_columns {
            adapter.quote(name)
        } else {
            name.clone()
        };
        columns.push((quoted, ty));
    }
    let rel = &spec.relation;
    let target = adapter.render_relation(rel);
    let existing = adapter.relation_kind(rel)?;
    // dbt's seed materialization: a kept (truncated) table keeps its grants, which are
    // compared with the config (should_revoke), and its indexes.
    let kept = existing.as_deref() == Some("table") && !full_refresh;
    let mut statements = Vec::new();
    if kept {
        statements.push(format!("TRUNCATE TABLE {target}"));
    } else {
        if let Some(kind) = existing.as_deref() {
            statements.push(format!(
                "DROP {} IF EXISTS {target}{}",
                kind_keyword(kind),
                adapter.drop_cascade()
            ));
        }
        let cols: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
        statements.push(format!("CREATE TABLE {target} ({})", cols.join(", ")));
    }
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let insert_head = format!("INSERT INTO {target} ({}) VALUES\n", names.join(", "));
    let mut inserts = Vec::new();
    for chunk in rows.chunks(BATCH) {
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let cells: Vec<String> = (0..header.len())
                    .map(|i| match row.get(i).and_then(Option::as_deref) {
                        None => "NULL".to_string(),
                        Some(v) if numeric.contains(&i) && is_plain_number(v) => {
                            v.trim().to_string()
                        }
                        Some(v) => sql_string(v),
                    })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        inserts.push(format!("{insert_head}{}", values.join(",\n")));
    }
    let schema = format!("CREATE SCHEMA IF NOT EXISTS {}", adapter.quote(&rel.schema));
    in_transaction(adapter, |a| {
        a.execute(&schema)?;
        for statement in statements.iter().chain(&inserts) {
            a.execute(statement)?;
        }
        // As dbt: grants, then (persist_docs, run by the caller's `after` step, and)
        // indexes; the caller's post-hooks come after all of them.
        grants::apply_grants(a, rel, &post.grants, kept)?;
        if !kept {
            indexes::create_indexes(a, rel, &post.indexes)?;
        }
        Ok(())
    })?;
    // target/run gets the DDL and the first statement of the insert (not every row).
    let mut sql = statements.join(";\n");
    sql.push_str(&format!(";\n{insert_head}...;\n"));
    Ok(Loaded {
        rows: rows.len(),
        sql,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers() {
        for ok in ["1", "-2.50", "12.00", "1e3", ".5", "+3"] {
            assert!(is_plain_number(ok), "{ok}");
        }
        for bad in ["", "$1", "1,000", "e3", "1e", "abc", "1.2.3"] {
            assert!(!is_plain_number(bad), "{bad}");
        }
    }
}
