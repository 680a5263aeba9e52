//! What crosses from one node to another: output schemas (column names and types) and
//! column lineage. Position-free and `Eq`, so an unchanged schema backdates in salsa.

use std::sync::Arc;

use super::types::SqlType;

/// How an output column depends on an upstream column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineageKind {
    /// The value passes unchanged (maybe renamed).
    Copy,
    /// The value is computed from it.
    Transform,
    /// It only influences which rows appear (WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY).
    Filter,
}

impl LineageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineageKind::Copy => "copy",
            LineageKind::Transform => "transform",
            LineageKind::Filter => "filter",
        }
    }
}

/// One upstream column an output column derives from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineageEdge {
    /// unique_id of a model, seed, source or snapshot.
    pub node: Arc<str>,
    pub column: Arc<str>,
    pub kind: LineageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
    /// Sorted and deduplicated.
    pub lineage: Vec<LineageEdge>,
}

/// The output of a relation. `columns` are in output order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RelationSchema {
    pub columns: Vec<Column>,
}

impl RelationSchema {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Renames repeated names as DuckDB does for a subquery, a CTE or a created relation: the
/// second `id` becomes `id_1` (a top-level query's result keeps duplicates).
pub fn dedup_names<'a>(names: impl IntoIterator<Item = &'a mut String>) {
    let mut names: Vec<&mut String> = names.into_iter().collect();
    let mut seen: std::collections::HashSet<String> =
        std::collections::HashSet::with_capacity(names.len());
    let taken: std::collections::HashSet<String> =
        names.iter().map(|n| n.to_ascii_lowercase()).collect();
    for name in names.iter_mut() {
        let lower = name.to_ascii_lowercase();
        if seen.insert(lower.clone()) {
            continue;
        }
        let mut n = 1;
        while seen.contains(&format!("{lower}_{n}")) || taken.contains(&format!("{lower}_{n}")) {
            n += 1;
        }
        let renamed = format!("{name}_{n}");
        seen.insert(renamed.to_ascii_lowercase());
        **name = renamed;
    }
}

/// What the binder learns about a relation named in FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationLookup {
    /// Known columns; `node` is the unique_id lineage edges point to (None for relations
    /// outside the project).
    Known {
        node: Option<Arc<str>>,
        schema: Arc<RelationSchema>,
    },
    /// These columns are known, but the relation may have more (a source documenting some
    /// of its columns): unknown names are UNKNOWN, not errors, and `*` is opaque.
    Partial {
        node: Option<Arc<str>>,
        schema: Arc<RelationSchema>,
    },
    /// It exists (or may exist) but its columns are not known: anything selected from it
    /// has type UNKNOWN and is never an error.
    Opaque,
    /// It certainly does not exist (a typo in a ref'd relation's name cannot get here, but
    /// a CTE-like bare name can).
    Missing,
}

/// Answers relation names for the binder. `parts` are the name's identifiers as written
/// (unquoted, case preserved), e.g. `["db", "main", "orders"]` or `["orders"]`.
pub trait RelationProvider {
    fn lookup(&self, parts: &[String]) -> RelationLookup;

    /// A function a Postgres target's pg_catalog lacks (`name` lowercase): what the
    /// project's database and SQL say of it (see `sql::pg::user_functions`).
    fn user_function(&self, _name: &str) -> crate::sql::pg::user_functions::UserFunction {
        crate::sql::pg::user_functions::UserFunction::Missing
    }
}
