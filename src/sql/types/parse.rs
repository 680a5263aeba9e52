//! Type names as DuckDB accepts them in a CAST or a column definition.

use super::SqlType;

/// The base (non-nested) type names and their aliases, as listed by `duckdb_types()`.
fn base_type(name: &str) -> Option<SqlType> {
    Some(match name {
        "BOOLEAN" | "BOOL" | "LOGICAL" => SqlType::Boolean,
        "TINYINT" | "INT1" => SqlType::TinyInt,
        "SMALLINT" | "INT2" | "INT16" | "SHORT" => SqlType::SmallInt,
        "INTEGER" | "INT" | "INT4" | "INT32" | "SIGNED" | "INTEGRAL" => SqlType::Integer,
        "BIGINT" | "INT8" | "INT64" | "LONG" | "OID" => SqlType::BigInt,
        "HUGEINT" | "INT128" => SqlType::HugeInt,
        "UTINYINT" | "UINT8" => SqlType::UTinyInt,
        "USMALLINT" | "UINT16" => SqlType::USmallInt,
        "UINTEGER" | "UINT32" => SqlType::UInteger,
        "UBIGINT" | "UINT64" => SqlType::UBigInt,
        "UHUGEINT" | "UINT128" => SqlType::UHugeInt,
        "FLOAT" | "FLOAT4" | "REAL" => SqlType::Float,
        "DOUBLE" | "FLOAT8" => SqlType::Double,
        "DECIMAL" | "NUMERIC" | "DEC" => SqlType::Decimal {
            width: 18,
            scale: 3,
        },
        "VARCHAR" | "TEXT" | "STRING" | "CHAR" | "BPCHAR" | "NVARCHAR" | "NCHAR" | "CHARACTER" => {
            SqlType::Varchar
        }
        "BLOB" | "BYTEA" | "BINARY" | "VARBINARY" => SqlType::Blob,
        "DATE" => SqlType::Date,
        "TIME" => SqlType::Time,
        "TIMETZ" => SqlType::TimeTz,
        "TIMESTAMP" | "DATETIME" | "TIMESTAMP_US" => SqlType::Timestamp,
        "TIMESTAMP_S" => SqlType::TimestampS,
        "TIMESTAMP_MS" => SqlType::TimestampMs,
        "TIMESTAMP_NS" => SqlType::TimestampNs,
        "TIMESTAMPTZ" => SqlType::TimestampTz,
        "INTERVAL" => SqlType::Interval,
        "UUID" | "GUID" => SqlType::Uuid,
        "JSON" => SqlType::Json,
        "BIT" | "BITSTRING" => SqlType::Bit,
        "NULL" => SqlType::Null,
        "BIGNUM" | "VARINT" => SqlType::Other("BIGNUM".into()),
        "TIME_NS" => SqlType::Other("TIME_NS".into()),
        "GEOMETRY" => SqlType::Other("GEOMETRY".into()),
        "VARIANT" => SqlType::Other("VARIANT".into()),
        _ => return None,
    })
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.s[self.pos..].starts_with(|c: char| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A bare word (letters, digits, `_`), without consuming it unless `take`.
    fn word(&mut self, take: bool) -> Option<&'a str> {
        self.ws();
        let rest = &self.s[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        if take {
            self.pos += len;
        }
        Some(&rest[..len])
    }

    fn keyword(&mut self, kw: &str) -> bool {
        match self.word(false) {
            Some(w) if w.eq_ignore_ascii_case(kw) => {
                self.pos += w.len();
                self.ws();
                true
            }
            _ => false,
        }
    }

    /// An identifier: a bare word or a `"quoted"` name (`""` escapes a quote).
    fn ident(&mut self) -> Option<(String, bool)> {
        self.ws();
        if self.s[self.pos..].starts_with('"') {
            self.pos += 1;
            let mut out = String::new();
            loop {
                let c = self.s[self.pos..].chars().next()?;
                self.pos += c.len_utf8();
                if c == '"' {
                    if self.s[self.pos..].starts_with('"') {
                        self.pos += 1;
                        out.push('"');
                    } else {
                        return Some((out, true));
                    }
                } else {
                    out.push(c);
                }
            }
        }
        self.word(true).map(|w| (w.to_string(), false))
    }

    fn string(&mut self) -> Option<String> {
        self.ws();
        if !self.s[self.pos..].starts_with('\'') {
            return None;
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.s[self.pos..].chars().next()?;
            self.pos += c.len_utf8();
            if c == '\'' {
                if self.s[self.pos..].starts_with('\'') {
                    self.pos += 1;
                    out.push('\'');
                } else {
                    return Some(out);
                }
            } else {
                out.push(c);
            }
        }
    }

    fn number(&mut self) -> Option<u32> {
        self.word(false)
            .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|w| {
                self.pos += w.len();
                w.parse().ok()
            })
    }

    /// `(a, b, ...)` of plain numbers; None when absent.
    fn numbers(&mut self) -> Option<Vec<u32>> {
        let save = self.pos;
        if !self.eat('(') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            match self.number() {
                Some(n) => out.push(n),
                None => {
                    self.pos = save;
                    return None;
                }
            }
            if self.eat(')') {
                return Some(out);
            }
            if !self.eat(',') {
                self.pos = save;
                return None;
            }
        }
    }

    fn fields(&mut self) -> Option<Vec<(String, SqlType)>> {
        if !self.eat('(') {
            return None;
        }
        let mut out = Vec::new();
        if self.eat(')') {
            return Some(out);
        }
        loop {
            let (name, _) = self.ident()?;
            let ty = self.ty()?;
            out.push((name, ty));
            if self.eat(')') {
                return Some(out);
            }
            if !self.eat(',') {
                return None;
            }
        }
    }

    fn base(&mut self) -> Option<SqlType> {
        let (name, quoted) = self.ident()?;
        let upper = name.to_ascii_uppercase();
        if quoted {
            return base_type(&upper).or(Some(SqlType::Other(name)));
        }
        match upper.as_str() {
            "STRUCT" | "ROW" => return self.fields().map(SqlType::Struct),
            "UNION" => return self.fields().map(SqlType::Union),
            "MAP" => {
                if !self.eat('(') {
                    return None;
                }
                let k = self.ty()?;
                if !self.eat(',') {
                    return None;
                }
                let v = self.ty()?;
                return self
                    .eat(')')
                    .then(|| SqlType::Map(Box::new(k), Box::new(v)));
            }
            "LIST" => {
                if !self.eat('(') {
                    return None;
                }
                let e = self.ty()?;
                return self.eat(')').then(|| SqlType::List(Box::new(e)));
            }
            "ENUM" => {
                if !self.eat('(') {
                    return None;
                }
                let mut values = Vec::new();
                loop {
                    values.push(self.string()?);
                    if self.eat(')') {
                        return Some(SqlType::Enum(values));
                    }
                    if !self.eat(',') {
                        return None;
                    }
                }
            }
            "DOUBLE" => {
                self.keyword("PRECISION");
                return Some(SqlType::Double);
            }
            "CHARACTER" | "CHAR" => {
                self.keyword("VARYING");
                self.numbers();
                return Some(SqlType::Varchar);
            }
            "TIMESTAMP" | "TIME" => {
                let precision = self.numbers();
                let tz = if self.keyword("WITH") {
                    if !(self.keyword("TIME") && self.keyword("ZONE")) {
                        return None;
                    }
                    true
                } else if self.keyword("WITHOUT") {
                    if !(self.keyword("TIME") && self.keyword("ZONE")) {
                        return None;
                    }
                    false
                } else {
                    false
                };
                return Some(match (upper.as_str(), tz, precision.as_deref()) {
                    ("TIME", true, _) => SqlType::TimeTz,
                    ("TIME", false, _) => SqlType::Time,
                    (_, true, None) => SqlType::TimestampTz,
                    (_, true, Some(_)) => return None,
                    (_, false, None) => SqlType::Timestamp,
                    (_, false, Some([0])) => SqlType::TimestampS,
                    (_, false, Some([1..=3])) => SqlType::TimestampMs,
                    (_, false, Some([4..=6])) => SqlType::Timestamp,
                    (_, false, Some([7..=9])) => SqlType::TimestampNs,
                    _ => return None,
                });
            }
            "FLOAT" => {
                return match self.numbers().as_deref() {
                    None => Some(SqlType::Float),
                    Some([1..=24]) => Some(SqlType::Float),
                    Some([25..=53]) => Some(SqlType::Double),
                    _ => None,
                };
            }
            "INTERVAL" => {
                // `INTERVAL YEAR`, `INTERVAL DAY TO SECOND`: the qualifier does not change the type.
                for kw in ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO"] {
                    while self.keyword(kw) {}
                }
                return Some(SqlType::Interval);
            }
            _ => {}
        }
        let ty = base_type(&upper)?;
        match ty {
            SqlType::Decimal { .. } => match self.numbers().as_deref() {
                None => Some(ty),
                Some([w]) if (1..=38).contains(w) => Some(SqlType::Decimal {
                    width: *w as u8,
                    scale: 0,
                }),
                Some([w, s]) if (1..=38).contains(w) && s <= w => Some(SqlType::Decimal {
                    width: *w as u8,
                    scale: *s as u8,
                }),
                _ => None,
            },
            SqlType::Varchar | SqlType::Bit | SqlType::Blob => {
                self.numbers();
                Some(ty)
            }
            _ => Some(ty),
        }
    }

    fn ty(&mut self) -> Option<SqlType> {
        let mut ty = self.base()?;
        loop {
            if self.eat('[') {
                if self.eat(']') {
                    ty = SqlType::List(Box::new(ty));
                    continue;
                }
                let n = self.number()?;
                if !self.eat(']') {
                    return None;
                }
                ty = SqlType::Array(Box::new(ty), n);
            } else if self.keyword("ARRAY") {
                ty = SqlType::List(Box::new(ty));
            } else {
                return Some(ty);
            }
        }
    }
}

impl SqlType {
    /// Parses a DuckDB type name as DuckDB accepts it in a CAST or a column definition,
    /// including aliases (`INT`, `INT4`, `TEXT`, `STRING`, `NUMERIC`, ...), nested types
    /// (`STRUCT(a INTEGER, b VARCHAR[])`, `MAP(VARCHAR, INTEGER)`, `INTEGER[3]`, `ROW(..)`),
    /// and what `DESCRIBE` prints. Returns None for text that is not a type.
    pub fn parse(text: &str) -> Option<SqlType> {
        let mut p = Parser { s: text, pos: 0 };
        let ty = p.ty()?;
        p.ws();
        (p.pos == text.len()).then_some(ty)
    }

    /// The type of a sqlparser data type as DuckDB reads it; `Unknown` for anything DuckDB
    /// would not accept or that we do not model (custom types, other dialects' types).
    pub fn from_ast(ty: &sqlparser::ast::DataType) -> SqlType {
        use sqlparser::ast::{ArrayElemTypeDef, DataType as D};
        match ty {
            D::Array(ArrayElemTypeDef::None) => SqlType::Unknown,
            D::Array(
                ArrayElemTypeDef::SquareBracket(e, None)
                | ArrayElemTypeDef::Qualified(e, None)
                | ArrayElemTypeDef::AngleBracket(e)
                | ArrayElemTypeDef::Parenthesis(e)
                | ArrayElemTypeDef::ParenthesisNotNull(e),
            ) => SqlType::List(Box::new(SqlType::from_ast(e))),
            D::Array(
                ArrayElemTypeDef::SquareBracket(e, Some(n))
                | ArrayElemTypeDef::Qualified(e, Some(n)),
            ) => match u32::try_from(*n) {
                Ok(n) => SqlType::Array(Box::new(SqlType::from_ast(e)), n),
                Err(_) => SqlType::Unknown,
            },
            D::Struct(fields, _) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| {
                        let name = f
                            .field_name
                            .as_ref()
                            .map(|n| n.value.clone())
                            .unwrap_or_default();
                        (name, SqlType::from_ast(&f.field_type))
                    })
                    .collect(),
            ),
            D::Map(k, v, _) => SqlType::Map(
                Box::new(SqlType::from_ast(k)),
                Box::new(SqlType::from_ast(v)),
            ),
            D::Union(fields) => SqlType::Union(
                fields
                    .iter()
                    .map(|f| (f.field_name.value.clone(), SqlType::from_ast(&f.field_type)))
                    .collect(),
            ),
            // sqlparser reads DuckDB's `ROW(a INT, b TEXT)` as a custom type whose modifiers
            // are the flattened words `a, INT, b, TEXT`.
            D::Custom(name, mods)
                if name.to_string().eq_ignore_ascii_case("row")
                    && !mods.is_empty()
                    && mods.len() % 2 == 0 =>
            {
                let words: Vec<String> = mods.iter().map(|m| m.to_string()).collect();
                let fields: Vec<String> = words.chunks(2).map(|p| p.join(" ")).collect();
                SqlType::parse(&format!("STRUCT({})", fields.join(", ")))
                    .unwrap_or(SqlType::Unknown)
            }
            other => SqlType::parse(&other.to_string()).unwrap_or(SqlType::Unknown),
        }
    }
}
