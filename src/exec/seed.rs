//! Loading seeds the way dbt-duckdb does: column types inferred like dbt's agate type
//! tester (overridden by `column_types`), then `COPY ... FROM` the CSV. Each load goes
//! into a temporary table that replaces the old one only when the load succeeded; the
//! new table then gets the seed's `indexes` when dbt-duckdb would create the table, or the
//! old table's indexes when it would truncate it (and keep them). `grants` are no-ops
//! on DuckDB, as in dbt-duckdb; on Postgres see [`super::transactional::load_seed`].

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::transactional::PostBuild;
use super::{Adapter, Relation};

/// What loading one seed needs.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub unique_id: String,
    pub relation: Relation,
    pub csv: PathBuf,
    /// `column_types` config: column name -> type.
    pub column_types: Map<String, Value>,
    pub delimiter: String,
    pub quote_columns: bool,
    /// `grants` and `indexes`; an error is the config's problem (the load fails).
    pub post_build: Result<PostBuild, String>,
}

impl SeedSpec {
    /// `schema.alias`, as dbt prints it.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.relation.schema, self.relation.identifier)
    }
}

fn is_null(s: &str) -> bool {
    let t = s.trim().to_ascii_lowercase();
    t.is_empty() || t == "null"
}

/// agate's Number (a Python Decimal, after stripping `%`, a leading `-`, currency symbols
/// and `,` group separators): Some(decimal places of the normalized value) when it parses.
fn number_precision(s: &str) -> Option<usize> {
    let t = s.trim().trim_matches('%');
    let t = t.strip_prefix('-').unwrap_or(t);
    let t = t.trim_matches(['$', '£', '€', '¥']).replace(',', "");
    let t = t.strip_prefix(['+', '-']).unwrap_or(&t);
    if matches!(
        t.to_ascii_lowercase().as_str(),
        "nan" | "snan" | "inf" | "infinity"
    ) {
        return Some(0);
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, b),
        None => (mantissa, ""),
    };
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac.is_empty()) || !digits(int_part) || !digits(frac) {
        return None;
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => e.parse().ok()?,
    };
    // Decimal.normalize() drops trailing zeros: 12.00 has no decimal places.
    let places = frac.trim_end_matches('0').len() as i64;
    Some((places - exp).max(0) as usize)
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").is_ok()
}

fn is_datetime(s: &str) -> bool {
    let t = s.trim();
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_ok()
        || chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").is_ok()
        || chrono::DateTime::parse_from_rfc3339(t).is_ok()
}

fn is_boolean(s: &str) -> bool {
    matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "false")
}

/// The DuckDB type dbt-duckdb creates for a column with these values (dbt's agate tester
/// order: Integer, Number, Date, DateTime, ISO DateTime, Boolean, Text; nulls are
/// `""` and `null`).
pub fn infer_type<'a>(values: impl Iterator<Item = Option<&'a str>> + Clone) -> &'static str {
    // dbt's Integer type never accepts text, so every number is an agate Number: integer
    // without decimal places, double with (dbt-duckdb's convert_number_type).
    let present = values.filter_map(|v| v.filter(|s| !is_null(s)));
    let mut precision = Some(0);
    for v in present.clone() {
        precision = match (precision, number_precision(v)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    if let Some(p) = precision {
        return if p > 0 { "DOUBLE" } else { "INTEGER" };
    }
    if present.clone().all(is_date) {
        return "DATE";
    }
    if present.clone().all(is_datetime) {
        return "TIMESTAMP";
    }
    if present.clone().all(is_boolean) {
        return "BOOLEAN";
    }
    "VARCHAR"
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn csv_options(spec: &SeedSpec) -> String {
    format!("DELIMITER {}", sql_string(&spec.delimiter))
}

/// A CSV's header and rows (None: empty field).
type CsvText = (Vec<String>, Vec<Vec<Option<String>>>);

/// The CSV's header and its values as text (read by DuckDB with every column VARCHAR).
fn read_csv_text(adapter: &mut dyn Adapter, spec: &SeedSpec) -> Result<CsvText, String> {
    let sql = format!(
        "SELECT * FROM read_csv({}, header = true, all_varchar = true, auto_detect = true, delim = {})",
        sql_string(&spec.csv.to_string_lossy()),
        sql_string(&spec.delimiter)
    );
    let result = adapter.query(&sql)?;
    let header = result.columns.into_iter().map(|c| c.name).collect();
    let rows = result
        .rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    Ok((header, rows))
}

/// The columns to create: (name, type), `column_types` winning over inference.
pub fn seed_columns(
    adapter: &mut dyn Adapter,
    spec: &SeedSpec,
) -> Result<Vec<(String, String)>, String> {
    let (header, rows) = read_csv_text(adapter, spec)?;
    Ok(header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let ty = match spec.column_types.get(name) {
                Some(Value::String(t)) => t.clone(),
                Some(other) => other.to_string(),
                None => infer_type(rows.iter().map(move |r| r[i].as_deref())).to_string(),
            };
            (name.clone(), ty)
        })
        .collect())
}

/// A loaded seed: its row count and the statements that created and filled its table
/// (written to target/run, as dbt does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub rows: usize,
    pub sql: String,
}

/// Loads one seed. The old table survives any failure.
pub fn load_seed(
    adapter: &mut dyn Adapter,
    spec: &SeedSpec,
    full_refresh: bool,
) -> Result<Loaded, String> {
    if adapter.transactional_ddl() {
        return super::transactional::load_seed(adapter, spec, full_refresh);
    }
    if !spec.csv.is_file() {
        return Err(format!("seed file {} not found", spec.csv.display()));
    }
    let rel = &spec.relation;
    let tmp = Relation {
        identifier: format!("{}__dbtc_tmp", rel.identifier),
        ..rel.clone()
    };
    let target = adapter.render_relation(rel);
    let tmp_sql = adapter.render_relation(&tmp);
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&rel.schema)
    ))?;
    adapter.execute(&format!("DROP TABLE IF EXISTS {tmp_sql}"))?;
    let existing = adapter.relation_kind(rel)?;
    // dbt-duckdb truncates a table it keeps (its indexes stay) and indexes a new one,
    // where an index with a `type` is an error (its index config has only `columns` and
    // `unique`). This load always makes a new table: it gets the indexes the kept table
    // would have (the old table's, whatever the config says now).
    let kept = existing.as_deref() == Some("table") && !full_refresh;
    let post = spec.post_build.as_ref().map_err(Clone::clone)?;
    if !kept && post.indexes.iter().any(|i| i.method.is_some()) {
        return Err(
            "Could not parse index config: at path []: Additional properties are not allowed ('type' was unexpected)"
                .into(),
        );
    }
    let indexes = if kept {
        existing_indexes(adapter, rel)?
    } else {
        post.indexes
            .iter()
            .map(|i| super::transactional::indexes::create_index_sql(adapter, rel, i))
            .collect()
    };
    let create = if kept {
        // As dbt: without --full-refresh the existing table (and its types) is reused.
        format!("CREATE TABLE {tmp_sql} AS SELECT * FROM {target} LIMIT 0")
    } else {
        let columns = seed_columns(adapter, spec)?;
        let cols: Vec<String> = columns
            .iter()
            .map(|(name, ty)| {
                let name = if spec.quote_columns {
                    adapter.quote(name)
                } else {
                    name.clone()
                };
                format!("{name} {ty}")
            })
            .collect();
        format!("CREATE TABLE {tmp_sql} ({})", cols.join(", "))
    };
    let copy = format!(
        "COPY {tmp_sql} FROM {} (FORMAT CSV, HEADER TRUE, {})",
        sql_string(&spec.csv.to_string_lossy()),
        csv_options(spec)
    );
    let loaded = (|| -> Result<usize, String> {
        adapter.execute(&create)?;
        adapter.execute(&copy)?;
        let count = adapter.query(&format!("SELECT count(*) FROM {tmp_sql}"))?;
        Ok(count
            .rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize)
    })();
    let rows = match loaded {
        Ok(n) => n,
        Err(e) => {
            let _ = adapter.execute(&format!("DROP TABLE IF EXISTS {tmp_sql}"));
            return Err(e);
        }
    };
    // Swap: drop the old relation and rename the new table in one transaction.
    adapter.begin()?;
    let swapped = (|| -> Result<(), String> {
        match existing.as_deref() {
            Some("view") => adapter.execute(&format!("DROP VIEW {target}"))?,
            Some(_) => adapter.execute(&format!("DROP TABLE {target}"))?,
            None => {}
        }
        adapter.execute(&format!(
            "ALTER TABLE {tmp_sql} RENAME TO {}",
            adapter.quote(&rel.identifier)
        ))
    })();
    match swapped {
        Ok(()) => adapter.commit()?,
        Err(e) => {
            let _ = adapter.rollback();
            let _ = adapter.execute(&format!("DROP TABLE IF EXISTS {tmp_sql}"));
            return Err(e);
        }
    }
    // After the rename: DuckDB does not rename a table that has indexes.
    for index in &indexes {
        adapter.execute(index)?;
    }
    Ok(Loaded {
        rows,
        sql: format!("{create};\n{copy};\n"),
    })
}

/// The `create index` statements of `relation`'s indexes in DuckDB (to give a table that
/// replaces it the same ones).
fn existing_indexes(adapter: &mut dyn Adapter, relation: &Relation) -> Result<Vec<String>, String> {
    let rows = adapter
        .query(&format!(
            "select index_name, is_unique, expressions from duckdb_indexes() \
             where schema_name = {} and table_name = {} order by index_name",
            sql_string(&relation.schema),
            sql_string(&relation.identifier)
        ))?
        .rows;
    let target = adapter.render_relation(relation);
    Ok(rows
        .iter()
        .filter_map(|r| {
            let name = r.first()?.as_str()?;
            let unique = r.get(1)?.as_bool()?;
            let expressions = r.get(2)?.as_str()?;
            let columns = expressions
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(expressions);
            Some(format!(
                "create {}index {} on {target} ({columns})",
                if unique { "unique " } else { "" },
                adapter.quote(name)
            ))
        })
        .collect())
}

/// The spec of a seed node from its config and relation.
pub fn seed_spec(
    unique_id: &str,
    csv: &Path,
    config: &Map<String, Value>,
    schema: &str,
    identifier: &str,
) -> SeedSpec {
    SeedSpec {
        unique_id: unique_id.to_string(),
        relation: Relation {
            database: None,
            schema: schema.to_string(),
            identifier: identifier.to_string(),
        },
        csv: csv.to_path_buf(),
        column_types: config
            .get("column_types")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        delimiter: config
            .get("delimiter")
            .and_then(Value::as_str)
            .unwrap_or(",")
            .to_string(),
        quote_columns: config
            .get("quote_columns")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        post_build: PostBuild::from_config(config),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> &'static str {
        infer_type(values.iter().map(|v| Some(*v)))
    }

    #[test]
    fn agate_like_inference() {
        assert_eq!(infer(&["1", "2", ""]), "INTEGER");
        assert_eq!(infer(&["1", "2.50"]), "DOUBLE");
        assert_eq!(infer(&["12.00", "1.0"]), "INTEGER");
        assert_eq!(infer(&["12.00", "10.50"]), "DOUBLE");
        assert_eq!(infer(&["1e3", "2"]), "INTEGER");
        assert_eq!(infer(&["null", ""]), "INTEGER");
        assert_eq!(infer(&["yes", "no"]), "VARCHAR");
        assert_eq!(infer(&["2024-01-05", "null"]), "DATE");
        assert_eq!(infer(&["2024-01"]), "VARCHAR");
        assert_eq!(infer(&["2024-01-05 10:00:00"]), "TIMESTAMP");
        assert_eq!(infer(&["2024-01-05T10:00:00Z"]), "TIMESTAMP");
        assert_eq!(infer(&["true", "False"]), "BOOLEAN");
        assert_eq!(infer(&["DE", "1"]), "VARCHAR");
    }
}
