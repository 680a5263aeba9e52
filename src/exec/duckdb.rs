//! The DuckDB adapter (`type: duckdb` profiles): `path` (relative to the project folder, or
//! `:memory:`) and `schema`.

use std::path::Path;

use duckdb::Connection;
use duckdb::types::{Value as DValue, ValueRef};
use serde_json::Value;

use super::{Adapter, Column, QueryResult, Relation};
use crate::project::profiles::Target;

pub struct DuckDbAdapter {
    conn: Connection,
}

fn err(e: duckdb::Error) -> String {
    e.to_string()
}

/// The database file a target points at (None: in memory).
pub fn database_path(target: &Target, project_dir: &Path) -> Option<std::path::PathBuf> {
    match target.fields.get("path").and_then(Value::as_str) {
        None | Some("") | Some(":memory:") => None,
        Some(p) => {
            let p = Path::new(p);
            Some(if p.is_absolute() {
                p.to_path_buf()
            } else {
                project_dir.join(p)
            })
        }
    }
}

/// The size and modification time of a DuckDB file and of its WAL (or that they are
/// absent), one line each: what a cache keyed on the database's state records of it.
pub fn file_state(path: &Path) -> String {
    let wal = std::path::PathBuf::from(format!("{}.wal", path.display()));
    let mut out = String::new();
    for file in [path.to_path_buf(), wal] {
        let meta = std::fs::metadata(&file).ok();
        let mtime = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos());
        out.push_str(&format!(
            "{}:{:?}:{mtime:?}\n",
            file.display(),
            meta.map(|m| m.len())
        ));
    }
    out
}

impl DuckDbAdapter {
    pub fn open(target: &Target, project_dir: &Path) -> Result<DuckDbAdapter, String> {
        let conn = match database_path(target, project_dir) {
            None => Connection::open_in_memory().map_err(err)?,
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        Ok(DuckDbAdapter { conn })
    }

    /// Another connection to the same database (its own transactions and temporary
    /// tables): one per worker thread. DuckDB locks a database file per process, so
    /// workers share this database instance instead of opening the file again.
    pub fn try_clone(&self) -> Result<DuckDbAdapter, String> {
        Ok(DuckDbAdapter {
            conn: self.conn.try_clone().map_err(err)?,
        })
    }

    /// Interrupts the query running on this connection (from any thread: Ctrl-C).
    pub fn interrupt_handle(&self) -> std::sync::Arc<duckdb::InterruptHandle> {
        self.conn.interrupt_handle()
    }

    pub fn in_memory() -> Result<DuckDbAdapter, String> {
        Ok(DuckDbAdapter {
            conn: Connection::open_in_memory().map_err(err)?,
        })
    }
}

fn to_json(v: ValueRef<'_>) -> Value {
    value_json(v.to_owned())
}

/// A query value as JSON, written as dbt-duckdb hands it to Jinja (through the duckdb Python
/// client and an agate table): values agate keeps as text are Python's `str()` of the
/// client's object (`time` -> `12:30:00`, `INTERVAL` -> timedelta's `3 days, 0:00:00`,
/// `BLOB` -> bytes' `b'..'`, `LIST`/`STRUCT`/`MAP` -> `json.dumps`); `DECIMAL` and
/// `HUGEINT` as their exact digits, which `jinja::live` turns into numbers by column type.
fn value_json(v: DValue) -> Value {
    match v {
        DValue::Null => Value::Null,
        DValue::Boolean(b) => Value::Bool(b),
        DValue::TinyInt(i) => i.into(),
        DValue::SmallInt(i) => i.into(),
        DValue::Int(i) => i.into(),
        DValue::BigInt(i) => i.into(),
        DValue::UTinyInt(i) => i.into(),
        DValue::USmallInt(i) => i.into(),
        DValue::UInt(i) => i.into(),
        DValue::UBigInt(i) => i.into(),
        DValue::HugeInt(i) => i64::try_from(i).map_or(Value::String(i.to_string()), Value::from),
        DValue::UHugeInt(i) => u64::try_from(i).map_or(Value::String(i.to_string()), Value::from),
        DValue::Float(f) => {
            serde_json::Number::from_f64(f.into()).map_or(Value::Null, Value::Number)
        }
        DValue::Double(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        DValue::Decimal(d) => Value::String(d.to_string()),
        DValue::Text(s) | DValue::Enum(s) => Value::String(s),
        // Dates and timestamps as their text (was the Rust debug form, `Date32(19783)`).
        DValue::Date32(days) => chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)
            .map_or(Value::Null, |d| Value::String(d.date_naive().to_string())),
        DValue::Timestamp(unit, v) => chrono::DateTime::from_timestamp_micros(unit.to_micros(v))
            .map_or(Value::Null, |d| Value::String(d.naive_utc().to_string())),
        DValue::Time64(unit, v) => Value::String(py_time(unit.to_micros(v))),
        DValue::Interval {
            months,
            days,
            nanos,
        } => Value::String(py_timedelta(months, days, nanos)),
        DValue::Blob(bytes) | DValue::Geometry(bytes) => Value::String(py_bytes(&bytes)),
        DValue::Union(inner) => value_json(*inner),
        nested @ (DValue::List(_) | DValue::Array(_) | DValue::Struct(_) | DValue::Map(_)) => {
            let mut out = String::new();
            py_json(&nested, &mut out);
            Value::String(out)
        }
        other => Value::String(format!("{other:?}")),
    }
}

/// Python's `str(datetime.time)`: `HH:MM:SS`, `.ffffff` only when there are microseconds.
fn py_time(micros: i64) -> String {
    let micros = micros.rem_euclid(86_400_000_000);
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let hms = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac == 0 {
        hms
    } else {
        format!("{hms}.{frac:06}")
    }
}

/// Python's `str(timedelta)` of the duckdb client's conversion of an interval (a month is
/// 30 days): `3 days, 0:00:00`, `-1 day, 23:00:00`, `1:30:00.500000`.
fn py_timedelta(months: i32, days: i32, nanos: i64) -> String {
    let total_us =
        (i128::from(months) * 30 + i128::from(days)) * 86_400_000_000 + i128::from(nanos / 1_000);
    let day_us = 86_400_000_000_i128;
    let days = total_us.div_euclid(day_us);
    let rest = total_us.rem_euclid(day_us);
    let secs = rest / 1_000_000;
    let frac = rest % 1_000_000;
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() == 1 { "" } else { "s" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ));
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

/// Python's `str(bytes)`: `b'\xaaA'` (double quotes when the bytes hold `'` and no `"`).
fn py_bytes(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// Python's `json.dumps` (dbt's forgiving encoder: what JSON cannot hold is its `str()`)
/// of the duckdb client's object for a nested value: lists, dicts for structs and maps.
fn py_json(v: &DValue, out: &mut String) {
    let items = |out: &mut String, values: &mut dyn Iterator<Item = &DValue>| {
        out.push('[');
        for (i, item) in values.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            py_json(item, out);
        }
        out.push(']');
    };
    match v {
        DValue::List(values) | DValue::Array(values) => items(out, &mut values.iter()),
        DValue::Struct(fields) => {
            let pairs = fields.iter().map(|(k, v)| (k.clone(), v));
            py_json_object(pairs, out);
        }
        DValue::Map(entries) => {
            let pairs = entries.iter().map(|(k, v)| (json_key(k), v));
            py_json_object(pairs, out);
        }
        DValue::Union(inner) => py_json(inner, out),
        // dbt's encoder: a Decimal as a float, datetimes by `isoformat()`, the rest `str()`.
        DValue::Decimal(d) => out.push_str(&py_float(d.to_string().parse().unwrap_or(0.0))),
        DValue::Timestamp(unit, v) => {
            match chrono::DateTime::from_timestamp_micros(unit.to_micros(*v)) {
                Some(d) => {
                    let text = d.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
                    py_json_str(text.strip_suffix(".000000").unwrap_or(&text), out);
                }
                None => out.push_str("null"),
            }
        }
        DValue::HugeInt(i) => out.push_str(&i.to_string()),
        DValue::UHugeInt(i) => out.push_str(&i.to_string()),
        other => match value_json(other.clone()) {
            Value::String(s) => py_json_str(&s, out),
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Value::Number(n) if n.is_f64() => out.push_str(&py_float(n.as_f64().unwrap_or(0.0))),
            other => out.push_str(&other.to_string()),
        },
    }
}

fn py_json_object<'a>(pairs: impl Iterator<Item = (String, &'a DValue)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        py_json_str(&k, out);
        out.push_str(": ");
        py_json(v, out);
    }
    out.push('}');
}

/// A map key as `json.dumps` writes it: strings as they are, numbers and booleans as text.
fn json_key(k: &DValue) -> String {
    match value_json(k.clone()) {
        Value::String(s) => s,
        Value::Bool(b) => (if b { "true" } else { "false" }).to_string(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// A JSON string as Python writes it (`ensure_ascii`: non-ASCII as `\uXXXX`).
pub(crate) fn py_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)` for finite values JSON can hold (`1e+20`, `1.5`, `0.0001`).
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let exp = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    if (-4..16).contains(&exp) {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{f:e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", e.abs())
    }
}

/// Types whose values the client hands over as their storage bytes.
#[derive(Clone, Copy)]
enum ByteType {
    Bit,
    Bignum,
}

impl ByteType {
    fn of(t: &duckdb::core::LogicalTypeHandle) -> Option<ByteType> {
        use duckdb::core::LogicalTypeId as Id;
        match t.id() {
            Id::Bit => Some(ByteType::Bit),
            Id::Bignum => Some(ByteType::Bignum),
            _ => None,
        }
    }

    /// The value as dbt-duckdb shows it: a bit string's `0`/`1` digits, a big integer's
    /// decimal digits.
    fn text(self, bytes: &[u8]) -> String {
        match self {
            ByteType::Bit => bit_text(bytes),
            ByteType::Bignum => bignum_text(bytes),
        }
    }
}

/// DuckDB's BIT storage: a byte counting the padding bits, then the bits, padding first.
fn bit_text(bytes: &[u8]) -> String {
    let Some((&padding, bits)) = bytes.split_first() else {
        return String::new();
    };
    let all: String = bits.iter().map(|b| format!("{b:08b}")).collect();
    all.get(usize::from(padding)..)
        .unwrap_or_default()
        .to_string()
}

/// DuckDB's BIGNUM storage: a 3-byte header (top bit set: not negative) then the
/// big-endian magnitude; a negative number has header and magnitude bits inverted.
fn bignum_text(bytes: &[u8]) -> String {
    let Some(header) = bytes.first() else {
        return String::new();
    };
    let negative = header & 0x80 == 0;
    let mut magnitude: Vec<u8> = bytes
        .get(3..)
        .unwrap_or_default()
        .iter()
        .map(|b| if negative { !b } else { *b })
        .collect();
    // Repeated division by 10 of the big-endian bytes gives the digits, last first.
    let mut digits = Vec::new();
    while magnitude.iter().any(|b| *b != 0) {
        let mut rest = 0u32;
        for b in magnitude.iter_mut() {
            let cur = (rest << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rest = cur % 10;
        }
        digits.push(char::from(b'0' + rest as u8));
    }
    if digits.is_empty() {
        return "0".into();
    }
    if negative {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn type_name(t: &duckdb::core::LogicalTypeHandle) -> String {
    use duckdb::core::LogicalTypeId as Id;
    match t.id() {
        Id::Decimal => format!("DECIMAL({},{})", t.decimal_width(), t.decimal_scale()),
        Id::Varchar => "VARCHAR".into(),
        Id::Integer => "INTEGER".into(),
        Id::Bigint => "BIGINT".into(),
        Id::Smallint => "SMALLINT".into(),
        Id::Tinyint => "TINYINT".into(),
        Id::Double => "DOUBLE".into(),
        Id::Float => "FLOAT".into(),
        Id::Boolean => "BOOLEAN".into(),
        Id::Date => "DATE".into(),
        Id::Timestamp => "TIMESTAMP".into(),
        Id::TimestampTZ => "TIMESTAMP WITH TIME ZONE".into(),
        Id::TimestampS => "TIMESTAMP_S".into(),
        Id::TimestampMs => "TIMESTAMP_MS".into(),
        Id::TimestampNs => "TIMESTAMP_NS".into(),
        Id::Time => "TIME".into(),
        Id::Interval => "INTERVAL".into(),
        Id::Hugeint => "HUGEINT".into(),
        Id::UHugeint => "UHUGEINT".into(),
        Id::UBigint => "UBIGINT".into(),
        Id::UInteger => "UINTEGER".into(),
        Id::USmallint => "USMALLINT".into(),
        Id::UTinyint => "UTINYINT".into(),
        Id::Uuid => "UUID".into(),
        Id::Blob => "BLOB".into(),
        Id::Bit => "BIT".into(),
        Id::Bignum => "BIGNUM".into(),
        other => format!("{other:?}").to_uppercase(),
    }
}

impl Adapter for DuckDbAdapter {
    fn adapter_type(&self) -> &'static str {
        "duckdb"
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.conn.execute_batch(sql).map_err(err)
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows_out = Vec::new();
        let mut rows = stmt.query([]).map_err(err)?;
        // The columns whose values arrive as bytes to decode (BIT, BIGNUM), by index.
        let mut byte_types: Option<Vec<Option<ByteType>>> = None;
        while let Some(row) = rows.next().map_err(err)? {
            let stmt = row.as_ref();
            let n = stmt.column_count();
            let byte_types = byte_types.get_or_insert_with(|| {
                (0..n)
                    .map(|i| ByteType::of(&stmt.column_logical_type(i)))
                    .collect()
            });
            let mut values = Vec::with_capacity(n);
            for (i, byte_type) in byte_types.iter().enumerate() {
                let value = row.get_ref(i).map_err(err)?;
                values.push(match (*byte_type, value) {
                    (Some(t), ValueRef::Blob(bytes)) => Value::String(t.text(bytes)),
                    (_, value) => to_json(value),
                });
            }
            rows_out.push(values);
        }
        drop(rows);
        let names = stmt.column_names();
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Column {
                name,
                data_type: type_name(&stmt.column_logical_type(i)),
            })
            .collect();
        Ok(QueryResult {
            columns,
            rows: rows_out,
        })
    }

    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String> {
        let mut stmt = self
            .conn
            .prepare(
                "select table_type from information_schema.tables \
                 where table_catalog = current_database() and table_schema = ? and table_name = ?",
            )
            .map_err(err)?;
        let mut rows = stmt
            .query([&relation.schema, &relation.identifier])
            .map_err(err)?;
        Ok(match rows.next().map_err(err)? {
            None => None,
            Some(row) => {
                let t: String = row.get(0).map_err(err)?;
                Some(if t == "VIEW" { "view" } else { "table" }.to_string())
            }
        })
    }

    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String> {
        if !self.relation_exists(relation)? {
            return Ok(Vec::new());
        }
        let result = self.query(&format!("DESCRIBE {}", self.render_relation(relation)))?;
        Ok(result
            .rows
            .into_iter()
            .map(|r| Column {
                name: r[0].as_str().unwrap_or_default().to_string(),
                data_type: r[1].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings are Python 3's `repr(float)`, `str(timedelta)`, `str(bytes)` and
    /// `json.dumps` of the same values (checked with python3).
    #[test]
    fn python_texts() {
        let floats = [
            (1.5, "1.5"),
            (2.0, "2.0"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
        ];
        for (f, want) in floats {
            assert_eq!(py_float(f), want);
        }
        assert_eq!(py_float(1.5e20), "1.5e+20");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456789012345.6), "123456789012345.6");
        assert_eq!(py_timedelta(0, 0, -1_000), "-1 day, 23:59:59.999999");
        assert_eq!(py_timedelta(0, 2, 3_600_000_000_000), "2 days, 1:00:00");
        assert_eq!(py_time(1_500_000), "00:00:01.500000");
        assert_eq!(py_bytes(b"a\"'\\\n\x7f"), "b'a\"\\'\\\\\\n\\x7f'");
        let mut out = String::new();
        py_json_str("\u{1f600}\u{7f}", &mut out);
        assert_eq!(out, "\"\\ud83d\\ude00\\u007f\"");
    }
}
