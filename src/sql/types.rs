//! The DuckDB type system as the binder sees it.
//!
//! Spelling follows DuckDB's `DESCRIBE` output (the oracle of the differential tests), so
//! `SqlType::to_string()` is what `DESCRIBE` prints for the same column.

use std::fmt;

/// A DuckDB logical type. `Unknown` is the type of anything the binder cannot see into
/// (opaque relations, unknown functions): it is compatible with everything, so it never
/// causes a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// The type of the `NULL` literal before it is cast to something else.
    Null,
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    HugeInt,
    UTinyInt,
    USmallInt,
    UInteger,
    UBigInt,
    UHugeInt,
    Float,
    Double,
    Decimal {
        width: u8,
        scale: u8,
    },
    Varchar,
    Blob,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampS,
    TimestampMs,
    TimestampNs,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Bit,
    List(Box<SqlType>),
    Array(Box<SqlType>, u32),
    Struct(Vec<(String, SqlType)>),
    Map(Box<SqlType>, Box<SqlType>),
    Union(Vec<(String, SqlType)>),
    Enum(Vec<String>),
    /// Any other named type the binder does not model (extension types, ...).
    Other(String),
    Unknown,
}

impl SqlType {
    pub fn is_unknown(&self) -> bool {
        matches!(self, SqlType::Unknown)
    }

    /// Parses a DuckDB type name as DuckDB accepts it in a CAST or a column definition,
    /// including aliases (`INT`, `INT4`, `TEXT`, `STRING`, `NUMERIC`, ...). Returns None for
    /// text that is not a type.
    pub fn parse(text: &str) -> Option<SqlType> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        if let Some(inner) = upper.strip_suffix("[]") {
            return SqlType::parse(&t[..inner.len()]).map(|e| SqlType::List(Box::new(e)));
        }
        let (name, args) = match upper.find('(') {
            Some(i) if upper.ends_with(')') => (upper[..i].trim(), Some(&t[i + 1..t.len() - 1])),
            _ => (upper.as_str(), None),
        };
        let ty = match (name, args) {
            ("DECIMAL" | "NUMERIC", None) => SqlType::Decimal {
                width: 18,
                scale: 3,
            },
            ("DECIMAL" | "NUMERIC", Some(a)) => {
                let mut parts = a.split(',').map(|p| p.trim().parse::<u8>());
                let width = parts.next()?.ok()?;
                let scale = match parts.next() {
                    Some(s) => s.ok()?,
                    None => 0,
                };
                SqlType::Decimal { width, scale }
            }
            ("VARCHAR" | "TEXT" | "STRING" | "CHAR" | "BPCHAR" | "NVARCHAR", _) => SqlType::Varchar,
            ("BOOLEAN" | "BOOL" | "LOGICAL", None) => SqlType::Boolean,
            ("TINYINT" | "INT1", None) => SqlType::TinyInt,
            ("SMALLINT" | "INT2" | "SHORT", None) => SqlType::SmallInt,
            ("INTEGER" | "INT" | "INT4" | "SIGNED", None) => SqlType::Integer,
            ("BIGINT" | "INT8" | "LONG", None) => SqlType::BigInt,
            ("HUGEINT" | "INT128", None) => SqlType::HugeInt,
            ("UTINYINT", None) => SqlType::UTinyInt,
            ("USMALLINT", None) => SqlType::USmallInt,
            ("UINTEGER", None) => SqlType::UInteger,
            ("UBIGINT", None) => SqlType::UBigInt,
            ("UHUGEINT", None) => SqlType::UHugeInt,
            ("FLOAT" | "FLOAT4" | "REAL", None) => SqlType::Float,
            ("DOUBLE" | "FLOAT8" | "DOUBLE PRECISION", None) => SqlType::Double,
            ("BLOB" | "BYTEA" | "BINARY" | "VARBINARY", None) => SqlType::Blob,
            ("DATE", None) => SqlType::Date,
            ("TIME", None) => SqlType::Time,
            ("TIMETZ" | "TIME WITH TIME ZONE", None) => SqlType::TimeTz,
            ("TIMESTAMP" | "DATETIME" | "TIMESTAMP WITHOUT TIME ZONE", None) => SqlType::Timestamp,
            ("TIMESTAMP_S", None) => SqlType::TimestampS,
            ("TIMESTAMP_MS", None) => SqlType::TimestampMs,
            ("TIMESTAMP_NS", None) => SqlType::TimestampNs,
            ("TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE", None) => SqlType::TimestampTz,
            ("INTERVAL", None) => SqlType::Interval,
            ("UUID", None) => SqlType::Uuid,
            ("JSON", None) => SqlType::Json,
            ("BIT" | "BITSTRING", None) => SqlType::Bit,
            ("NULL" | "\"NULL\"", None) => SqlType::Null,
            _ => return None,
        };
        Some(ty)
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Null => f.write_str("\"NULL\""),
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::TinyInt => f.write_str("TINYINT"),
            SqlType::SmallInt => f.write_str("SMALLINT"),
            SqlType::Integer => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::HugeInt => f.write_str("HUGEINT"),
            SqlType::UTinyInt => f.write_str("UTINYINT"),
            SqlType::USmallInt => f.write_str("USMALLINT"),
            SqlType::UInteger => f.write_str("UINTEGER"),
            SqlType::UBigInt => f.write_str("UBIGINT"),
            SqlType::UHugeInt => f.write_str("UHUGEINT"),
            SqlType::Float => f.write_str("FLOAT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Decimal { width, scale } => write!(f, "DECIMAL({width},{scale})"),
            SqlType::Varchar => f.write_str("VARCHAR"),
            SqlType::Blob => f.write_str("BLOB"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::TimeTz => f.write_str("TIME WITH TIME ZONE"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::TimestampS => f.write_str("TIMESTAMP_S"),
            SqlType::TimestampMs => f.write_str("TIMESTAMP_MS"),
            SqlType::TimestampNs => f.write_str("TIMESTAMP_NS"),
            SqlType::TimestampTz => f.write_str("TIMESTAMP WITH TIME ZONE"),
            SqlType::Interval => f.write_str("INTERVAL"),
            SqlType::Uuid => f.write_str("UUID"),
            SqlType::Json => f.write_str("JSON"),
            SqlType::Bit => f.write_str("BIT"),
            SqlType::List(e) => write!(f, "{e}[]"),
            SqlType::Array(e, n) => write!(f, "{e}[{n}]"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT(")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n} {t}")?;
                }
                f.write_str(")")
            }
            SqlType::Map(k, v) => write!(f, "MAP({k}, {v})"),
            SqlType::Union(fields) => {
                f.write_str("UNION(")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n} {t}")?;
                }
                f.write_str(")")
            }
            SqlType::Enum(values) => {
                f.write_str("ENUM(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{}'", v.replace('\'', "''"))?;
                }
                f.write_str(")")
            }
            SqlType::Other(name) => f.write_str(name),
            SqlType::Unknown => f.write_str("UNKNOWN"),
        }
    }
}

/// What DuckDB's binder knows about a literal, which changes implicit casts: an integer
/// literal fits any numeric type that holds its value, a string literal casts implicitly
/// to any type, and `NULL` to anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Literal {
    #[default]
    No,
    Integer(i128),
    String,
    Null,
}

/// An expression's type as the binder computes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Typed {
    pub ty: SqlType,
    pub literal: Literal,
}

impl Typed {
    pub fn new(ty: SqlType) -> Typed {
        Typed {
            ty,
            literal: Literal::No,
        }
    }

    pub fn unknown() -> Typed {
        Typed::new(SqlType::Unknown)
    }
}

/// The type both sides of a comparison (`=`, `<`, `IN`, `BETWEEN`, ...) are cast to, or
/// None when DuckDB refuses to compare them at bind time.
pub fn comparison_type(a: &Typed, b: &Typed) -> Option<SqlType> {
    max_type(a, b).map(|t| t.ty)
}

/// DuckDB's max logical type of two values combined into one column (UNION columns, CASE
/// branches, COALESCE arguments, list elements), or None when there is none.
pub fn max_type(a: &Typed, b: &Typed) -> Option<Typed> {
    if a.ty == b.ty || b.ty == SqlType::Null || b.ty.is_unknown() {
        return Some(a.clone());
    }
    if a.ty == SqlType::Null || a.ty.is_unknown() {
        return Some(b.clone());
    }
    Some(Typed::unknown())
}
