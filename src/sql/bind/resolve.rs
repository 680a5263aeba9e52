//! Column references: bare names (lambda parameters, columns, earlier SELECT aliases,
//! keyword functions), qualified names, struct field access, and the GROUP BY check.

use sqlparser::ast::Ident;

use super::Binder;
use super::expr::{BExpr, ExprCtx};
use super::scope::{Resolved, closest};
use crate::diagnostics::codes;
use crate::sql::types::{SqlType, Typed};

impl Binder<'_> {
    /// A bare name: a lambda parameter, a column, an earlier SELECT alias, or a keyword
    /// function such as `current_date`.
    pub(crate) fn identifier(&mut self, ident: &Ident, ctx: &ExprCtx<'_, '_>) -> BExpr {
        let name = &ident.value;
        if let Some((_, ty)) = ctx
            .lambdas
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return BExpr::of(ty.clone());
        }
        match ctx.scope.resolve(name) {
            Resolved::Column {
                depth,
                item,
                column,
            } => {
                let mut b = self.column(depth, item, column, ident, ctx);
                if let Some(ty) =
                    column.and_then(|c| ctx.scope.item(depth, item).using_types.get(&c))
                {
                    b.typed = Typed::new(ty.clone());
                }
                b
            }
            Resolved::Ambiguous(items) => {
                self.error_at(
                    codes::AMBIGUOUS_COLUMN,
                    ident,
                    format!(
                        "column reference \"{name}\" is ambiguous: it exists in {}",
                        items.join(" and ")
                    ),
                    Some(format!("qualify it, e.g. {}.{name}", items[0])),
                );
                BExpr::of(SqlType::Unknown)
            }
            Resolved::NotFound => {
                if let Some((_, b)) = ctx
                    .aliases
                    .iter()
                    .rev()
                    .find(|(a, _)| a.eq_ignore_ascii_case(name))
                {
                    return b.clone();
                }
                if ident.quote_style.is_none()
                    && let Some(ty) = super::function::keyword_function(&name.to_ascii_lowercase())
                {
                    return BExpr::of(ty);
                }
                if self.is_pg() && ctx.scope.find_item(std::slice::from_ref(name)).is_some() {
                    // A whole-row reference (`row_to_json(t)`): a row of the relation.
                    return BExpr::of(self.pg.sql_type("record"));
                }
                let names = ctx.scope.visible_names();
                let hint = closest(name, names.iter().map(String::as_str))
                    .map(|c| format!("did you mean \"{c}\"?"));
                self.error_at(
                    codes::UNKNOWN_COLUMN,
                    ident,
                    format!("column \"{name}\" does not exist"),
                    hint,
                );
                BExpr::of(SqlType::Unknown)
            }
        }
    }

    /// A resolved column, with the GROUP BY check.
    pub(crate) fn column(
        &mut self,
        depth: usize,
        item: usize,
        column: Option<usize>,
        at: &impl super::Loc,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let scope_item = ctx.scope.item(depth, item);
        let Some(c) = column else {
            return BExpr {
                copy: true,
                ..BExpr::of(SqlType::Unknown)
            };
        };
        let col = &scope_item.columns[c];
        let out = BExpr {
            typed: Typed::new(col.ty.clone()),
            lineage: col.lineage.clone(),
            copy: true,
            agg: false,
            window: false,
            column_name: Some(col.name.clone()),
        };
        if depth == 0
            && let Some(keys) = ctx.group
            && !ctx.in_agg
            && !keys.columns.contains(&(item, c))
            && !keys.texts.contains(&col.name.to_ascii_lowercase())
        {
            let name = col.name.clone();
            self.error_at(
                codes::NOT_GROUPED,
                at,
                format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"),
                Some(format!("add \"{name}\" to GROUP BY, wrap it in an aggregate such as any_value({name}), or use GROUP BY ALL")),
            );
        }
        out
    }

    /// `t.col`, `schema.t.col`, or struct field access `col.field` / `t.col.field`.
    pub(crate) fn compound(&mut self, parts: &[Ident], ctx: &ExprCtx<'_, '_>) -> BExpr {
        let names: Vec<String> = parts.iter().map(|p| p.value.clone()).collect();
        let last = parts.last().expect("compound identifier has parts");
        if let Some((_, ty)) = ctx
            .lambdas
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(&names[0]))
        {
            let b = BExpr::of(ty.clone());
            return self.fields(b, &names[1..], last);
        }
        // Qualifier = all but the last part.
        for split in (1..names.len()).rev() {
            let (qualifier, rest) = names.split_at(split);
            if let Some((depth, item)) = ctx.scope.find_item(qualifier) {
                let scope_item = ctx.scope.item(depth, item);
                if scope_item.opaque {
                    return BExpr {
                        copy: rest.len() == 1,
                        ..BExpr::of(SqlType::Unknown)
                    };
                }
                let Some(c) = scope_item.column_index(&rest[0]) else {
                    let hint =
                        closest(&rest[0], scope_item.columns.iter().map(|c| c.name.as_str()))
                            .map(|c| format!("did you mean \"{}.{c}\"?", qualifier.join(".")));
                    self.error_at(
                        codes::UNKNOWN_COLUMN,
                        &parts[split],
                        format!(
                            "table \"{}\" does not have a column named \"{}\"",
                            qualifier.join("."),
                            rest[0]
                        ),
                        hint,
                    );
                    return BExpr::of(SqlType::Unknown);
                };
                if scope_item.repeats(&rest[0]) {
                    self.error_at(
                        codes::AMBIGUOUS_COLUMN,
                        &parts[split],
                        format!("column reference \"{}\" is ambiguous", names.join(".")),
                        Some("the relation has several columns of this name: alias them".into()),
                    );
                    return BExpr::of(SqlType::Unknown);
                }
                let b = self.column(depth, item, Some(c), &parts[split], ctx);
                return self.fields(b, &rest[1..], last);
            }
        }
        // `col.field...`: a struct column.
        if let Resolved::Column {
            depth,
            item,
            column,
        } = ctx.scope.resolve(&names[0])
        {
            let b = self.column(depth, item, column, &parts[0], ctx);
            return self.fields(b, &names[1..], last);
        }
        if ctx.scope.has_opaque() {
            return BExpr::of(SqlType::Unknown);
        }
        let qualifier = names[..names.len() - 1].join(".");
        let tables: Vec<String> = ctx
            .scope
            .items
            .iter()
            .filter_map(|i| i.alias.clone())
            .collect();
        let hint = closest(&qualifier, tables.iter().map(String::as_str))
            .map(|c| format!("did you mean \"{c}.{}\"?", last.value));
        self.error_at(
            codes::UNKNOWN_RELATION,
            &parts[0],
            format!("referenced table \"{qualifier}\" not found"),
            hint.or_else(|| {
                (!tables.is_empty()).then(|| format!("tables in scope: {}", tables.join(", ")))
            }),
        );
        BExpr::of(SqlType::Unknown)
    }

    /// Struct field access on a bound value.
    pub(crate) fn fields(&mut self, mut b: BExpr, fields: &[String], at: &Ident) -> BExpr {
        for f in fields {
            let ty = match &b.typed.ty {
                SqlType::Struct(fs) => match fs.iter().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let hint = closest(f, fs.iter().map(|(n, _)| n.as_str()))
                            .map(|c| format!("did you mean \"{c}\"?"));
                        self.error_at(
                            codes::UNKNOWN_COLUMN,
                            at,
                            format!("struct has no field \"{f}\""),
                            hint,
                        );
                        SqlType::Unknown
                    }
                },
                _ => SqlType::Unknown,
            };
            b = BExpr::computed(Typed::new(ty), &[b]);
        }
        b
    }
}
