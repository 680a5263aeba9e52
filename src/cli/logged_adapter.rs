//! An adapter that writes every statement it runs to the log file (debug level), as dbt's
//! `SQLQuery` events do, then hands it to the real adapter. Every method of `Adapter` is
//! forwarded here, defaults included: a method added to the trait must be added here too,
//! or an adapter's own version of it would be bypassed.

use std::cell::RefCell;
use std::sync::Arc;

use super::console::Console;
use crate::exec::{Adapter, Column, QueryResult, Relation};

thread_local! {
    /// The node this thread runs now (log lines name it, as dbt's `On model.x: ...`).
    static NODE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Sets (or clears) the node the current thread runs.
pub fn set_node(unique_id: Option<&str>) {
    NODE.with(|n| *n.borrow_mut() = unique_id.map(str::to_string));
}

pub struct Logged {
    inner: Box<dyn Adapter>,
    console: Arc<Console>,
}

impl Logged {
    pub fn wrap(inner: Box<dyn Adapter>, console: Arc<Console>) -> Box<dyn Adapter> {
        Box::new(Logged { inner, console })
    }

    fn log(&self, sql: &str) {
        let node = NODE.with(|n| n.borrow().clone());
        let on = node.unwrap_or_else(|| self.inner.adapter_type().to_string());
        self.console.debug(&format!("On {on}: {sql}"));
    }

    fn status<T>(&self, started: std::time::Instant, r: &Result<T, String>) {
        let secs = started.elapsed().as_secs_f64();
        match r {
            Ok(_) => self
                .console
                .debug(&format!("SQL status: OK in {secs:.3} seconds")),
            Err(e) => self
                .console
                .debug(&format!("SQL error in {secs:.3} seconds: {e}")),
        }
    }
}

impl Adapter for Logged {
    fn adapter_type(&self) -> &'static str {
        self.inner.adapter_type()
    }
    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.log(sql);
        let t = std::time::Instant::now();
        let r = self.inner.execute(sql);
        self.status(t, &r);
        r
    }
    fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        self.log(sql);
        let t = std::time::Instant::now();
        let r = self.inner.query(sql);
        self.status(t, &r);
        r
    }
    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String> {
        self.inner.relation_kind(relation)
    }
    fn relation_exists(&mut self, relation: &Relation) -> Result<bool, String> {
        self.inner.relation_exists(relation)
    }
    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String> {
        self.inner.columns(relation)
    }
    fn temp_columns(&mut self, name: &str) -> Result<Vec<Column>, String> {
        self.inner.temp_columns(name)
    }
    fn quote(&self, identifier: &str) -> String {
        self.inner.quote(identifier)
    }
    fn render_relation(&self, relation: &Relation) -> String {
        self.inner.render_relation(relation)
    }
    fn begin(&mut self) -> Result<(), String> {
        self.log("BEGIN");
        self.inner.begin()
    }
    fn commit(&mut self) -> Result<(), String> {
        self.log("COMMIT");
        self.inner.commit()
    }
    fn rollback(&mut self) -> Result<(), String> {
        self.log("ROLLBACK");
        self.inner.rollback()
    }
    fn transactional_ddl(&self) -> bool {
        self.inner.transactional_ddl()
    }
    fn drop_cascade(&self) -> &'static str {
        self.inner.drop_cascade()
    }
    fn seed_type(&self, inferred: &str) -> String {
        self.inner.seed_type(inferred)
    }
}
