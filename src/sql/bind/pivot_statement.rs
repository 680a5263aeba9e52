//! DuckDB's own PIVOT and UNPIVOT statements, which sqlparser 0.64 does not parse:
//!
//! ```sql
//! PIVOT[_WIDER] dataset ON expr [IN (v, ...)], ... [USING agg [[AS] a], ...] [GROUP BY col, ...]
//!     [ORDER BY ...] [LIMIT n]
//! UNPIVOT dataset ON entry [AS a], ... [INTO NAME n VALUE v, ...] [ORDER BY ...] [LIMIT n]
//! ```
//!
//! They are read here with sqlparser's pieces (so spans point into the model's text) into
//! the SQL-standard PIVOT/UNPIVOT FROM items the binder already models: several `ON`
//! columns pivot on the product of their IN lists, no `USING` counts rows, an ON column
//! without an IN list makes the columns depend on the data (opaque). A statement in
//! parentheses (a CTE body, a derived table) or after the query's CTEs (`WITH ... PIVOT`)
//! is cut out of the query (`embedded`).

use sqlparser::ast::{
    Expr, ExprWithAlias, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, InTarget, ObjectName, PivotValueSource, TableFactor,
};
use sqlparser::dialect::DuckDbDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::expr::ExprCtx;
use super::scope::{Lineage, Scope};
use super::{Binder, BoundQuery};

/// What stands for a parenthesized statement in the text sqlparser reads (`_0p`, `_1p`, ...).
const PLACEHOLDER: &str = "select*from ";

/// Reads a query holding PIVOT/UNPIVOT statements in parentheses (`(PIVOT t ON ...)` as a
/// CTE body or derived table) or after its CTEs (`WITH ... PIVOT t ON ...`): the text with each replaced by `select*from _<n>p` (padded
/// with spaces, newlines kept, so every line and column stays where it was) and the
/// statements by placeholder name. None when there are none, or one does not read.
pub(crate) fn embedded(sql: &str) -> Option<(String, Vec<(String, PivotStatement)>)> {
    let dialect = DuckDbDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    let chars: Vec<char> = sql.chars().collect();
    // Char index of each (line, column).
    let mut line_starts = vec![0usize];
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            line_starts.push(i + 1);
        }
    }
    let at = |l: &sqlparser::tokenizer::Location| -> Option<usize> {
        let start = *line_starts.get((l.line as usize).checked_sub(1)?)?;
        Some(start + (l.column as usize).checked_sub(1)?)
    };
    // Parenthesis depth after each token (a `)` is counted at the depth it closes to).
    let mut depth = Vec::with_capacity(tokens.len());
    let mut d = 0usize;
    for t in &tokens {
        match t.token {
            Token::LParen => d += 1,
            Token::RParen => d = d.saturating_sub(1),
            _ => {}
        }
        depth.push(d);
    }
    let with_first = tokens
        .iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
        .is_some_and(|t| matches!(&t.token, Token::Word(w) if w.keyword == Keyword::WITH));
    let mut out = chars.clone();
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_open = tokens[i].token == Token::LParen;
        let next = tokens[i + 1..]
            .iter()
            .position(|t| !matches!(t.token, Token::Whitespace(_)))
            .map(|k| i + 1 + k);
        let keyword = next.and_then(|k| match &tokens[k].token {
            Token::Word(w) => Some(w.value.to_ascii_lowercase()),
            _ => None,
        });
        let starts = matches!(
            keyword.as_deref(),
            Some("pivot" | "pivot_wider" | "unpivot")
        );
        // `WITH ... ) PIVOT ...`: the statement after the CTEs runs to the end.
        let tail = starts
            && with_first
            && depth[i] == 0
            && matches!(tokens[i].token, Token::RParen)
            && next.is_some_and(|k| depth[k] == 0);
        if !((is_open || tail) && starts) {
            i += 1;
            continue;
        }
        let (close, to) = if tail {
            let end = chars
                .iter()
                .rposition(|c| !c.is_whitespace() && *c != ';')
                .map_or(0, |e| e + 1);
            (tokens.len(), end)
        } else {
            let mut open = 0usize;
            let mut close = None;
            for (k, t) in tokens.iter().enumerate().skip(i) {
                match t.token {
                    Token::LParen => open += 1,
                    Token::RParen => {
                        open -= 1;
                        if open == 0 {
                            close = Some(k);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let close = close?;
            (close, at(&tokens[close].span.start)?)
        };
        let from = at(&tokens[next?].span.start)?;
        if from >= to {
            return None;
        }
        // The statement alone, at its place in otherwise blank text.
        let blank: String = chars
            .iter()
            .enumerate()
            .map(|(n, c)| match c {
                '\n' => '\n',
                _ if (from..to).contains(&n) => *c,
                _ => ' ',
            })
            .collect();
        let statement = parse(&blank)?;
        let name = format!("_{}p", found.len());
        let text: Vec<char> = format!("{PLACEHOLDER}{name}").chars().collect();
        let room = chars[from..to].iter().take_while(|c| **c != '\n').count();
        if room < text.len() {
            return None;
        }
        for (n, slot) in out[from..to].iter_mut().enumerate() {
            if *slot != '\n' {
                *slot = text.get(n).copied().unwrap_or(' ');
            }
        }
        found.push((name, statement));
        i = close + 1;
    }
    (!found.is_empty()).then(|| (out.into_iter().collect(), found))
}

/// A PIVOT or UNPIVOT statement as the FROM item it is equivalent to.
pub(crate) struct PivotStatement {
    pub factor: TableFactor,
    /// `GROUP BY` of a PIVOT statement.
    pub group_by: Option<Vec<Expr>>,
    /// `ORDER BY` expressions, over the output columns.
    pub order_by: Vec<Expr>,
}

/// Reads `sql` as a PIVOT/UNPIVOT statement; None when it is not one (or not one this
/// reader knows: a leading WITH, `ON (a, b) IN (...)`).
pub(crate) fn parse(sql: &str) -> Option<PivotStatement> {
    let dialect = DuckDbDialect {};
    let mut p = Parser::new(&dialect).try_with_sql(sql).ok()?;
    let head = match p.next_token().token {
        Token::Word(w) => w.value.to_ascii_lowercase(),
        _ => return None,
    };
    let statement = match head.as_str() {
        "pivot" | "pivot_wider" => pivot(&mut p),
        "unpivot" => unpivot(&mut p),
        _ => return None,
    }
    .ok()?;
    let mut statement = statement;
    // ORDER BY and LIMIT only order and cut the rows.
    if p.parse_keywords(&[Keyword::ORDER, Keyword::BY]) {
        let items = p.parse_comma_separated(Parser::parse_order_by_expr).ok()?;
        statement.order_by = items.into_iter().map(|o| o.expr).collect();
    }
    if p.parse_keyword(Keyword::LIMIT) {
        p.parse_expr().ok()?;
    }
    while p.consume_token(&Token::SemiColon) {}
    matches!(p.peek_token().token, Token::EOF).then_some(statement)
}

fn pivot(p: &mut Parser<'_>) -> Result<PivotStatement, ParserError> {
    let table = p.parse_table_factor()?;
    p.expect_keyword_is(Keyword::ON)?;
    let on = p.parse_comma_separated(Parser::parse_expr)?;
    let aggregate_functions = if p.parse_keyword(Keyword::USING) {
        p.parse_comma_separated(|p| {
            let expr = p.parse_expr()?;
            let alias =
                p.parse_optional_alias(&[Keyword::GROUP, Keyword::ORDER, Keyword::LIMIT])?;
            Ok(ExprWithAlias { expr, alias })
        })?
    } else {
        vec![ExprWithAlias {
            expr: count_star(),
            alias: None,
        }]
    };
    let group_by = if p.parse_keywords(&[Keyword::GROUP, Keyword::BY]) {
        let keys = p.parse_comma_separated(Parser::parse_identifier)?;
        Some(keys.into_iter().map(Expr::Identifier).collect())
    } else {
        None
    };
    let mut value_column = Vec::new();
    let mut lists: Option<Vec<Vec<Expr>>> = Some(Vec::new());
    for e in on {
        match e {
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated: false,
                ..
            } if !matches!(*expr, Expr::Tuple(_)) => {
                value_column.push(*expr);
                if let Some(l) = lists.as_mut() {
                    l.push(list);
                }
            }
            other => {
                value_column.push(other);
                lists = None;
            }
        }
    }
    let value_source = match lists {
        Some(lists) => PivotValueSource::List(product(&lists)),
        None => PivotValueSource::Any(Vec::new()),
    };
    Ok(PivotStatement {
        factor: TableFactor::Pivot {
            table: Box::new(table),
            aggregate_functions,
            value_column,
            value_source,
            default_on_null: None,
            alias: None,
        },
        group_by,
        order_by: Vec::new(),
    })
}

/// The rows of the product of the IN lists, first list outermost (DuckDB's order).
fn product(lists: &[Vec<Expr>]) -> Vec<ExprWithAlias> {
    let mut rows: Vec<Vec<Expr>> = vec![Vec::new()];
    for list in lists {
        rows = rows
            .iter()
            .flat_map(|r| {
                list.iter().map(move |v| {
                    let mut r = r.clone();
                    r.push(v.clone());
                    r
                })
            })
            .collect();
    }
    rows.into_iter()
        .map(|mut r| ExprWithAlias {
            expr: if r.len() == 1 {
                r.remove(0)
            } else {
                Expr::Tuple(r)
            },
            alias: None,
        })
        .collect()
}

fn count_star() -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new("count")]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Wildcard)],
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

fn unpivot(p: &mut Parser<'_>) -> Result<PivotStatement, ParserError> {
    let table = p.parse_table_factor()?;
    p.expect_keyword_is(Keyword::ON)?;
    let columns = p.parse_comma_separated(|p| {
        let expr = p.parse_expr()?;
        let alias = p.parse_optional_alias(&[Keyword::INTO, Keyword::ORDER, Keyword::LIMIT])?;
        Ok(ExprWithAlias { expr, alias })
    })?;
    let (name, values) = if p.parse_keyword(Keyword::INTO) {
        p.expect_keyword_is(Keyword::NAME)?;
        let name = p.parse_identifier()?;
        p.expect_keyword_is(Keyword::VALUE)?;
        (name, p.parse_comma_separated(Parser::parse_identifier)?)
    } else {
        (Ident::new("name"), vec![Ident::new("value")])
    };
    let value = match <[Ident; 1]>::try_from(values) {
        Ok([one]) => Expr::Identifier(one),
        Err(many) => Expr::Tuple(many.into_iter().map(Expr::Identifier).collect()),
    };
    Ok(PivotStatement {
        factor: TableFactor::Unpivot {
            table: Box::new(table),
            value,
            name,
            columns,
            null_inclusion: None,
            alias: None,
        },
        group_by: None,
        order_by: Vec::new(),
    })
}

impl Binder<'_> {
    /// The columns of a parenthesized PIVOT/UNPIVOT statement `embedded` found, by its
    /// placeholder name, bound where the query names it (earlier CTEs are visible).
    pub(crate) fn embedded_pivot(&mut self, name: &str) -> Option<BoundQuery> {
        let k = self.pivots.iter().position(|(n, _)| n == name)?;
        let (n, statement) = self.pivots.remove(k);
        let bound = self.pivot_statement(&statement);
        self.pivots.insert(k, (n, statement));
        Some(bound)
    }

    /// Binds a PIVOT/UNPIVOT statement: its columns are those of the equivalent FROM item.
    pub(crate) fn pivot_statement(&mut self, statement: &PivotStatement) -> BoundQuery {
        let scope = Scope::default();
        let mut filters = Lineage::new();
        let item = match &statement.factor {
            TableFactor::Pivot { .. } => self.pivot_grouped(
                &statement.factor,
                statement.group_by.as_deref(),
                &scope,
                &mut filters,
            ),
            _ => self.unpivot_item(&statement.factor, &scope, &mut filters),
        };
        if !item.opaque {
            let mut out = Scope::default();
            out.items.push(item.clone());
            let ctx = ExprCtx::plain(&out);
            for e in &statement.order_by {
                self.expr(e, &ctx);
            }
        }
        let columns = item
            .columns
            .into_iter()
            .map(|mut c| {
                c.lineage.extend(filters.iter().cloned());
                c
            })
            .collect();
        BoundQuery {
            columns,
            opaque: item.opaque,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::sql::schema::{Column, RelationLookup, RelationProvider, RelationSchema};
    use crate::sql::types::SqlType;
    use crate::sql::{Dialect, analyze_query};

    struct Orders;

    impl RelationProvider for Orders {
        fn lookup(&self, parts: &[String]) -> RelationLookup {
            if parts.last().is_some_and(|p| p == "orders") {
                let col = |name: &str, ty: SqlType| Column {
                    name: name.into(),
                    ty,
                    lineage: Vec::new(),
                };
                RelationLookup::Known {
                    node: None,
                    schema: Arc::new(RelationSchema {
                        columns: vec![
                            col("customer_id", SqlType::Integer),
                            col("status", SqlType::Varchar),
                            col(
                                "amount",
                                SqlType::Decimal {
                                    width: 10,
                                    scale: 2,
                                },
                            ),
                        ],
                    }),
                }
            } else {
                RelationLookup::Missing
            }
        }
    }

    /// The text a diagnostic points at.
    fn flagged(sql: &str) -> Vec<&str> {
        analyze_query(sql, Dialect::DuckDb, &Orders)
            .diagnostics
            .iter()
            .map(|d| &sql[d.start..d.end])
            .collect()
    }

    #[test]
    fn statement_errors_point_into_the_text() {
        let sql = "pivot orders on status in ('a') using sum(amont) group by customer_id";
        assert_eq!(flagged(sql), ["amont"]);
        let sql = "with p as (\n  pivot orders on status in ('a') using sum(amount) group by custid\n)\nselect * from p";
        assert_eq!(flagged(sql), ["custid"]);
        let sql = "with s as (select * from orders)\npivot s on status in ('a') using sum(amount)\n  group by nope";
        assert_eq!(flagged(sql), ["nope"]);
    }

    #[test]
    fn statement_columns() {
        let sql = "select * from (pivot orders on status in ('a', 'b') using sum(amount) as t group by customer_id)";
        let a = analyze_query(sql, Dialect::DuckDb, &Orders);
        let names: Vec<String> = a
            .schema
            .expect("a schema")
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect();
        assert_eq!(
            names,
            [
                "customer_id INTEGER",
                "a_t DECIMAL(38,2)",
                "b_t DECIMAL(38,2)"
            ]
        );
    }
}
