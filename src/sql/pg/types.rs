//! Postgres type names: `SqlType` <-> `pg_type.typname`, and the type a CAST names.

use super::PgCatalog;
use crate::sql::types::SqlType;

/// Type names Postgres' grammar rewrites (`int` is `int4`), lowercase.
fn alias(name: &str) -> &str {
    match name {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "float" | "double precision" => "float8",
        "decimal" | "dec" => "numeric",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        "bit varying" => "varbit",
        other => other,
    }
}

/// `name(...)` without its typmod, lowercase and with single spaces.
fn strip_typmod(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PgCatalog {
    /// The typname of a type as written in SQL or as format_type prints it (`integer`,
    /// `int`, `numeric(10,2)`, `text[]`, `timestamp(3) with time zone`, `"char"`).
    pub fn typname_of_text(&self, text: &str) -> Option<String> {
        let clean = strip_typmod(text.trim());
        let clean = clean.trim_matches('"');
        if let Some(elem) = clean.strip_suffix("[]") {
            let e = self.typname_of_text(elem)?;
            return self.types.get(&e)?.array.clone();
        }
        if let Some(elem) = clean
            .strip_prefix("array<")
            .and_then(|s| s.strip_suffix('>'))
        {
            let e = self.typname_of_text(elem)?;
            return self.types.get(&e)?.array.clone();
        }
        let clean = clean.strip_prefix("pg_catalog.").unwrap_or(clean);
        let name = alias(clean);
        if self.types.contains_key(name) {
            return Some(name.to_string());
        }
        if name == "float" {
            return Some("float8".into());
        }
        self.by_format.get(clean).cloned()
    }

    /// The typname of a type the binder holds; None for UNKNOWN (and types Postgres has no
    /// equivalent of). `Null` is `unknown`.
    pub fn typname(&self, ty: &SqlType) -> Option<String> {
        Some(
            match ty {
                SqlType::Unknown => return None,
                SqlType::Null => "unknown",
                SqlType::Other(text) => return self.typname_of_text(text),
                SqlType::Boolean => "bool",
                SqlType::TinyInt | SqlType::SmallInt | SqlType::UTinyInt => "int2",
                SqlType::Integer | SqlType::USmallInt => "int4",
                SqlType::BigInt | SqlType::UInteger => "int8",
                SqlType::HugeInt
                | SqlType::UBigInt
                | SqlType::UHugeInt
                | SqlType::Decimal { .. } => "numeric",
                SqlType::Float => "float4",
                SqlType::Double => "float8",
                SqlType::Varchar => "text",
                SqlType::Blob => "bytea",
                SqlType::Date => "date",
                SqlType::Time => "time",
                SqlType::TimeTz => "timetz",
                SqlType::Timestamp
                | SqlType::TimestampS
                | SqlType::TimestampMs
                | SqlType::TimestampNs => "timestamp",
                SqlType::TimestampTz => "timestamptz",
                SqlType::Interval => "interval",
                SqlType::Uuid => "uuid",
                SqlType::Json => "json",
                SqlType::Bit => "varbit",
                SqlType::List(e) | SqlType::Array(e, _) => {
                    let e = self.typname(e)?;
                    return self.types.get(&e)?.array.clone();
                }
                SqlType::Struct(_) | SqlType::Map(..) | SqlType::Union(_) | SqlType::Enum(_) => {
                    return None;
                }
            }
            .to_string(),
        )
    }

    /// The binder's type for a typname: `Other(format_type name)`.
    pub fn sql_type(&self, typname: &str) -> SqlType {
        match typname {
            "unknown" => SqlType::Null,
            _ => SqlType::Other(
                self.types
                    .get(typname)
                    .map_or_else(|| typname.to_string(), |t| t.format.clone()),
            ),
        }
    }

    /// Any type in Postgres' spelling (UNKNOWN and NULL stay as they are).
    pub fn normalize(&self, ty: &SqlType) -> SqlType {
        match ty {
            SqlType::Unknown | SqlType::Null => ty.clone(),
            _ => self
                .typname(ty)
                .map_or(SqlType::Unknown, |t| self.sql_type(&t)),
        }
    }

    /// The type a CAST or a column definition names; UNKNOWN for names the catalog lacks
    /// (user-defined types, extensions).
    pub fn cast_target(&self, dt: &sqlparser::ast::DataType) -> SqlType {
        self.typname_of_text(&dt.to_string())
            .map_or(SqlType::Unknown, |t| self.sql_type(&t))
    }

    /// The column name Postgres gives `x::T` when `x` has none: the type's last name
    /// after the grammar's rewrites (`int4`, `float8`, `varchar`, `numeric`).
    pub fn cast_column_name(dt: &sqlparser::ast::DataType) -> String {
        let text = strip_typmod(&dt.to_string());
        let text = text.trim_end_matches("[]");
        alias(text).rsplit('.').next().unwrap_or(text).to_string()
    }

    pub(crate) fn category(&self, typname: &str) -> u8 {
        self.types.get(typname).map_or(b'U', |t| t.category)
    }

    pub(crate) fn is_preferred(&self, typname: &str) -> bool {
        self.types.get(typname).is_some_and(|t| t.preferred)
    }

    pub(crate) fn elem(&self, typname: &str) -> Option<&str> {
        self.types.get(typname)?.elem.as_deref()
    }

    pub(crate) fn array_of(&self, typname: &str) -> Option<&str> {
        self.types.get(typname)?.array.as_deref()
    }
}
