//! One SELECT: FROM, the SELECT list (stars with EXCLUDE/REPLACE/RENAME, `t.*`,
//! `COLUMNS(...)`, alias reuse), WHERE, GROUP BY, HAVING, QUALIFY, windows, ORDER BY.

use sqlparser::ast::{
    Expr, GroupByExpr, OrderBy, OrderByKind, Select, SelectItem, SelectItemQualifiedWildcardKind,
    Value, WildcardAdditionalOptions,
};

use super::expr::{BExpr, ExprCtx};
use super::group::{GroupKeys, contains_aggregate, normalize};
use super::scope::{BoundColumn, Lineage, Resolved, Scope, as_filter};
use super::{Binder, BoundQuery};
use crate::diagnostics::codes;

/// How the SELECT aggregates.
enum Grouping {
    None,
    /// GROUP BY ALL: every non-aggregate item is a key, nothing to check.
    All,
    Keys(GroupKeys),
}

impl Binder<'_> {
    pub(crate) fn select(
        &mut self,
        select: &Select,
        outer: Option<&Scope<'_>>,
        order_by: Option<&OrderBy>,
    ) -> BoundQuery {
        let mut scope = Scope::with_parent(outer);
        let mut filters = Lineage::new();
        self.bind_from(&select.from, &mut scope, &mut filters);
        let scope = scope;

        let grouping = self.grouping(select, &scope, &mut filters, order_by);
        let keys = match &grouping {
            Grouping::Keys(k) => Some(k),
            _ => None,
        };
        let (columns, aliases, opaque) = self.projection(select, &scope, keys);

        if matches!(grouping, Grouping::All) {
            for (_, b) in &aliases {
                if !b.agg {
                    filters.extend(as_filter(&b.lineage));
                }
            }
        }
        // Postgres sees output names only in GROUP BY and as whole ORDER BY items.
        let visible: &[(String, BExpr)] = if self.is_pg() { &[] } else { &aliases };
        let plain = ExprCtx {
            aliases: visible,
            ..ExprCtx::plain(&scope)
        };
        if let Some(w) = &select.selection {
            let mark = self.diagnostics.len();
            let b = self.expr(w, &plain);
            if self.diagnostics.len() == mark && (b.window || b.agg) {
                // Through a SELECT alias (`where rn = 1`): DuckDB expands it and refuses.
                let what = if b.window {
                    "window functions"
                } else {
                    "aggregates"
                };
                self.error_at(
                    codes::AGGREGATE_MISUSE,
                    w,
                    format!("WHERE clause cannot contain {what}"),
                    Some(
                        "filter on it in QUALIFY (window functions) or HAVING (aggregates)".into(),
                    ),
                );
            }
            self.require_boolean(&b, "WHERE", w);
            filters.extend(as_filter(&b.lineage));
        }
        let agg_ctx = ExprCtx {
            aliases: visible,
            group: keys,
            allow_agg: true,
            allow_window: false,
            ..ExprCtx::plain(&scope)
        };
        if let Some(h) = &select.having {
            let b = self.expr(h, &agg_ctx);
            self.require_boolean(&b, "HAVING", h);
            filters.extend(as_filter(&b.lineage));
        }
        let win_ctx = ExprCtx {
            allow_window: true,
            windows: &select.named_window,
            ..agg_ctx.clone()
        };
        if let Some(q) = &select.qualify {
            let b = self.expr(q, &win_ctx);
            filters.extend(as_filter(&b.lineage));
        }
        if let Some(sqlparser::ast::Distinct::On(exprs)) = &select.distinct {
            for e in exprs {
                let b = self.expr(e, &win_ctx);
                filters.extend(as_filter(&b.lineage));
            }
        }
        for w in &select.named_window {
            if let sqlparser::ast::NamedWindowExpr::WindowSpec(spec) = &w.1 {
                for e in spec
                    .partition_by
                    .iter()
                    .chain(spec.order_by.iter().map(|o| &o.expr))
                {
                    self.expr(e, &agg_ctx);
                }
            }
        }
        if let Some(OrderBy {
            kind: OrderByKind::Expressions(exprs),
            ..
        }) = order_by
        {
            for ob in exprs {
                if let Expr::Value(v) = &ob.expr {
                    if let Value::Number(n, _) = &v.value
                        && let Ok(i) = n.parse::<usize>()
                        && (i == 0 || i > columns.len())
                        && !opaque
                    {
                        self.error_at(
                            codes::UNKNOWN_COLUMN,
                            &ob.expr,
                            format!(
                                "ORDER BY term {i} out of range: the SELECT list has {} columns",
                                columns.len()
                            ),
                            None,
                        );
                    }
                    continue;
                }
                self.order_by_expr(&ob.expr, &columns, &win_ctx);
                self.pg_distinct_order(select, &ob.expr, &columns);
            }
        }
        let columns = columns
            .into_iter()
            .map(|mut c| {
                c.lineage.extend(filters.iter().cloned());
                c
            })
            .collect();
        BoundQuery { columns, opaque }
    }

    /// Postgres: with SELECT DISTINCT, ORDER BY may only use what the SELECT list has.
    fn pg_distinct_order(&mut self, select: &Select, e: &Expr, columns: &[BoundColumn]) {
        if !self.is_pg() || !matches!(select.distinct, Some(sqlparser::ast::Distinct::Distinct)) {
            return;
        }
        let last = match e {
            Expr::Identifier(i) => Some(i),
            Expr::CompoundIdentifier(parts) => parts.last(),
            _ => None,
        };
        if last.is_some_and(|i| {
            columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&i.value))
        }) {
            return;
        }
        let text = normalize(e);
        let listed = select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(x) | SelectItem::ExprWithAlias { expr: x, .. } => {
                normalize(x) == text
            }
            _ => true,
        });
        if !listed {
            self.error_at(
                codes::NOT_GROUPED,
                e,
                "for SELECT DISTINCT, ORDER BY expressions must appear in the select list".into(),
                Some("add the expression to the SELECT list".into()),
            );
        }
    }

    /// ORDER BY in a SELECT: an output name, or an expression over the FROM items.
    fn order_by_expr(&mut self, e: &Expr, columns: &[BoundColumn], ctx: &ExprCtx<'_, '_>) {
        if let Expr::Identifier(i) = e
            && columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&i.value))
        {
            return;
        }
        self.expr(e, ctx);
    }

    /// GROUP BY: resolves ordinals and SELECT aliases to the SELECT expressions they name.
    fn grouping(
        &mut self,
        select: &Select,
        scope: &Scope<'_>,
        filters: &mut Lineage,
        order_by: Option<&OrderBy>,
    ) -> Grouping {
        let exprs = match &select.group_by {
            GroupByExpr::All(_) => return Grouping::All,
            GroupByExpr::Expressions(exprs, _) => exprs,
        };
        let mut flat = Vec::new();
        for e in exprs {
            match e {
                Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                    flat.extend(sets.iter().flatten())
                }
                e => flat.push(e),
            }
        }
        let aggregated_items = select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                contains_aggregate(e, &|n| self.fn_kind(n))
            }
            _ => false,
        }) || select
            .having
            .as_ref()
            .is_some_and(|h| contains_aggregate(h, &|n| self.fn_kind(n)))
            || matches!(order_by, Some(OrderBy { kind: OrderByKind::Expressions(obs), .. })
                if obs.iter().any(|o| contains_aggregate(&o.expr, &|n| self.fn_kind(n))));
        // A HAVING clause aggregates the SELECT even without aggregates or GROUP BY.
        if flat.is_empty() && !aggregated_items && select.having.is_none() {
            return Grouping::None;
        }
        let mut keys = GroupKeys::default();
        let ctx = ExprCtx::plain(scope);
        for e in flat {
            // An ordinal after a star counts the star's columns.
            if let Some(n) = ordinal(e)
                && super::group::star_before(select, n)
            {
                match super::group::ordinal_target(select, scope, n) {
                    Some(super::group::OrdinalTarget::Column(i, c)) => {
                        keys.columns.insert((i, c));
                        continue;
                    }
                    Some(super::group::OrdinalTarget::Expr(x)) => {
                        match column_identity(x, scope) {
                            Some(col) => keys.columns.insert(col),
                            None => keys.texts.insert(normalize(x)),
                        };
                        let b = self.quiet_expr(x, &ctx);
                        filters.extend(as_filter(&b.lineage));
                        continue;
                    }
                    None => return Grouping::All,
                }
            }
            let target = self.group_target(e, select, scope);
            // A column key is matched by identity (`a.category` does not group
            // `b.category`), anything else by its text.
            match column_identity(target, scope) {
                Some(col) => {
                    keys.columns.insert(col);
                }
                None => {
                    keys.texts.insert(normalize(target));
                }
            }
            let b = if std::ptr::eq(target, e) {
                self.expr(e, &ctx)
            } else {
                // A SELECT expression: bound (and reported) with the SELECT list.
                self.quiet_expr(target, &ctx)
            };
            filters.extend(as_filter(&b.lineage));
        }
        Grouping::Keys(keys)
    }

    /// Binds without keeping diagnostics (the expression is reported elsewhere).
    fn quiet_expr(&mut self, e: &Expr, ctx: &ExprCtx<'_, '_>) -> BExpr {
        let mark = self.diagnostics.len();
        let b = self.expr(e, ctx);
        self.diagnostics.truncate(mark);
        b
    }

    /// What a GROUP BY item names: `1` is the first SELECT expression; an alias that is
    /// not a FROM column names its SELECT expression.
    fn group_target<'e>(&self, e: &'e Expr, select: &'e Select, scope: &Scope<'_>) -> &'e Expr {
        let item_expr = |item: &'e SelectItem| match item {
            SelectItem::UnnamedExpr(x) | SelectItem::ExprWithAlias { expr: x, .. } => Some(x),
            _ => None,
        };
        match e {
            Expr::Value(v) => {
                if let Value::Number(n, _) = &v.value
                    && let Ok(i) = n.parse::<usize>()
                    && let Some(x) = select.projection.get(i.wrapping_sub(1)).and_then(item_expr)
                {
                    return x;
                }
                e
            }
            Expr::Identifier(id) if matches!(scope.resolve(&id.value), Resolved::NotFound) => {
                select
                    .projection
                    .iter()
                    .find_map(|item| match item {
                        SelectItem::ExprWithAlias { expr, alias }
                            if alias.value.eq_ignore_ascii_case(&id.value) =>
                        {
                            Some(expr)
                        }
                        _ => None,
                    })
                    .unwrap_or(e)
            }
            _ => e,
        }
    }

    /// The SELECT list: output columns, the aliases later clauses may use, and whether the
    /// output is opaque (a star over an opaque relation).
    fn projection(
        &mut self,
        select: &Select,
        scope: &Scope<'_>,
        keys: Option<&GroupKeys>,
    ) -> (Vec<BoundColumn>, Vec<(String, BExpr)>, bool) {
        let mut columns = Vec::new();
        let mut aliases: Vec<(String, BExpr)> = Vec::new();
        let mut opaque = false;
        let star_only = select.projection.is_empty();
        if star_only {
            opaque |= self.star(scope, None, None, keys, &mut columns);
        }
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(opts) => {
                    opaque |= self.star(scope, None, Some(opts), keys, &mut columns);
                }
                SelectItem::QualifiedWildcard(kind, opts) => {
                    let qualifier = match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            super::from::name_parts(name)
                                .into_iter()
                                .map(|i| i.value)
                                .collect::<Vec<_>>()
                        }
                        SelectItemQualifiedWildcardKind::Expr(_) => {
                            opaque = true;
                            continue;
                        }
                    };
                    match scope.find_item(&qualifier) {
                        Some((0, i)) => {
                            opaque |= self.star(scope, Some(i), Some(opts), keys, &mut columns);
                        }
                        _ if self.struct_star(&qualifier, scope, &mut columns) => {}
                        _ => {
                            let (s, e) = self.range(item);
                            self.error(
                                codes::UNKNOWN_RELATION,
                                format!("referenced table \"{}\" not found", qualifier.join(".")),
                                None,
                                s,
                                e,
                            );
                        }
                    }
                }
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    if is_columns_call(e) {
                        opaque |= self.columns_call(e, scope, &mut columns);
                        continue;
                    }
                    let visible: &[(String, BExpr)] = if self.is_pg() { &[] } else { &aliases };
                    let ctx = ExprCtx {
                        aliases: visible,
                        group: keys,
                        allow_agg: true,
                        allow_window: true,
                        windows: &select.named_window,
                        ..ExprCtx::plain(scope)
                    };
                    let alias = match item {
                        SelectItem::ExprWithAlias { alias, .. } => Some(alias),
                        _ => None,
                    };
                    if !self.is_pg()
                        && let Some(expanded) = self.expand_item(e, alias, &ctx)
                    {
                        columns.extend(expanded);
                        continue;
                    }
                    self.expanding = false;
                    let b = self.expr(e, &ctx);
                    if std::mem::take(&mut self.expanding) {
                        opaque = true;
                    }
                    let name = match item {
                        SelectItem::ExprWithAlias { alias, .. }
                            if self.is_pg() && alias.quote_style.is_none() =>
                        {
                            alias.value.to_lowercase()
                        }
                        SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                        _ => match (&b.column_name, e) {
                            (Some(n), Expr::Identifier(_) | Expr::CompoundIdentifier(_)) => {
                                n.clone()
                            }
                            _ if self.is_pg() => super::naming::pg_column_name(e),
                            _ => super::naming::column_name(e),
                        },
                    };
                    let lineage = if b.copy {
                        b.lineage.clone()
                    } else {
                        super::scope::transformed(&b.lineage)
                    };
                    columns.push(BoundColumn {
                        name: name.clone(),
                        ty: b.typed.ty.clone(),
                        lineage,
                    });
                    aliases.push((name, b));
                }
                _ => opaque = true,
            }
        }
        (columns, aliases, opaque)
    }

    /// `s.*` for a struct column `s`: one column per field.
    fn struct_star(
        &mut self,
        qualifier: &[String],
        scope: &Scope<'_>,
        out: &mut Vec<BoundColumn>,
    ) -> bool {
        let [name] = qualifier else { return false };
        let Resolved::Column {
            depth,
            item,
            column: Some(c),
        } = scope.resolve(name)
        else {
            return false;
        };
        let col = &scope.item(depth, item).columns[c];
        let crate::sql::types::SqlType::Struct(fields) = &col.ty else {
            return false;
        };
        let lineage = super::scope::transformed(&col.lineage);
        out.extend(fields.iter().map(|(n, t)| BoundColumn {
            name: n.clone(),
            ty: t.clone(),
            lineage: lineage.clone(),
        }));
        true
    }

    /// Expands `*` (all items) or `t.*` (item `only`), applying EXCLUDE/REPLACE/RENAME.
    /// Returns whether an opaque item made the expansion unknown.
    fn star(
        &mut self,
        scope: &Scope<'_>,
        only: Option<usize>,
        opts: Option<&WildcardAdditionalOptions>,
        keys: Option<&GroupKeys>,
        out: &mut Vec<BoundColumn>,
    ) -> bool {
        let mut opaque = false;
        self.duplicate_alias(scope, only, opts);
        let mut expanded: Vec<(usize, usize, BoundColumn)> = Vec::new();
        for (i, item) in scope.items.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            opaque |= item.opaque;
            for (c, col) in item.columns.iter().enumerate() {
                if only.is_none() && item.merged.contains(&c) {
                    continue;
                }
                expanded.push((i, c, col.clone()));
            }
        }
        if let Some(opts) = opts {
            let excluded: Vec<&sqlparser::ast::ObjectName> = match &opts.opt_exclude {
                Some(sqlparser::ast::ExcludeSelectItem::Single(n)) => vec![n],
                Some(sqlparser::ast::ExcludeSelectItem::Multiple(ns)) => ns.iter().collect(),
                None => Vec::new(),
            };
            for name in excluded {
                let parts = super::from::name_parts(name);
                let Some(last) = parts.last() else { continue };
                let before = expanded.len();
                expanded.retain(|(_, _, c)| !c.name.eq_ignore_ascii_case(&last.value));
                if before == expanded.len() && !opaque {
                    self.error_at(
                        codes::UNKNOWN_COLUMN,
                        last,
                        format!(
                            "column \"{}\" in EXCLUDE list not found in FROM clause",
                            last.value
                        ),
                        None,
                    );
                }
            }
            if let Some(replace) = &opts.opt_replace {
                for r in &replace.items {
                    let ctx = ExprCtx {
                        group: keys,
                        allow_agg: true,
                        allow_window: true,
                        ..ExprCtx::plain(scope)
                    };
                    let b = self.expr(&r.expr, &ctx);
                    match expanded
                        .iter_mut()
                        .find(|(_, _, c)| c.name.eq_ignore_ascii_case(&r.column_name.value))
                    {
                        Some((_, _, c)) => {
                            c.ty = b.typed.ty.clone();
                            c.lineage = if b.copy {
                                b.lineage
                            } else {
                                super::scope::transformed(&b.lineage)
                            };
                            // A replaced column is an expression: no GROUP BY check on it.
                            c.name = r.column_name.value.clone();
                        }
                        None if !opaque => self.error_at(
                            codes::UNKNOWN_COLUMN,
                            &r.column_name,
                            format!(
                                "column \"{}\" in REPLACE list not found in FROM clause",
                                r.column_name.value
                            ),
                            None,
                        ),
                        None => {}
                    }
                }
            }
            if let Some(sqlparser::ast::RenameSelectItem::Multiple(renames)) = &opts.opt_rename {
                for r in renames {
                    if let Some((_, _, c)) = expanded
                        .iter_mut()
                        .find(|(_, _, c)| c.name.eq_ignore_ascii_case(&r.ident.value))
                    {
                        c.name = r.alias.value.clone();
                    }
                }
            }
        }
        if let Some(keys) = keys
            && !opaque
        {
            for (i, c, col) in &expanded {
                if !keys.columns.contains(&(*i, *c))
                    && !keys.texts.contains(&col.name.to_ascii_lowercase())
                {
                    let at = opts.map(|o| &o.wildcard_token);
                    let (s, e) = at.map_or((0, 0), |t| self.range(&t.0.span));
                    self.error(
                        codes::NOT_GROUPED,
                        format!("column \"{}\" must appear in the GROUP BY clause or be used in an aggregate function", col.name),
                        Some("use GROUP BY ALL to group by every selected column".into()),
                        s,
                        e,
                    );
                }
            }
        }
        out.extend(expanded.into_iter().map(|(_, _, c)| c));
        opaque
    }

    /// DuckDB refuses to expand `*` (or `t.*`) over two FROM items with the same alias.
    fn duplicate_alias(
        &mut self,
        scope: &Scope<'_>,
        only: Option<usize>,
        opts: Option<&WildcardAdditionalOptions>,
    ) {
        let named = |i: usize| scope.items[i].alias.as_deref();
        let duplicate = scope.items.iter().enumerate().find_map(|(i, item)| {
            let alias = item.alias.as_deref()?;
            if only.is_some_and(|o| named(o) != Some(alias)) {
                return None;
            }
            scope.items[..i]
                .iter()
                .any(|other| other.alias.as_deref() == Some(alias))
                .then(|| alias.to_string())
        });
        if let Some(alias) = duplicate {
            let (s, e) = opts.map_or((0, 0), |o| self.range(&o.wildcard_token.0.span));
            self.error(
                codes::AMBIGUOUS_COLUMN,
                format!("ambiguous reference to table \"{alias}\": two FROM items are named so"),
                Some("give one of them another alias (AS my_alias)".into()),
                s,
                e,
            );
        }
    }

    /// `COLUMNS('regex')` / `COLUMNS(*)` at the top of a SELECT item: the matching columns.
    pub(crate) fn columns_call(
        &mut self,
        e: &Expr,
        scope: &Scope<'_>,
        out: &mut Vec<BoundColumn>,
    ) -> bool {
        let Expr::Function(f) = e else { return true };
        let sqlparser::ast::FunctionArguments::List(list) = &f.args else {
            return true;
        };
        let mut star_opts = None;
        let mut lambda = None;
        let pattern = match list.args.as_slice() {
            [
                sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
                    Expr::Lambda(l),
                )),
            ] => {
                // The body is bound over a VARCHAR name (unknown functions are errors).
                if let Some(p) = super::name_filter::param(l) {
                    let mut ctx = ExprCtx::plain(scope);
                    ctx.lambdas
                        .push((p.to_string(), crate::sql::types::SqlType::Varchar));
                    self.expr(&l.body, &ctx);
                }
                match super::name_filter::NameFilter::from_lambda(l) {
                    Some(f) => {
                        lambda = Some(f);
                        None
                    }
                    None => return true,
                }
            }
            [sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Wildcard)] => {
                None
            }
            [
                sqlparser::ast::FunctionArg::Unnamed(
                    sqlparser::ast::FunctionArgExpr::WildcardWithOptions(opts),
                ),
            ] => {
                star_opts = Some(opts);
                None
            }
            [
                sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(
                    Expr::Value(v),
                )),
            ] => match &v.value {
                Value::SingleQuotedString(s) => match regex::Regex::new(s) {
                    Ok(r) => Some(r),
                    Err(_) => return true,
                },
                _ => return true,
            },
            _ => return true,
        };
        let mut all = Vec::new();
        let opaque = self.star(scope, None, star_opts, None, &mut all);
        let before = out.len();
        out.extend(all.into_iter().filter(|c| {
            pattern.as_ref().is_none_or(|r| r.is_match(&c.name))
                && lambda.as_ref().is_none_or(|f| f.matches(&c.name))
        }));
        if (pattern.is_some() || lambda.is_some()) && out.len() == before && !opaque {
            let what = pattern.as_ref().map_or_else(
                || "lambda".to_string(),
                |r| format!("regex \"{}\"", r.as_str()),
            );
            self.error_at(
                codes::UNKNOWN_COLUMN,
                e,
                format!("no column matches the COLUMNS {what}"),
                None,
            );
        }
        opaque
    }
}

pub(crate) fn is_columns_call(e: &Expr) -> bool {
    matches!(e, Expr::Function(f) if f.name.0.len() == 1
        && f.name.0[0].as_ident().is_some_and(|i| i.value.eq_ignore_ascii_case("columns")))
}

/// A GROUP BY ordinal (`group by 2`).
fn ordinal(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The (item, column) a plain column reference resolves to in the current scope.
fn column_identity(e: &Expr, scope: &Scope<'_>) -> Option<(usize, usize)> {
    match e {
        Expr::Identifier(id) => match scope.resolve(&id.value) {
            Resolved::Column {
                depth: 0,
                item,
                column: Some(c),
            } => Some((item, c)),
            _ => None,
        },
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let names: Vec<String> = parts.iter().map(|p| p.value.clone()).collect();
            let (qualifier, last) = names.split_at(names.len() - 1);
            let (depth, item) = scope.find_item(qualifier)?;
            if depth != 0 {
                return None;
            }
            scope.items[item].column_index(&last[0]).map(|c| (item, c))
        }
        Expr::Nested(inner) => column_identity(inner, scope),
        _ => None,
    }
}
