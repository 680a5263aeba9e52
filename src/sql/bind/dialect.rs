//! What differs between dialects inside the binder: the function catalog, implicit casts
//! and comparison rules, type names. DuckDB's are in `catalog` and `types`; Postgres' in
//! `sql::pg`. The binder calls these methods instead of either directly.

use sqlparser::ast::DataType;

use super::Binder;
use crate::sql::Dialect;
use crate::sql::catalog::{CallError, FunctionKind};
use crate::sql::pg::user_functions::UserFunction;
use crate::sql::types::{CompareOp, Literal, SqlType, Typed, compare_type, max_type};

/// Postgres' grammar-level functions (not in pg_proc).
const PG_SPECIAL: &[&str] = &["coalesce", "greatest", "least", "nullif", "row"];

impl Binder<'_> {
    pub(crate) fn is_pg(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// The typname Postgres resolution sees for a value: `unknown` for a string literal
    /// or NULL; None for UNKNOWN.
    pub(crate) fn pg_input(&self, t: &Typed) -> Option<String> {
        match t.literal {
            Literal::String | Literal::Null => Some("unknown".into()),
            _ => self.pg.typname(&t.ty),
        }
    }

    /// A type as the dialect spells it, for messages.
    pub(crate) fn show(&self, ty: &SqlType) -> String {
        if self.is_pg() {
            match self.pg.normalize(ty) {
                SqlType::Null => "unknown".into(),
                t => t.to_string(),
            }
        } else {
            ty.to_string()
        }
    }

    /// The kind of function `name` (lowercase).
    pub(crate) fn fn_kind(&self, name: &str) -> Option<FunctionKind> {
        if !self.is_pg() {
            return self.catalog.kind(name);
        }
        if PG_SPECIAL.contains(&name) {
            return Some(FunctionKind::Scalar);
        }
        let user;
        let funcs = match self.pg.funcs.get(name) {
            Some(funcs) => funcs.as_slice(),
            None => match self.provider.user_function(name) {
                UserFunction::Known(o) => {
                    user = o.0;
                    &user[..]
                }
                _ => return None,
            },
        };
        if funcs.iter().any(|f| matches!(f.kind, b'a' | b'o')) {
            Some(FunctionKind::Aggregate)
        } else if funcs.iter().all(|f| f.kind == b'w') {
            Some(FunctionKind::Window)
        } else {
            Some(FunctionKind::Scalar)
        }
    }

    /// Whether `name` is a macro that may hide an aggregate (DuckDB only).
    pub(crate) fn fn_macro_only(&self, name: &str) -> bool {
        !self.is_pg() && self.catalog.is_macro_only(name)
    }

    /// The result type of a call (functions and, by symbol, operators).
    pub(crate) fn bind_call_d(&self, name: &str, args: &[Typed]) -> Result<SqlType, CallError> {
        if !self.is_pg() {
            return self.catalog.bind_call(name, args);
        }
        let inputs: Option<Vec<String>> = args.iter().map(|a| self.pg_input(a)).collect();
        let no_overload = || CallError::NoOverload {
            candidates: Vec::new(),
        };
        if name == "row" {
            return Ok(self.pg.sql_type("record"));
        }
        if PG_SPECIAL.contains(&name) {
            let Some(inputs) = inputs else {
                return Ok(SqlType::Unknown);
            };
            let ty = if name == "nullif" {
                if inputs.len() != 2 {
                    return Err(no_overload());
                }
                // The result has the type the `=` operator takes on the left.
                let eq = self
                    .pg
                    .resolve_operator("=", Some(&inputs[0]), &inputs[1])
                    .map_err(|_| no_overload())?;
                Some(match eq.params.first() {
                    _ if inputs[0] == "unknown" => "text".to_string(),
                    Some(p) if !p.starts_with("any") => p.clone(),
                    _ => inputs[0].clone(),
                })
            } else {
                self.pg.common_type(&inputs)
            };
            return ty.map(|t| self.pg.sql_type(&t)).ok_or_else(no_overload);
        }
        if !name.bytes().any(|b| b.is_ascii_alphabetic() || b == b'_') {
            let Some(inputs) = inputs else {
                return Ok(SqlType::Unknown);
            };
            let (left, right) = match inputs.as_slice() {
                [r] => (None, r.as_str()),
                [l, r] => (Some(l.as_str()), r.as_str()),
                _ => return Err(no_overload()),
            };
            return self
                .pg
                .resolve_operator(name, left, right)
                .map(|c| c.ret.map_or(SqlType::Unknown, |t| self.pg.sql_type(&t)));
        }
        if !self.pg.funcs.contains_key(name) {
            // Not pg_catalog's: a user-defined function, maybe.
            match self.provider.user_function(name) {
                UserFunction::Missing => {}
                UserFunction::Unchecked => return Ok(SqlType::Unknown),
                UserFunction::Known(o) => {
                    let Some(inputs) = inputs else {
                        return Ok(SqlType::Unknown);
                    };
                    return self
                        .pg
                        .resolve_among(name, &o.0, &inputs)
                        .map(|(c, _)| c.ret.map_or(SqlType::Unknown, |t| self.pg.sql_type(&t)));
                }
            }
        }
        let Some(inputs) = inputs else {
            // An UNKNOWN argument can be anything: only the name is checked.
            return match self.pg.funcs.get(name) {
                Some(_) => Ok(SqlType::Unknown),
                None => Err(CallError::Unknown {
                    suggestions: self.pg.suggestions(name),
                }),
            };
        };
        self.pg
            .resolve_function(name, &inputs)
            .map(|(c, _)| c.ret.map_or(SqlType::Unknown, |t| self.pg.sql_type(&t)))
    }

    /// A call in Postgres' named notation (`f(1, b => 2)`): the positional arguments'
    /// `types`, then the `named` ones (name, type), checked against the parameter names of
    /// pg_catalog's or the database's overloads.
    pub(crate) fn bind_named_call_d(
        &self,
        name: &str,
        types: &[Typed],
        named: &[(String, Typed)],
    ) -> Result<SqlType, CallError> {
        let user;
        let funcs = match self.pg.funcs.get(name) {
            Some(funcs) => funcs.as_slice(),
            None => match self.provider.user_function(name) {
                UserFunction::Known(o) => {
                    user = o.0;
                    &user[..]
                }
                UserFunction::Unchecked => return Ok(SqlType::Unknown),
                UserFunction::Missing => {
                    return Err(CallError::Unknown {
                        suggestions: self.pg.suggestions(name),
                    });
                }
            },
        };
        let inputs: Vec<Option<String>> = types
            .iter()
            .chain(named.iter().map(|(_, t)| t))
            .map(|t| self.pg_input(t))
            .collect();
        let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
        self.pg
            .resolve_named(name, funcs, &inputs, &names)
            .map(|ret| ret.map_or(SqlType::Unknown, |t| self.pg.sql_type(&t)))
    }

    /// The columns of a table function in FROM; `Ok(None)` when they cannot be known.
    pub(crate) fn bind_table_d(
        &self,
        name: &str,
        args: &[Typed],
    ) -> Result<Option<Vec<(String, SqlType)>>, CallError> {
        if !self.is_pg() {
            return self.catalog.bind_table(name, args);
        }
        let inputs: Option<Vec<String>> = args.iter().map(|a| self.pg_input(a)).collect();
        if let Some(inputs) = inputs
            && let Ok((_, f)) = self.pg.resolve_function(name, &inputs)
            && !f.out_columns.is_empty()
        {
            // A row of OUT columns (`jsonb_each` gives key, value).
            return Ok(Some(
                f.out_columns
                    .iter()
                    .map(|(n, t)| {
                        let ty = if t.starts_with("any") {
                            SqlType::Unknown
                        } else {
                            self.pg.sql_type(t)
                        };
                        (n.clone(), ty)
                    })
                    .collect(),
            ));
        }
        match self.bind_call_d(name, args)? {
            SqlType::Unknown => Ok(None),
            SqlType::Other(t) if t == "record" => Ok(None),
            ty => Ok(Some(vec![(name.to_string(), ty)])),
        }
    }

    /// Whether two values can be compared (`=` for equality, `<` for ordering).
    pub(crate) fn comparable(&self, op: CompareOp, a: &Typed, b: &Typed) -> bool {
        if !self.is_pg() {
            return compare_type(op, a, b).is_some();
        }
        let (Some(l), Some(r)) = (self.pg_input(a), self.pg_input(b)) else {
            return true;
        };
        let name = match op {
            CompareOp::Equality => "=",
            CompareOp::Ordering => "<",
        };
        self.pg.resolve_operator(name, Some(&l), &r).is_ok()
    }

    /// The type two values combine to (CASE branches, set operations, VALUES rows).
    pub(crate) fn combine(&self, a: &Typed, b: &Typed) -> Option<Typed> {
        if !self.is_pg() {
            return max_type(a, b);
        }
        let (Some(l), Some(r)) = (self.pg_input(a), self.pg_input(b)) else {
            return Some(Typed::unknown());
        };
        if l == "unknown" && r == "unknown" {
            return Some(if a.literal == Literal::Null {
                b.clone()
            } else {
                a.clone()
            });
        }
        let t = self.pg.common_type(&[l, r])?;
        Some(Typed::new(self.pg.sql_type(&t)))
    }

    /// The type a CAST names.
    pub(crate) fn cast_type(&self, dt: &DataType) -> SqlType {
        if self.is_pg() {
            self.pg.cast_target(dt)
        } else {
            SqlType::from_ast(dt)
        }
    }

    /// Whether a value of type `from` can be cast explicitly to `to` (Postgres only; DuckDB
    /// casts are not checked).
    pub(crate) fn castable(&self, from: &Typed, to: &SqlType) -> bool {
        if !self.is_pg() {
            return true;
        }
        match (self.pg_input(from), self.pg.typname(to)) {
            (Some(f), Some(t)) => self.pg.can_cast(&f, &t),
            _ => true,
        }
    }

    /// The element type of a list or array value.
    pub(crate) fn element_of(&self, ty: &SqlType) -> SqlType {
        if !self.is_pg() {
            return super::from::element_type(ty);
        }
        self.pg
            .typname(ty)
            .and_then(|t| {
                self.pg
                    .elem(&t)
                    .filter(|_| self.pg.category(&t) == b'A')
                    .map(str::to_string)
            })
            .map_or(SqlType::Unknown, |e| self.pg.sql_type(&e))
    }

    /// The array type of an element type.
    pub(crate) fn array_of(&self, elem: SqlType) -> SqlType {
        if !self.is_pg() {
            return SqlType::List(Box::new(elem));
        }
        match elem {
            SqlType::Null => self.pg.sql_type("_text"),
            e => self
                .pg
                .typname(&e)
                .and_then(|t| self.pg.array_of(&t).map(str::to_string))
                .map_or(SqlType::Unknown, |a| self.pg.sql_type(&a)),
        }
    }

    /// The type a column of this type has in the query's output.
    pub(crate) fn output_type(&self, ty: &SqlType) -> SqlType {
        if !self.is_pg() {
            return ty.materialized();
        }
        match self.pg.normalize(ty) {
            SqlType::Null => self.pg.sql_type("text"),
            t => t,
        }
    }
}
