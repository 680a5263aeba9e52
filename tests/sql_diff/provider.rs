//! The upstream relations as dbtc sees them: tables created from `schemas.sql` in DuckDB,
//! read back with DESCRIBE and served to the binder through a [`RelationProvider`].

use std::collections::BTreeMap;
use std::sync::Arc;

use dbtc::sql::schema::{Column, RelationLookup, RelationProvider, RelationSchema};
use dbtc::sql::types::SqlType;

/// The lineage node id of an upstream table (lowercased name).
pub fn node_id(table: &str) -> String {
    format!("model.t.{}", table.to_ascii_lowercase())
}

/// Upstream tables keyed by lowercased name.
pub struct Upstream {
    pub tables: BTreeMap<String, (Arc<str>, Arc<RelationSchema>)>,
    /// DESCRIBE type strings that `SqlType::parse` does not read (the test parses them
    /// itself so the binder still gets the type); reported so the lead sees the gap.
    pub parse_gaps: Vec<String>,
    /// Types whose `to_string()` differs from DuckDB's spelling: (DuckDB, dbtc).
    pub spelling_gaps: Vec<(String, String)>,
}

impl Upstream {
    /// Reads every base table of `conn` (schema main).
    pub fn from_duckdb(conn: &duckdb::Connection) -> Upstream {
        let mut names: Vec<String> = Vec::new();
        let mut stmt = conn
            .prepare("select table_name from duckdb_tables() order by table_name")
            .expect("list tables");
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).expect("list");
        names.extend(rows.map(|r| r.expect("row")));
        let mut up = Upstream {
            tables: BTreeMap::new(),
            parse_gaps: Vec::new(),
            spelling_gaps: Vec::new(),
        };
        for name in names {
            let described = crate::oracle::describe(conn, &format!("select * from \"{name}\""))
                .expect("describe an upstream table");
            let mut columns = Vec::new();
            for (col, ty_text) in described {
                let ty = up.parse_type(&ty_text);
                columns.push(Column {
                    name: col,
                    ty,
                    lineage: Vec::new(),
                });
            }
            let node: Arc<str> = Arc::from(node_id(&name));
            up.tables.insert(
                name.to_ascii_lowercase(),
                (node, Arc::new(RelationSchema { columns })),
            );
        }
        up
    }

    fn parse_type(&mut self, text: &str) -> SqlType {
        let ty = match SqlType::parse(text) {
            Some(t) => t,
            None => {
                self.parse_gaps.push(text.to_string());
                parse_nested(text).unwrap_or_else(|| SqlType::Other(text.to_string()))
            }
        };
        if ty.to_string() != text {
            self.spelling_gaps.push((text.to_string(), ty.to_string()));
        }
        ty
    }

    pub fn schema(&self, table: &str) -> Option<&RelationSchema> {
        self.tables
            .get(&table.to_ascii_lowercase())
            .map(|(_, s)| s.as_ref())
    }
}

impl RelationProvider for Upstream {
    fn lookup(&self, parts: &[String]) -> RelationLookup {
        let qualifier_ok = match parts {
            [_] => true,
            [schema, _] => schema.eq_ignore_ascii_case("main"),
            [db, schema, _] => {
                db.eq_ignore_ascii_case("memory") && schema.eq_ignore_ascii_case("main")
            }
            _ => false,
        };
        let Some(last) = parts.last() else {
            return RelationLookup::Missing;
        };
        match self.tables.get(&last.to_ascii_lowercase()) {
            Some((node, schema)) if qualifier_ok => RelationLookup::Known {
                node: Some(node.clone()),
                schema: schema.clone(),
            },
            _ => RelationLookup::Missing,
        }
    }
}

/// Reads the nested types `SqlType::parse` may not: `STRUCT(...)`, `MAP(K, V)`, `T[]`,
/// `T[n]`, `UNION(...)`, with leaves handed to `SqlType::parse`.
pub fn parse_nested(text: &str) -> Option<SqlType> {
    let t = text.trim();
    if let Some(inner) = t.strip_suffix(']') {
        let open = inner.rfind('[')?;
        let elem = parse_nested(&inner[..open])?;
        let n = &inner[open + 1..];
        return Some(if n.is_empty() {
            SqlType::List(Box::new(elem))
        } else {
            SqlType::Array(Box::new(elem), n.parse().ok()?)
        });
    }
    let upper = t.to_ascii_uppercase();
    for (prefix, is_struct) in [("STRUCT(", true), ("UNION(", false)] {
        if upper.starts_with(prefix) && t.ends_with(')') {
            let body = &t[prefix.len()..t.len() - 1];
            let mut fields = Vec::new();
            for field in split_top(body) {
                let field = field.trim();
                let (name, rest) = if let Some(stripped) = field.strip_prefix('"') {
                    let end = stripped.find('"')?;
                    (stripped[..end].to_string(), &stripped[end + 1..])
                } else {
                    let sp = field.find(' ')?;
                    (field[..sp].to_string(), &field[sp..])
                };
                fields.push((name, parse_nested(rest)?));
            }
            return Some(if is_struct {
                SqlType::Struct(fields)
            } else {
                SqlType::Union(fields)
            });
        }
    }
    if upper.starts_with("MAP(") && t.ends_with(')') {
        let parts = split_top(&t[4..t.len() - 1]);
        if let [k, v] = parts.as_slice() {
            return Some(SqlType::Map(
                Box::new(parse_nested(k)?),
                Box::new(parse_nested(v)?),
            ));
        }
        return None;
    }
    SqlType::parse(t)
}

/// Splits on commas outside parentheses and quotes.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
