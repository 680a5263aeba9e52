//! `dbtc debug`: checks that the profile resolves and that the target's database accepts a
//! connection, as `dbt debug` does. Exit 0 when every check passes, 1 otherwise. The
//! password is never printed (connection errors are scrubbed of it too).

use serde_json::Value;

use super::{Common, Session};
use crate::project::profiles::target;

/// The connection fields printed, in dbt's order (never `password`/`pass`).
const SHOWN: &[&str] = &[
    "host",
    "port",
    "user",
    "dbname",
    "database",
    "path",
    "schema",
    "search_path",
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "keepalives_idle",
    "connect_timeout",
    "role",
];

/// `text` with every occurrence of the secrets replaced by `****`.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "****"))
}

pub fn run(common: &Common) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let profiles = project.profiles(db).path(db).clone();
    println!("profiles.yml file: {}", profiles.display());
    let target = match target(db, project) {
        Ok(t) => t.clone(),
        Err(d) => {
            println!("profiles.yml file [ERROR invalid]");
            session.report(std::slice::from_ref(&**d));
            return 1;
        }
    };
    println!("profiles.yml file [OK found and valid]");
    println!();
    println!("Connection:");
    println!("  type: {}", target.adapter_type);
    for key in SHOWN {
        if let Some(v) = target.fields.get(*key) {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("  {key}: {shown}");
        }
    }
    let secrets: Vec<String> = ["password", "pass"]
        .iter()
        .filter_map(|k| match target.fields.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    let root = project.root(db).clone();
    let checked = crate::exec::connect(&target, &root)
        .and_then(|mut adapter| adapter.query("select 1").map(|_| ()));
    match checked {
        Ok(()) => {
            println!("  Connection test: [OK connection ok]");
            println!();
            println!("All checks passed!");
            0
        }
        Err(e) => {
            println!("  Connection test: [ERROR]");
            println!();
            eprintln!(
                "error: cannot connect to target `{}` of profile `{}`:\n  {}",
                target.name,
                target.profile_name,
                scrub(&e, &secrets)
            );
            eprintln!(
                "hint: check the connection fields above in {} (and the environment \
                 variables they read)",
                profiles.display()
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scrub_hides_secrets() {
        let out = super::scrub(
            "password s3cret rejected",
            &["s3cret".into(), String::new()],
        );
        assert_eq!(out, "password **** rejected");
    }
}
