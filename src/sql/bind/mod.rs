//! The binder: walks sqlparser's AST with scopes, resolves every name against the FROM
//! items (relations from the [`RelationProvider`], CTEs, derived tables, table functions),
//! types every expression with the catalog, and produces the output schema with column
//! lineage plus every bind error found (not only the first).
//!
//! It is lenient where it cannot see: a relation the provider calls opaque, or a construct
//! the binder does not model, yields UNKNOWN types and no error, so a valid model is never
//! flagged because of a gap in dbtc.

mod dialect;
mod expand;
mod expr;
mod from;
mod function;
mod group;
mod literal;
mod name_filter;
mod naming;
mod operator;
mod pg_expr;
mod pivot;
mod pivot_statement;
mod query;
mod resolve;
mod scope;
mod select;
mod unpivot;

use sqlparser::ast::{Spanned, Statement};
use sqlparser::dialect::{DuckDbDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use super::Dialect;
use super::catalog::{self, Catalog};
use super::schema::{Column, RelationProvider, RelationSchema};
use crate::diagnostics::codes;
use scope::BoundColumn;

/// A finding of the binder, positioned by byte offsets into the analyzed SQL text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SqlDiagnostic {
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// The result of analyzing one query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryAnalysis {
    /// The output schema; None when the text does not parse, is not a single query, or its
    /// columns cannot be known (`select *` from an opaque relation).
    pub schema: Option<RelationSchema>,
    pub diagnostics: Vec<SqlDiagnostic>,
    /// Some relation or construct could not be seen into: part of the schema is UNKNOWN.
    pub opaque: bool,
}

/// Analyzes `sql` (one query, optionally ending with `;`).
pub fn analyze_query(
    sql: &str,
    dialect: Dialect,
    provider: &dyn RelationProvider,
) -> QueryAnalysis {
    let statements = match dialect {
        Dialect::DuckDb => Parser::parse_sql(&DuckDbDialect {}, sql),
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
    };
    let mut binder = Binder::new(sql, dialect, provider);
    let statements = match statements {
        Ok(s) => s,
        Err(e) => {
            if dialect == Dialect::DuckDb
                && let Some(statement) = pivot_statement::parse(sql)
            {
                let bound = binder.pivot_statement(&statement);
                binder.opaque |= bound.opaque;
                let columns = (!bound.opaque).then_some(bound.columns);
                return binder.finish(columns);
            }
            let embedded = (dialect == Dialect::DuckDb)
                .then(|| pivot_statement::embedded(sql))
                .flatten()
                .and_then(|(text, pivots)| {
                    Some((Parser::parse_sql(&DuckDbDialect {}, &text).ok()?, pivots))
                });
            match embedded {
                Some((s, pivots)) => {
                    binder.pivots = pivots;
                    s
                }
                None => {
                    let (message, offset) = binder.parser_error(&e.to_string());
                    binder.error(codes::SQL_SYNTAX, message, None, offset, offset);
                    return binder.finish(None);
                }
            }
        }
    };
    let query = match statements.as_slice() {
        [Statement::Query(q)] => q,
        _ => return binder.finish(None),
    };
    let bound = binder.query(query, None);
    let columns = if bound.opaque {
        binder.opaque = true;
        None
    } else {
        Some(bound.columns)
    };
    binder.finish(columns)
}

/// The columns a query produces; `opaque` when they cannot be known.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoundQuery {
    pub columns: Vec<BoundColumn>,
    pub opaque: bool,
}

/// A CTE visible by name.
struct Cte {
    name: String,
    query: BoundQuery,
}

pub(crate) struct Binder<'a> {
    sql: &'a str,
    line_starts: Vec<usize>,
    provider: &'a dyn RelationProvider,
    dialect: Dialect,
    catalog: &'static Catalog,
    pg: &'static crate::sql::pg::PgCatalog,
    diagnostics: Vec<SqlDiagnostic>,
    ctes: Vec<Cte>,
    opaque: bool,
    /// Set while binding a SELECT item that expands into columns dbtc cannot list
    /// (`unnest(struct)`, recursive `unnest`, nested `COLUMNS(...)`).
    expanding: bool,
    /// Set while binding a FROM function with `WITH ORDINALITY`.
    ordinality: bool,
    /// Parenthesized PIVOT/UNPIVOT statements sqlparser cannot read, by placeholder name.
    pivots: Vec<(String, pivot_statement::PivotStatement)>,
}

impl<'a> Binder<'a> {
    fn new(sql: &'a str, dialect: Dialect, provider: &'a dyn RelationProvider) -> Binder<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        Binder {
            sql,
            line_starts,
            provider,
            dialect,
            catalog: catalog::duckdb(),
            // DuckDB projects never load the Postgres catalog.
            pg: match dialect {
                Dialect::Postgres => crate::sql::pg::catalog(),
                Dialect::DuckDb => crate::sql::pg::empty(),
            },
            diagnostics: Vec::new(),
            ctes: Vec::new(),
            opaque: false,
            expanding: false,
            ordinality: false,
            pivots: Vec::new(),
        }
    }

    fn finish(self, columns: Option<Vec<BoundColumn>>) -> QueryAnalysis {
        let schema = columns.map(|cols| RelationSchema {
            columns: cols
                .into_iter()
                .map(|c| Column {
                    ty: self.output_type(&c.ty),
                    name: c.name,
                    lineage: c.lineage.into_iter().collect(),
                })
                .collect(),
        });
        QueryAnalysis {
            schema,
            diagnostics: self.diagnostics,
            opaque: self.opaque,
        }
    }

    /// The byte offset of a 1-based line/column location (columns count characters).
    fn offset(&self, line: u64, column: u64) -> usize {
        if line == 0 {
            return 0;
        }
        let Some(&start) = self.line_starts.get(line as usize - 1) else {
            return self.sql.len();
        };
        let rest = &self.sql[start..];
        rest.char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(self.sql.len(), |(i, _)| start + i)
    }

    /// Byte range of a spanned AST value (end exclusive).
    fn range(&self, node: &impl Loc) -> (usize, usize) {
        let span = node.loc();
        let start = self.offset(span.start.line, span.start.column);
        let end = self.offset(span.end.line, span.end.column).max(start);
        (start, end)
    }

    fn error(
        &mut self,
        code: &'static str,
        message: String,
        hint: Option<String>,
        start: usize,
        end: usize,
    ) {
        let d = SqlDiagnostic {
            code,
            message,
            hint,
            start,
            end,
        };
        if !self.diagnostics.contains(&d) {
            self.diagnostics.push(d);
        }
    }

    fn error_at(
        &mut self,
        code: &'static str,
        node: &impl Loc,
        message: String,
        hint: Option<String>,
    ) {
        let (start, end) = self.range(node);
        self.error(code, message, hint, start, end);
    }

    /// sqlparser reports "... at Line: L, Column: C": the message without it and the offset.
    fn parser_error(&self, text: &str) -> (String, usize) {
        let text = text.strip_prefix("sql parser error: ").unwrap_or(text);
        if let Some(i) = text.rfind(" at Line: ") {
            let pos = &text[i + " at Line: ".len()..];
            let mut nums = pos
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse::<u64>().ok());
            if let (Some(line), Some(col)) = (nums.next(), nums.next()) {
                return (text[..i].to_string(), self.offset(line, col));
            }
        }
        (text.to_string(), 0)
    }

    fn find_cte(&self, name: &str) -> Option<&BoundQuery> {
        self.ctes
            .iter()
            .rev()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| &c.query)
    }
}

/// Anything with a source span: AST nodes, identifiers, raw spans.
pub(crate) trait Loc {
    fn loc(&self) -> sqlparser::tokenizer::Span;
}

macro_rules! loc_by_spanned {
    ($($t:ty),*) => {$(
        impl Loc for $t {
            fn loc(&self) -> sqlparser::tokenizer::Span {
                self.span()
            }
        }
    )*};
}

loc_by_spanned!(
    sqlparser::ast::Expr,
    sqlparser::ast::ObjectName,
    sqlparser::ast::SetExpr,
    sqlparser::ast::SelectItem
);

impl Loc for sqlparser::ast::Ident {
    fn loc(&self) -> sqlparser::tokenizer::Span {
        self.span
    }
}

impl Loc for sqlparser::tokenizer::Span {
    fn loc(&self) -> sqlparser::tokenizer::Span {
        *self
    }
}
