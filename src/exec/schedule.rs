//! The order `build` runs nodes in, as dbt-core orders them: the DAG plus "test edges", so
//! that a node waits for the tests of its ancestors and a failing test skips what is
//! built from the data it tested.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

/// The DAG with dbt's test edges added (`add_test_edges` in dbt-core): for every non-test
/// node N and every test T on one of N's ancestors, T becomes a parent of N when all of
/// T's parents are ancestors of N (so no cycle can appear).
pub fn with_test_edges(
    parents: &IndexMap<String, Vec<String>>,
    is_test: &dyn Fn(&str) -> bool,
) -> IndexMap<String, Vec<String>> {
    // Tests of each node.
    let mut tests_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, ps) in parents {
        if is_test(id) {
            for p in ps {
                tests_of.entry(p.as_str()).or_default().push(id.as_str());
            }
        }
    }
    let mut ancestors: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut out = parents.clone();
    for (id, _) in parents {
        if is_test(id) {
            continue;
        }
        let ups = ancestors_of(id, parents, &mut ancestors);
        let mut added: Vec<String> = Vec::new();
        let mut candidates: Vec<&str> = ups
            .iter()
            .flat_map(|u| tests_of.get(u).into_iter().flatten().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for test in candidates {
            let deps = parents.get(test).map(Vec::as_slice).unwrap_or_default();
            if deps.iter().all(|d| ups.contains(d.as_str())) {
                added.push(test.to_string());
            }
        }
        if let Some(list) = out.get_mut(id) {
            for t in added {
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        }
    }
    out
}

/// Every ancestor of `id` (memoized in `memo` for the other nodes; a cycle ends the walk).
fn ancestors_of<'a>(
    id: &'a str,
    parents: &'a IndexMap<String, Vec<String>>,
    memo: &mut HashMap<&'a str, HashSet<&'a str>>,
) -> HashSet<&'a str> {
    // Iterative post-order, so deep chains do not overflow the stack.
    let mut stack: Vec<(&'a str, bool)> = vec![(id, false)];
    let mut on_stack: HashSet<&'a str> = HashSet::new();
    while let Some((node, expanded)) = stack.pop() {
        if memo.contains_key(node) {
            continue;
        }
        let ps = parents.get(node).map(Vec::as_slice).unwrap_or_default();
        if expanded {
            let mut set = HashSet::new();
            for p in ps {
                set.insert(p.as_str());
                if let Some(up) = memo.get(p.as_str()) {
                    set.extend(up.iter().copied());
                }
            }
            set.remove(node);
            memo.insert(node, set);
            on_stack.remove(node);
        } else {
            on_stack.insert(node);
            stack.push((node, true));
            for p in ps {
                if !memo.contains_key(p.as_str()) && !on_stack.contains(p.as_str()) {
                    stack.push((p.as_str(), false));
                }
            }
        }
    }
    memo.get(id).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> IndexMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(k, ps)| (k.to_string(), ps.iter().map(|p| p.to_string()).collect()))
            .collect()
    }

    #[test]
    fn tests_gate_descendants() {
        // a -> b -> c; test ta on a, tab on (a, b), tc on c.
        let g = graph(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("test.ta", &["a"]),
            ("test.tab", &["a", "b"]),
            ("test.tc", &["c"]),
            ("d", &["a"]),
        ]);
        let out = with_test_edges(&g, &|id: &str| id.starts_with("test."));
        assert_eq!(out["b"], ["a", "test.ta"]);
        assert_eq!(out["c"], ["b", "test.ta", "test.tab"]);
        // d is not downstream of b: the two-parent test does not gate it.
        assert_eq!(out["d"], ["a", "test.ta"]);
        assert_eq!(out["test.tc"], ["c"]);
    }
}
