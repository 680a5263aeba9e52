//! `dbtc clean`: deletes the folders listed in `clean-targets` of dbt_project.yml (inside
//! the project only, as dbt refuses paths outside it).

use std::path::Path;

use super::{Common, Session};
use crate::project::config::project_config;

pub fn run(common: &Common) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let config = project_config(db, project);
    let root = project.root(db).clone();
    let targets: Vec<String> = match config.root.section("clean-targets") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => vec![config.root.target_path.clone()],
    };
    let mut code = 0;
    for t in &targets {
        let path = root.join(t);
        let inside = std::fs::canonicalize(&root)
            .ok()
            .zip(path.parent().and_then(|p| std::fs::canonicalize(p).ok()))
            .is_some_and(|(r, p)| p.starts_with(&r))
            && !Path::new(t).components().any(|c| c.as_os_str() == "..");
        if !inside {
            eprintln!(
                "error: clean-targets: `{t}` is outside the project folder; dbtc deletes only folders inside it"
            );
            code = 1;
            continue;
        }
        if path.exists() {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                eprintln!("error: cannot delete {}: {e}", path.display());
                code = 1;
                continue;
            }
            println!("Cleaned {t}/*");
        } else {
            println!("Checking {t}/*");
        }
    }
    if code == 0 {
        println!("Finished cleaning all paths.");
    }
    code
}
