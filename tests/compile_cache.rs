//! A second `dbtc compile` on an unchanged project reuses the first one's outputs; any
//! change of an input or an output compiles again, with a cold compile's result.

mod common;

use std::path::Path;

fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("target/compiled")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    for f in ["manifest.json", "lineage.json"] {
        let text = std::fs::read_to_string(dir.join("target").join(f)).unwrap();
        // invocation ids and timestamps differ between two compiles
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut nodes = v.get("nodes").cloned().unwrap_or_default();
        // and so do the nodes' creation times
        if let Some(map) = nodes.as_object_mut() {
            for node in map.values_mut() {
                if let Some(node) = node.as_object_mut() {
                    node.remove("created_at");
                }
            }
        }
        out.push((f.to_string(), nodes.to_string()));
    }
    out.sort();
    out
}

#[test]
fn unchanged_projects_reuse_the_last_compile_and_edits_do_not() {
    let (_tmp, dir) = common::fixture_copy("shop");
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("unchanged since the last compile"), "{out}");
    let first = snapshot(&dir);
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("unchanged since the last compile"), "{out}");
    assert_eq!(snapshot(&dir), first);

    // An edit (here one that adds an analysis error): a real compile, equal to a cold one.
    let model = dir.join("models/staging/stg_teas.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, sql.replace("caffeine_mg > 0", "caffeine_mgg > 0")).unwrap();
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("unchanged since the last compile"), "{out}");
    let (cold_tmp, cold) = common::fixture_copy("shop");
    std::fs::write(
        cold.join("models/staging/stg_teas.sql"),
        std::fs::read_to_string(&model).unwrap(),
    )
    .unwrap();
    let (cold_code, cold_out) = common::dbtc_cli("compile", &cold, &[]);
    assert_eq!(cold_code, 1, "{cold_out}");
    assert_eq!(snapshot(&dir), snapshot(&cold));
    drop(cold_tmp);
    // The recorded findings are replayed, with the same exit code.
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("unchanged since the last compile") && out.contains("E4002"),
        "{out}"
    );

    // A deleted output, or other flags: compiled again.
    let compiled = first
        .iter()
        .find(|(p, _)| p.ends_with("stg_teas.sql"))
        .unwrap()
        .0
        .clone();
    std::fs::remove_file(dir.join(&compiled)).unwrap();
    let (_, out) = common::dbtc_cli("compile", &dir, &[]);
    assert!(!out.contains("unchanged since the last compile"), "{out}");
    assert!(dir.join(&compiled).is_file());
    let (_, out) = common::dbtc_cli("compile", &dir, &["--static-analysis", "off"]);
    assert!(!out.contains("unchanged since the last compile"), "{out}");
}
