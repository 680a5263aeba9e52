//! The binder on small hand-written cases: names, lineage kinds and diagnostics codes.
//! (The differential suite against DuckDB is tests/sql_diff.rs.)

use std::sync::Arc;

use dbtc::sql::schema::{Column, LineageKind, RelationLookup, RelationProvider, RelationSchema};
use dbtc::sql::types::SqlType;
use dbtc::sql::{Dialect, QueryAnalysis, analyze_query};

struct Tables(Vec<(&'static str, Vec<(&'static str, &'static str)>)>);

impl RelationProvider for Tables {
    fn lookup(&self, parts: &[String]) -> RelationLookup {
        let Some(last) = parts.last() else {
            return RelationLookup::Missing;
        };
        if last == "opaque" {
            return RelationLookup::Opaque;
        }
        match self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(last)) {
            Some((name, cols)) => RelationLookup::Known {
                node: Some(Arc::from(format!("model.t.{name}"))),
                schema: Arc::new(RelationSchema {
                    columns: cols
                        .iter()
                        .map(|(c, t)| Column {
                            name: c.to_string(),
                            ty: SqlType::parse(t).expect("test type"),
                            lineage: Vec::new(),
                        })
                        .collect(),
                }),
            },
            None => RelationLookup::Missing,
        }
    }
}

fn tables() -> Tables {
    Tables(vec![
        (
            "orders",
            vec![
                ("id", "INTEGER"),
                ("customer_id", "INTEGER"),
                ("amount", "DECIMAL(10,2)"),
                ("status", "VARCHAR"),
                ("ordered_at", "TIMESTAMP"),
            ],
        ),
        (
            "customers",
            vec![
                ("id", "INTEGER"),
                ("name", "VARCHAR"),
                ("status", "VARCHAR"),
            ],
        ),
    ])
}

fn analyze(sql: &str) -> QueryAnalysis {
    analyze_query(sql, Dialect::DuckDb, &tables())
}

fn names(a: &QueryAnalysis) -> Vec<String> {
    a.schema
        .as_ref()
        .expect("schema")
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

fn codes(a: &QueryAnalysis) -> Vec<&'static str> {
    a.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn ctes_joins_and_stars_resolve() {
    let a = analyze(
        "with o as (select * from orders), c as (select id as customer_id, name from customers)
         select o.id, c.name, o.amount * 2 as double_amount from o join c using (customer_id)",
    );
    assert_eq!(codes(&a), Vec::<&str>::new(), "{:?}", a.diagnostics);
    assert_eq!(names(&a), ["id", "name", "double_amount"]);
    let a = analyze("select * exclude (status) from orders join customers using (id)");
    assert_eq!(codes(&a), Vec::<&str>::new(), "{:?}", a.diagnostics);
    assert_eq!(
        names(&a),
        ["id", "customer_id", "amount", "ordered_at", "name"]
    );
}

#[test]
fn lineage_kinds() {
    let a = analyze(
        "select o.id as order_id, upper(c.name) as name from orders o join customers c on o.customer_id = c.id where o.status = 'x'",
    );
    let schema = a.schema.expect("schema");
    let id = &schema.columns[0];
    let kinds: Vec<(&str, &str, LineageKind)> = id
        .lineage
        .iter()
        .map(|e| (&*e.node, &*e.column, e.kind))
        .collect();
    assert!(
        kinds.contains(&("model.t.orders", "id", LineageKind::Copy)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("model.t.orders", "status", LineageKind::Filter)));
    assert!(kinds.contains(&("model.t.customers", "id", LineageKind::Filter)));
    let name = &schema.columns[1];
    assert!(
        name.lineage
            .iter()
            .any(|e| &*e.column == "name" && e.kind == LineageKind::Transform)
    );
}

#[test]
fn errors_are_all_reported_with_codes() {
    let a = analyze("select idd, o.nope, x.id from orders o");
    assert_eq!(
        codes(&a),
        ["E4002", "E4002", "E4004"],
        "{:?}",
        a.diagnostics
    );
    let a = analyze("select id from orders join customers on orders.id = customers.id");
    assert_eq!(codes(&a), ["E4003"]);
    let a = analyze("select status, count(*) from orders");
    assert_eq!(codes(&a), ["E4008"]);
    let a = analyze("select status, count(*) from orders group by 1");
    assert!(codes(&a).is_empty(), "{:?}", a.diagnostics);
    let a = analyze("select id from orders union all select id, name from customers");
    assert_eq!(codes(&a), ["E4009"]);
    let a = analyze("select * from missing_table");
    assert_eq!(codes(&a), ["E4004"]);
    let a = analyze("select from where");
    assert_eq!(codes(&a), ["E4001"]);
}

#[test]
fn alias_reuse_and_opaque_relations_are_not_errors() {
    let a = analyze("select amount * 2 as x, x + 1 as y from orders where y > 3");
    assert!(codes(&a).is_empty(), "{:?}", a.diagnostics);
    let a = analyze("select anything, o.whatever from opaque o");
    assert!(codes(&a).is_empty(), "{:?}", a.diagnostics);
    let a = analyze("select * from opaque");
    assert!(a.schema.is_none() && a.opaque);
}
