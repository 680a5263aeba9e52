//! FROM items and joins: relations, CTEs, derived tables, table functions, UNNEST, and the
//! ON / USING / NATURAL constraints.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, Join, JoinConstraint, JoinOperator, ObjectName,
    ObjectNamePart, TableAlias, TableFactor, TableWithJoins,
};

use super::scope::{BoundColumn, Lineage, Scope, ScopeItem, as_filter};
use super::{Binder, BoundQuery};
use crate::diagnostics::codes;
use crate::sql::catalog::CallError;
use crate::sql::schema::RelationLookup;
use crate::sql::types::{SqlType, Typed};

/// The identifiers of an object name (function-call parts are not relation names).
pub(crate) fn name_parts(name: &ObjectName) -> Vec<Ident> {
    name.0
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

impl Binder<'_> {
    /// Binds the FROM clause into `scope.items`; join conditions add filter lineage.
    pub(crate) fn bind_from(
        &mut self,
        from: &[TableWithJoins],
        scope: &mut Scope<'_>,
        filters: &mut Lineage,
    ) {
        for twj in from {
            self.table_with_joins(twj, scope, filters);
        }
    }

    fn table_with_joins(
        &mut self,
        twj: &TableWithJoins,
        scope: &mut Scope<'_>,
        filters: &mut Lineage,
    ) {
        let items = self.factor(&twj.relation, scope, filters);
        scope.items.extend(items);
        for join in &twj.joins {
            self.join(join, scope, filters);
        }
    }

    fn join(&mut self, join: &Join, scope: &mut Scope<'_>, filters: &mut Lineage) {
        let first_right = scope.items.len();
        let items = self.factor(&join.relation, scope, filters);
        scope.items.extend(items);
        let constraint = match &join.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c)
            | JoinOperator::CrossJoin(c)
            | JoinOperator::Semi(c)
            | JoinOperator::LeftSemi(c)
            | JoinOperator::RightSemi(c)
            | JoinOperator::Anti(c)
            | JoinOperator::LeftAnti(c)
            | JoinOperator::RightAnti(c)
            | JoinOperator::StraightJoin(c) => Some(c),
            JoinOperator::AsOf {
                match_condition,
                constraint,
            } => {
                let bound = self.expr_in(match_condition, scope);
                filters.extend(as_filter(&bound.lineage));
                Some(constraint)
            }
            _ => None,
        };
        let semi = matches!(
            &join.join_operator,
            JoinOperator::Semi(_)
                | JoinOperator::LeftSemi(_)
                | JoinOperator::Anti(_)
                | JoinOperator::LeftAnti(_)
        );
        match constraint {
            Some(JoinConstraint::On(on)) => {
                let bound = self.expr_in(on, scope);
                self.require_boolean(&bound, "JOIN/ON", on);
                filters.extend(as_filter(&bound.lineage));
            }
            Some(JoinConstraint::Using(names)) | Some(JoinConstraint::UsingAlias(names, _)) => {
                for name in names {
                    let parts = name_parts(name);
                    if let Some(ident) = parts.last() {
                        self.using_column(ident, scope, first_right, filters);
                    }
                }
            }
            Some(JoinConstraint::Natural) => {
                let names: Vec<Ident> = scope.items[first_right..]
                    .iter()
                    .flat_map(|i| i.columns.iter().map(|c| Ident::new(c.name.clone())))
                    .filter(|n| {
                        scope.items[..first_right]
                            .iter()
                            .any(|i| i.column_index(&n.value).is_some())
                    })
                    .collect();
                for ident in &names {
                    self.using_column(ident, scope, first_right, filters);
                }
            }
            _ => {}
        }
        if semi {
            // SEMI/ANTI joins only filter: the right side's columns are not visible.
            for item in scope.items.drain(first_right..).collect::<Vec<_>>() {
                for c in item.columns {
                    filters.extend(as_filter(&c.lineage));
                }
            }
        }
    }

    /// `USING (name)`: both sides must have the column; the right one is merged away.
    fn using_column(
        &mut self,
        ident: &Ident,
        scope: &mut Scope<'_>,
        first_right: usize,
        filters: &mut Lineage,
    ) {
        let name = &ident.value;
        let left = scope.items[..first_right]
            .iter()
            .position(|i| i.column_index(name).is_some() || i.opaque);
        let right = scope.items[first_right..]
            .iter()
            .position(|i| i.column_index(name).is_some() || i.opaque)
            .map(|i| i + first_right);
        match (left, right) {
            (Some(l), Some(r)) => {
                for i in [l, r] {
                    if let Some(c) = scope.items[i].column_index(name) {
                        filters.extend(as_filter(&scope.items[i].columns[c].lineage));
                    }
                }
                if let Some(c) = scope.items[r].column_index(name) {
                    scope.items[r].merged.insert(c);
                    if let Some(lc) = scope.items[l].column_index(name) {
                        let lt = Typed::new(scope.items[l].columns[lc].ty.clone());
                        let rt = Typed::new(scope.items[r].columns[c].ty.clone());
                        if self.is_pg()
                            && let Some(common) = self.combine(&lt, &rt)
                            && common.ty != lt.ty
                        {
                            scope.items[l].using_types.insert(lc, common.ty);
                        }
                    }
                }
            }
            _ => {
                let side = if left.is_none() { "left" } else { "right" };
                self.error_at(
                    codes::UNKNOWN_COLUMN,
                    ident,
                    format!("column \"{name}\" in USING clause does not exist on the {side} side of the join"),
                    None,
                );
            }
        }
    }

    /// One FROM item; a nested join yields several.
    pub(crate) fn factor(
        &mut self,
        factor: &TableFactor,
        scope: &Scope<'_>,
        filters: &mut Lineage,
    ) -> Vec<ScopeItem> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_ordinality,
                ..
            } => {
                let parts = name_parts(name);
                match args {
                    Some(args) => {
                        let fname = parts.last().map_or(String::new(), |i| i.value.clone());
                        self.ordinality = *with_ordinality;
                        let item =
                            self.table_function(&fname, name, &args.args, alias.as_ref(), scope);
                        self.ordinality = false;
                        vec![item]
                    }
                    None => vec![self.named_relation(&parts, name, alias.as_ref())],
                }
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let bound = self.query(subquery, Some(scope));
                vec![self.derived_item(bound, alias.as_ref(), None)]
            }
            TableFactor::Function {
                name,
                args,
                alias,
                with_ordinality,
                ..
            } => {
                let fname = name_parts(name)
                    .last()
                    .map_or(String::new(), |i| i.value.clone());
                self.ordinality = *with_ordinality;
                let item = self.table_function(&fname, name, args, alias.as_ref(), scope);
                self.ordinality = false;
                vec![item]
            }
            TableFactor::TableFunction { expr, alias } => match expr {
                Expr::Function(f) => {
                    let fname = name_parts(&f.name)
                        .last()
                        .map_or(String::new(), |i| i.value.clone());
                    let args = match &f.args {
                        sqlparser::ast::FunctionArguments::List(l) => l.args.clone(),
                        _ => Vec::new(),
                    };
                    vec![self.table_function(&fname, &f.name, &args, alias.as_ref(), scope)]
                }
                _ => vec![self.opaque_item(alias.as_ref(), None)],
            },
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_ordinality,
                ..
            } => {
                let columns = array_exprs
                    .iter()
                    .map(|e| {
                        let bound = self.expr_in(e, scope);
                        if !self.pg_unnest_arg(&bound.typed) {
                            let shown = self.show(&bound.typed.ty);
                            self.error_at(
                                codes::NO_OVERLOAD,
                                e,
                                format!("no function matches \"unnest({shown})\""),
                                Some("unnest takes arrays".into()),
                            );
                        }
                        BoundColumn {
                            name: "unnest".to_string(),
                            ty: self.element_of(&bound.typed.ty),
                            lineage: super::scope::transformed(&bound.lineage),
                        }
                    })
                    .collect();
                self.ordinality = *with_ordinality;
                let columns = self.pg_function_columns(columns, alias.as_ref());
                let bound = BoundQuery {
                    columns,
                    opaque: false,
                };
                vec![self.derived_item(bound, alias.as_ref(), Some("unnest"))]
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let mut inner = Scope::with_parent(scope.parent);
                self.table_with_joins(table_with_joins, &mut inner, filters);
                match alias {
                    None => inner.items,
                    Some(_) => {
                        let opaque = inner.items.iter().any(|i| i.opaque);
                        let columns = inner
                            .items
                            .into_iter()
                            .flat_map(|i| {
                                let merged = i.merged;
                                i.columns
                                    .into_iter()
                                    .enumerate()
                                    .filter(move |(n, _)| !merged.contains(n))
                                    .map(|(_, c)| c)
                            })
                            .collect();
                        vec![self.derived_item(
                            BoundQuery { columns, opaque },
                            alias.as_ref(),
                            None,
                        )]
                    }
                }
            }
            TableFactor::Pivot { .. } => vec![self.pivot_item(factor, scope, filters)],
            TableFactor::Unpivot { .. } => vec![self.unpivot_item(factor, scope, filters)],
            _ => {
                self.opaque = true;
                vec![self.opaque_item(None, None)]
            }
        }
    }

    pub(crate) fn opaque_item(
        &mut self,
        alias: Option<&TableAlias>,
        default: Option<&str>,
    ) -> ScopeItem {
        let name = alias
            .map(|a| a.name.value.clone())
            .or_else(|| default.map(str::to_string));
        ScopeItem::opaque(name.clone(), name.into_iter().collect())
    }

    pub(crate) fn derived_item(
        &mut self,
        bound: BoundQuery,
        alias: Option<&TableAlias>,
        default: Option<&str>,
    ) -> ScopeItem {
        let bound = match alias {
            Some(a) => self.rename_columns(bound, &a.columns, &a.name),
            None => bound,
        };
        let name = alias
            .map(|a| a.name.value.clone())
            .or_else(|| default.map(str::to_string));
        if bound.opaque {
            return ScopeItem::opaque(name.clone(), name.into_iter().collect());
        }
        let mut columns = bound.columns;
        if self.is_pg() {
            // An untyped literal column of a subquery is text to the outer query.
            for c in &mut columns {
                if c.ty == SqlType::Null {
                    c.ty = self.output_type(&c.ty);
                }
            }
        } else {
            crate::sql::schema::dedup_names(columns.iter_mut().map(|c| &mut c.name));
        }
        ScopeItem::new(name.clone(), name.into_iter().collect(), columns)
    }

    /// A relation by name: a CTE (single part) or whatever the provider knows.
    fn named_relation(
        &mut self,
        parts: &[Ident],
        name: &ObjectName,
        alias: Option<&TableAlias>,
    ) -> ScopeItem {
        let path: Vec<String> = parts.iter().map(|i| i.value.clone()).collect();
        let last = path.last().cloned();
        if let [single] = parts
            && let Some(bound) = self.embedded_pivot(&single.value)
        {
            return self.derived_item(bound, alias, None);
        }
        if let [single] = parts
            && let Some(cte) = self.find_cte(&single.value).cloned()
        {
            let mut item = self.derived_item(cte, alias, Some(&single.value));
            item.path = path;
            return item;
        }
        let (columns, opaque) = match self.provider.lookup(&path) {
            RelationLookup::Partial { node, schema } => (
                schema
                    .columns
                    .iter()
                    .map(|c| BoundColumn::base(&c.name, c.ty.clone(), node.as_ref()))
                    .collect(),
                true,
            ),
            RelationLookup::Known { node, schema } => (
                schema
                    .columns
                    .iter()
                    .map(|c| BoundColumn::base(&c.name, c.ty.clone(), node.as_ref()))
                    .collect(),
                false,
            ),
            RelationLookup::Opaque => (Vec::new(), true),
            RelationLookup::Missing => {
                let candidates: Vec<&str> = self.ctes.iter().map(|c| c.name.as_str()).collect();
                let hint = super::scope::closest(last.as_deref().unwrap_or(""), candidates)
                    .map(|c| format!("did you mean \"{c}\"?"));
                self.error_at(
                    codes::UNKNOWN_RELATION,
                    name,
                    format!("table \"{}\" does not exist", path.join(".")),
                    hint,
                );
                (Vec::new(), true)
            }
        };
        let partial = opaque && !columns.is_empty();
        let bound = BoundQuery {
            columns,
            opaque: opaque && !partial,
        };
        let mut item = self.derived_item(bound, alias, last.as_deref());
        item.path = path;
        item.opaque |= partial;
        item
    }

    fn table_function(
        &mut self,
        fname: &str,
        name: &ObjectName,
        args: &[FunctionArg],
        alias: Option<&TableAlias>,
        scope: &Scope<'_>,
    ) -> ScopeItem {
        let mut types = Vec::new();
        let mut lineage = Lineage::new();
        for arg in args {
            let expr = match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
                FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => e,
                _ => continue,
            };
            let bound = self.expr_in(expr, scope);
            lineage.extend(super::scope::transformed(&bound.lineage));
            if matches!(arg, FunctionArg::Unnamed(_)) {
                types.push(bound.typed);
            }
        }
        let lower = fname.to_ascii_lowercase();
        if lower == "unnest" && self.is_pg() && types.iter().any(|t| !self.pg_unnest_arg(t)) {
            self.call_error(
                CallError::NoOverload {
                    candidates: vec!["unnest(anyarray)".into()],
                },
                fname,
                &types,
                name,
            );
            return self.opaque_item(alias, Some(fname));
        }
        if lower == "unnest" {
            let columns = types
                .iter()
                .map(|t| BoundColumn {
                    name: "unnest".to_string(),
                    ty: self.element_of(&t.ty),
                    lineage: lineage.clone(),
                })
                .collect();
            let columns = self.pg_function_columns(columns, alias);
            return self.derived_item(
                BoundQuery {
                    columns,
                    opaque: false,
                },
                alias,
                Some("unnest"),
            );
        }
        match self.bind_table_d(&lower, &types) {
            Ok(Some(cols)) => {
                let columns = cols
                    .into_iter()
                    .map(|(n, ty)| BoundColumn {
                        name: n,
                        ty,
                        lineage: lineage.clone(),
                    })
                    .collect();
                let columns = self.pg_function_columns(columns, alias);
                self.derived_item(
                    BoundQuery {
                        columns,
                        opaque: false,
                    },
                    alias,
                    Some(fname),
                )
            }
            Ok(None) => self.opaque_item(alias, Some(fname)),
            Err(e) => {
                self.call_error(e, fname, &types, name);
                self.opaque_item(alias, Some(fname))
            }
        }
    }

    /// Whether a value can be an argument of Postgres' `unnest` (an array, or UNKNOWN).
    fn pg_unnest_arg(&self, t: &Typed) -> bool {
        !self.is_pg()
            || self
                .pg_input(t)
                .is_none_or(|n| n != "unknown" && !self.element_of(&t.ty).is_unknown())
    }

    /// Postgres names the single column of a function in FROM after the alias
    /// (`generate_series(1, 3) as g` has a column `g`).
    /// `WITH ORDINALITY` adds a bigint column `ordinality`.
    fn pg_function_columns(
        &mut self,
        mut columns: Vec<BoundColumn>,
        alias: Option<&TableAlias>,
    ) -> Vec<BoundColumn> {
        if self.is_pg()
            && let (Some(a), [only]) = (alias, columns.as_mut_slice())
            && a.columns.is_empty()
        {
            only.name = a.name.value.clone();
        }
        if std::mem::take(&mut self.ordinality) {
            columns.push(BoundColumn {
                name: "ordinality".into(),
                ty: SqlType::BigInt,
                lineage: Lineage::new(),
            });
        }
        columns
    }

    /// Reports a call that does not bind.
    pub(crate) fn call_error(
        &mut self,
        error: CallError,
        fname: &str,
        types: &[Typed],
        at: &impl super::Loc,
    ) {
        match error {
            CallError::Unknown { suggestions } => {
                let hint = suggestions
                    .first()
                    .map(|s| format!("did you mean \"{s}\"?"));
                self.error_at(
                    codes::UNKNOWN_FUNCTION,
                    at,
                    format!("function \"{fname}\" does not exist"),
                    hint,
                );
            }
            CallError::NoOverload { candidates } => {
                let args: Vec<String> = types.iter().map(|t| self.show(&t.ty)).collect();
                let hint = (!candidates.is_empty()).then(|| {
                    let shown: Vec<&str> = candidates.iter().take(8).map(String::as_str).collect();
                    format!("candidates: {}", shown.join(", "))
                });
                let symbol = self.is_pg() && !fname.bytes().any(|b| b.is_ascii_alphanumeric());
                let message = match args.as_slice() {
                    [l, r] if symbol => {
                        format!("operator does not exist: {l} {fname} {r}")
                    }
                    [r] if symbol => {
                        format!("operator does not exist: {fname} {r}")
                    }
                    _ => format!("no function matches \"{fname}({})\"", args.join(", ")),
                };
                self.error_at(
                    codes::NO_OVERLOAD,
                    at,
                    message,
                    hint.or_else(|| self.is_pg().then(|| "add explicit casts".into())),
                );
            }
        }
    }
}

/// The element type of a list or array (UNKNOWN for anything else).
pub(crate) fn element_type(ty: &SqlType) -> SqlType {
    match ty {
        SqlType::List(e) | SqlType::Array(e, _) => (**e).clone(),
        _ => SqlType::Unknown,
    }
}
