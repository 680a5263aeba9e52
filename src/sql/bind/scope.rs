//! Scopes: the FROM items visible to an expression, and name resolution against them.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::sql::schema::{LineageEdge, LineageKind};
use crate::sql::types::SqlType;

/// Lineage while binding: a set, turned into a sorted Vec at the output.
pub type Lineage = BTreeSet<LineageEdge>;

/// A column as the binder carries it between scopes.
#[derive(Debug, Clone)]
pub struct BoundColumn {
    pub name: String,
    pub ty: SqlType,
    pub lineage: Lineage,
}

impl BoundColumn {
    pub fn base(name: &str, ty: SqlType, node: Option<&Arc<str>>) -> BoundColumn {
        let mut lineage = Lineage::new();
        if let Some(node) = node {
            lineage.insert(LineageEdge {
                node: node.clone(),
                column: Arc::from(name),
                kind: LineageKind::Copy,
            });
        }
        BoundColumn {
            name: name.to_string(),
            ty,
            lineage,
        }
    }
}

/// One FROM item: a relation, CTE, derived table or table function, under its alias.
#[derive(Debug, Clone)]
pub struct ScopeItem {
    /// The name it is qualified by (its alias, else the relation's last name part).
    pub alias: Option<String>,
    /// The full name as written (for `schema.table.column` qualifiers).
    pub path: Vec<String>,
    pub columns: Vec<BoundColumn>,
    /// Columns unknown: any name resolves (to UNKNOWN) and `*` expands to nothing known.
    pub opaque: bool,
    /// Columns (by index) hidden from unqualified resolution and `*` because a USING or
    /// NATURAL join merged them into an earlier item's column of the same name.
    pub merged: BTreeSet<usize>,
    /// Postgres: the type an unqualified reference to a USING column has (the common type
    /// of both sides) when it differs from this item's column type.
    pub using_types: std::collections::BTreeMap<usize, SqlType>,
}

impl ScopeItem {
    pub fn new(alias: Option<String>, path: Vec<String>, columns: Vec<BoundColumn>) -> ScopeItem {
        ScopeItem {
            alias,
            path,
            columns,
            opaque: false,
            merged: BTreeSet::new(),
            using_types: std::collections::BTreeMap::new(),
        }
    }

    pub fn opaque(alias: Option<String>, path: Vec<String>) -> ScopeItem {
        ScopeItem {
            opaque: true,
            ..ScopeItem::new(alias, path, Vec::new())
        }
    }

    /// Whether several columns of this item have the name (a Postgres subquery keeps
    /// repeated names, and a reference to one is ambiguous).
    pub fn repeats(&self, name: &str) -> bool {
        self.columns
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(name))
            .nth(1)
            .is_some()
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Whether a qualifier (`t` or `s.t` or `db.s.t`) names this item.
    pub fn matches_qualifier(&self, qualifier: &[String]) -> bool {
        match (&self.alias, qualifier) {
            (Some(alias), [one]) => alias.eq_ignore_ascii_case(one),
            (Some(_), _) if self.path.len() < qualifier.len() => false,
            (Some(_), _) => {
                // A multi-part qualifier matches the tail of the relation's written name
                // only when the item was not renamed by an explicit alias.
                let tail = &self.path[self.path.len() - qualifier.len()..];
                self.alias.as_deref() == self.path.last().map(String::as_str)
                    && tail
                        .iter()
                        .zip(qualifier)
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            }
            (None, _) => false,
        }
    }
}

/// What a column name resolved to.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// Item `item` at scope depth `depth` (0 = current), column `column` (None: opaque).
    Column {
        depth: usize,
        item: usize,
        column: Option<usize>,
    },
    Ambiguous(Vec<String>),
    NotFound,
}

/// The FROM items of one SELECT, with a link to the enclosing query's scope (correlated
/// subqueries and DuckDB's implicit lateral joins).
#[derive(Debug, Default)]
pub struct Scope<'p> {
    pub items: Vec<ScopeItem>,
    pub parent: Option<&'p Scope<'p>>,
}

impl<'p> Scope<'p> {
    pub fn with_parent(parent: Option<&'p Scope<'p>>) -> Scope<'p> {
        Scope {
            items: Vec::new(),
            parent,
        }
    }

    fn at_depth(&self, depth: usize) -> &Scope<'p> {
        let mut scope = self;
        for _ in 0..depth {
            scope = scope.parent.expect("depth within the scope chain");
        }
        scope
    }

    pub fn item(&self, depth: usize, item: usize) -> &ScopeItem {
        &self.at_depth(depth).items[item]
    }

    /// Resolves an unqualified column name: the current scope first, then outer scopes.
    pub fn resolve(&self, name: &str) -> Resolved {
        let mut depth = 0;
        let mut scope = Some(self);
        while let Some(s) = scope {
            let mut found = Vec::new();
            let mut opaque = None;
            for (i, item) in s.items.iter().enumerate() {
                match item.column_index(name) {
                    Some(c) if !item.merged.contains(&c) => {
                        found.push((i, c));
                        if item.repeats(name) {
                            found.push((i, c));
                        }
                    }
                    Some(_) => {}
                    None if item.opaque && opaque.is_none() => opaque = Some(i),
                    None => {}
                }
            }
            match found.len() {
                1 => {
                    return Resolved::Column {
                        depth,
                        item: found[0].0,
                        column: Some(found[0].1),
                    };
                }
                0 => {
                    if let Some(i) = opaque {
                        return Resolved::Column {
                            depth,
                            item: i,
                            column: None,
                        };
                    }
                }
                _ => {
                    return Resolved::Ambiguous(
                        found
                            .iter()
                            .map(|(i, _)| {
                                s.items[*i]
                                    .alias
                                    .clone()
                                    .unwrap_or_else(|| "unnamed subquery".to_string())
                            })
                            .collect(),
                    );
                }
            }
            scope = s.parent;
            depth += 1;
        }
        Resolved::NotFound
    }

    /// Finds the item a qualifier names: (depth, item index).
    pub fn find_item(&self, qualifier: &[String]) -> Option<(usize, usize)> {
        let mut depth = 0;
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some(i) = s
                .items
                .iter()
                .rposition(|it| it.matches_qualifier(qualifier))
            {
                return Some((depth, i));
            }
            scope = s.parent;
            depth += 1;
        }
        None
    }

    /// Whether an opaque item is visible (then unknown names are not errors).
    pub fn has_opaque(&self) -> bool {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if s.items.iter().any(|i| i.opaque) {
                return true;
            }
            scope = s.parent;
        }
        false
    }

    /// Column names visible without qualification, for "did you mean".
    pub fn visible_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut scope = Some(self);
        while let Some(s) = scope {
            for item in &s.items {
                for c in &item.columns {
                    names.push(c.name.clone());
                }
            }
            scope = s.parent;
        }
        names
    }
}

/// Maps lineage into the kind a computed value gets: copies become transforms.
pub fn transformed(lineage: &Lineage) -> Lineage {
    lineage
        .iter()
        .map(|e| LineageEdge {
            kind: match e.kind {
                LineageKind::Copy => LineageKind::Transform,
                k => k,
            },
            ..e.clone()
        })
        .collect()
}

/// Maps lineage into filter edges (the values only decide which rows appear).
pub fn as_filter(lineage: &Lineage) -> Lineage {
    lineage
        .iter()
        .map(|e| LineageEdge {
            kind: LineageKind::Filter,
            ..e.clone()
        })
        .collect()
}

/// The closest names to `name` by edit distance (for "did you mean").
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(lower.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
