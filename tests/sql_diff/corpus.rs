//! Reads the query corpus: `queries/*.sql` hold entries under `-- name: <name>` headers
//! (category = file stem); `queries/*.txt` are expression matrices, one expression per line
//! selected from the relation of the last `-- from: <from clause>` directive.

use std::path::Path;

#[derive(Debug, Clone)]
pub struct Entry {
    /// File stem, or `mutation:<class>` for derived queries.
    pub category: String,
    pub name: String,
    pub sql: String,
    /// From an expression matrix (`*.txt`): one expression over one relation.
    pub matrix: bool,
}

pub fn load(dir: &Path) -> Vec<Entry> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read queries dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        match path.extension().and_then(|e| e.to_str()) {
            Some("sql") => out.extend(named_entries(&stem, &text)),
            Some("txt") => out.extend(expression_entries(&stem, &text)),
            _ => {}
        }
    }
    out
}

/// Entries under `-- name: X` headers; the text before the first header is a preamble.
pub fn named_entries(category: &str, text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.trim().strip_prefix("-- name:") {
            out.push(Entry {
                category: category.to_string(),
                name: name.trim().to_string(),
                sql: String::new(),
                matrix: false,
            });
        } else if let Some(e) = out.last_mut() {
            e.sql.push_str(line);
            e.sql.push('\n');
        }
    }
    for e in &mut out {
        e.sql = e.sql.trim().trim_end_matches(';').trim_end().to_string();
    }
    out.retain(|e| !e.sql.is_empty());
    out
}

fn expression_entries(category: &str, text: &str) -> Vec<Entry> {
    let mut from = String::from("orders");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(f) = line.strip_prefix("-- from:") {
            from = f.trim().to_string();
        } else if !line.is_empty() && !line.starts_with("--") {
            // A line with its own alias (` as name` at the end) keeps it; else `v`.
            let has_alias = line
                .rsplit_once(" as ")
                .is_some_and(|(_, a)| a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            let sel = if has_alias || line.starts_with('!') {
                line.trim_start_matches('!').to_string()
            } else {
                format!("{line} as v")
            };
            out.push(Entry {
                category: category.to_string(),
                name: format!("{category}:{}", n + 1),
                sql: format!("select {sel} from {from}"),
                matrix: true,
            });
        }
    }
    out
}
