//! The `grants` config as dbt-postgres applies it after a build: `grant <privilege> on
//! <relation> to <grantees>`. A relation that replaced the old one starts without grants
//! (dbt-postgres does not copy them: `copy_grants` is false), so it is only granted to; an
//! incremental run or a snapshot keeps its table, so its current grants (those the
//! build's user gave to others) are compared with the config first, and what the config
//! no longer lists is revoked.

use serde_json::{Map, Value};

use crate::exec::{Adapter, Relation};

/// `grants`: privilege → grantees, in config order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(pub Vec<(String, Vec<String>)>);

impl Grants {
    /// Reads `grants` (each privilege's grantees: a name or a list of names).
    pub fn from_config(config: &Map<String, Value>) -> Result<Grants, String> {
        let Some(raw) = config.get("grants") else {
            return Ok(Grants::default());
        };
        let map = match raw {
            Value::Null => return Ok(Grants::default()),
            Value::Object(map) => map,
            other => return Err(format!("`grants` must be a mapping, got {other}")),
        };
        let mut out = Vec::new();
        for (privilege, grantees) in map {
            let names = match grantees {
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(format!(
                            "grants: `{privilege}` lists {other}, which is not a role name"
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Value::Null => Vec::new(),
                other => {
                    return Err(format!(
                        "grants: `{privilege}` must be a role name or a list, got {other}"
                    ));
                }
            };
            out.push((privilege.clone(), names));
        }
        Ok(Grants(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// dbt's `diff_of_two_dicts`: what `a` has that `b` lacks (keys and values compared
/// case-insensitively).
fn diff(a: &[(String, Vec<String>)], b: &[(String, Vec<String>)]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (privilege, grantees) in a {
        match b.iter().find(|(p, _)| p.eq_ignore_ascii_case(privilege)) {
            None => out.push((privilege.clone(), grantees.clone())),
            Some((_, have)) => {
                let missing: Vec<String> = grantees
                    .iter()
                    .filter(|g| !have.iter().any(|h| h.eq_ignore_ascii_case(g)))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    out.push((privilege.clone(), missing));
                }
            }
        }
    }
    out
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The grants the build's user gave others on `relation` (dbt-postgres's
/// `get_show_grant_sql`), by privilege.
fn current_grants(
    adapter: &mut dyn Adapter,
    relation: &Relation,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let rows = adapter
        .query(&format!(
            "select grantee::text, privilege_type::text\nfrom information_schema.role_table_grants\n    where grantor = current_role\n      and grantee != current_role\n      and table_schema = {}\n      and table_name = {}",
            sql_literal(&relation.schema),
            sql_literal(&relation.identifier)
        ))?
        .rows;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows {
        let (Some(grantee), Some(privilege)) = (row[0].as_str(), row[1].as_str()) else {
            continue;
        };
        match out.iter_mut().find(|(p, _)| p == privilege) {
            Some((_, grantees)) => grantees.push(grantee.to_string()),
            None => out.push((privilege.to_string(), vec![grantee.to_string()])),
        }
    }
    Ok(out)
}

/// Applies `grants` to `relation` (inside the build's transaction); `should_revoke`: the
/// relation may carry grants from before (an incremental run, a snapshot). Returns the
/// statements run (empty when nothing changed).
pub fn apply_grants(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    grants: &Grants,
    should_revoke: bool,
) -> Result<Vec<String>, String> {
    // dbt-duckdb does not apply grants (it warns that DuckDB has none).
    if grants.is_empty() || adapter.adapter_type() != "postgres" {
        return Ok(Vec::new());
    }
    let (grant, revoke) = if should_revoke {
        let current = current_grants(adapter, relation)?;
        (diff(&grants.0, &current), diff(&current, &grants.0))
    } else {
        (grants.0.clone(), Vec::new())
    };
    let rendered = adapter.render_relation(relation);
    let mut statements = Vec::new();
    for (privilege, grantees) in &revoke {
        let quoted: Vec<String> = grantees.iter().map(|g| adapter.quote(g)).collect();
        statements.push(format!(
            "revoke {privilege} on {rendered} from {}",
            quoted.join(", ")
        ));
    }
    for (privilege, grantees) in &grant {
        if !grantees.is_empty() {
            statements.push(format!(
                "grant {privilege} on {rendered} to {}",
                grantees.join(", ")
            ));
        }
    }
    for statement in &statements {
        adapter.execute(statement)?;
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_diff() {
        let config = serde_json::json!({"grants": {"select": ["a", "B"], "insert": "c"}});
        let g = Grants::from_config(config.as_object().unwrap()).unwrap();
        assert_eq!(
            g.0,
            vec![
                ("select".to_string(), vec!["a".to_string(), "B".to_string()]),
                ("insert".to_string(), vec!["c".to_string()])
            ]
        );
        let current = vec![(
            "SELECT".to_string(),
            vec!["b".to_string(), "old".to_string()],
        )];
        assert_eq!(
            diff(&g.0, &current),
            vec![
                ("select".to_string(), vec!["a".to_string()]),
                ("insert".to_string(), vec!["c".to_string()])
            ]
        );
        assert_eq!(
            diff(&current, &g.0),
            vec![("SELECT".to_string(), vec!["old".to_string()])]
        );
        let bad = serde_json::json!({"grants": ["x"]});
        assert!(Grants::from_config(bad.as_object().unwrap()).is_err());
    }
}
