//! Type names exactly as DuckDB's `DESCRIBE` prints them.

use std::fmt;

use super::SqlType;

/// Writes a struct field or union member name as DuckDB prints it: bare when it is a plain
/// ASCII identifier that is not a keyword (any category), else double-quoted.
fn write_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let plain = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain && !crate::sql::catalog::is_keyword(name) {
        f.write_str(name)
    } else {
        write!(f, "\"{}\"", name.replace('"', "\"\""))
    }
}

fn write_fields(f: &mut fmt::Formatter<'_>, fields: &[(String, SqlType)]) -> fmt::Result {
    f.write_str("(")?;
    for (i, (n, t)) in fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_name(f, n)?;
        write!(f, " {t}")?;
    }
    f.write_str(")")
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            SqlType::Null => "\"NULL\"",
            SqlType::Boolean => "BOOLEAN",
            SqlType::TinyInt => "TINYINT",
            SqlType::SmallInt => "SMALLINT",
            SqlType::Integer => "INTEGER",
            SqlType::BigInt => "BIGINT",
            SqlType::HugeInt => "HUGEINT",
            SqlType::UTinyInt => "UTINYINT",
            SqlType::USmallInt => "USMALLINT",
            SqlType::UInteger => "UINTEGER",
            SqlType::UBigInt => "UBIGINT",
            SqlType::UHugeInt => "UHUGEINT",
            SqlType::Float => "FLOAT",
            SqlType::Double => "DOUBLE",
            SqlType::Varchar => "VARCHAR",
            SqlType::Blob => "BLOB",
            SqlType::Date => "DATE",
            SqlType::Time => "TIME",
            SqlType::TimeTz => "TIME WITH TIME ZONE",
            SqlType::Timestamp => "TIMESTAMP",
            SqlType::TimestampS => "TIMESTAMP_S",
            SqlType::TimestampMs => "TIMESTAMP_MS",
            SqlType::TimestampNs => "TIMESTAMP_NS",
            SqlType::TimestampTz => "TIMESTAMP WITH TIME ZONE",
            SqlType::Interval => "INTERVAL",
            SqlType::Uuid => "UUID",
            SqlType::Json => "JSON",
            SqlType::Bit => "BIT",
            SqlType::Unknown => "UNKNOWN",
            SqlType::Other(name) => name,
            SqlType::Decimal { width, scale } => return write!(f, "DECIMAL({width},{scale})"),
            SqlType::List(e) => return write!(f, "{e}[]"),
            SqlType::Array(e, n) => return write!(f, "{e}[{n}]"),
            SqlType::Map(k, v) => return write!(f, "MAP({k}, {v})"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT")?;
                return write_fields(f, fields);
            }
            SqlType::Union(fields) => {
                f.write_str("UNION")?;
                return write_fields(f, fields);
            }
            SqlType::Enum(values) => {
                f.write_str("ENUM(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{}'", v.replace('\'', "''"))?;
                }
                return f.write_str(")");
            }
        };
        f.write_str(name)
    }
}
