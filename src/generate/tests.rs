//! Tests of the project generator.

use super::*;

/// Generates into a fresh temp dir; returns (summary, sorted (relative path, text)).
fn make(tag: &str, models: usize, seed: u64) -> (GenerateSummary, Vec<(String, String)>) {
    let dir = std::env::temp_dir().join(format!("dbtc-generate-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let summary = generate_project(&dir, &GenerateOptions { models, seed }).unwrap();
    let (mut files, mut stack) = (Vec::new(), vec![dir.clone()]);
    while let Some(d) = stack.pop() {
        for p in fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((rel, fs::read_to_string(&p).unwrap()));
            }
        }
    }
    fs::remove_dir_all(&dir).unwrap();
    files.sort();
    (summary, files)
}

fn count(files: &[(String, String)], prefix: &str, suffix: &str) -> usize {
    files
        .iter()
        .filter(|(p, _)| p.starts_with(prefix) && p.ends_with(suffix))
        .count()
}

#[test]
fn deterministic_for_a_seed() {
    assert_eq!(make("det-a", 150, 42), make("det-b", 150, 42));
    assert_ne!(make("det-c", 150, 42).1, make("det-d", 150, 43).1);
}

#[test]
fn file_counts_match_summary_and_layers() {
    let (s, f) = make("counts", 200, 7);
    assert_eq!(count(&f, "models/", ".sql"), 200);
    let layers = [
        count(&f, "models/staging/", ".sql"),
        count(&f, "models/intermediate/", ".sql"),
    ];
    assert_eq!(
        (layers, count(&f, "models/marts/", ".sql")),
        ([40, 100], 60)
    );
    assert_eq!(count(&f, "seeds/", ".csv"), s.seeds);
    let macros: usize = f.iter().map(|(_, t)| t.matches("{% macro ").count()).sum();
    assert_eq!(macros, s.macros);
    let is_test = |l: &&str| l.trim_start().starts_with("- ") && !l.contains("name:");
    let declared: usize = (f.iter().filter(|(p, _)| p.ends_with(".yml")))
        .map(|(_, t)| t.lines().filter(is_test).count())
        .sum();
    assert_eq!(declared, s.tests);
    assert!(s.tests > 100, "{s:?}");
    for needle in [
        "materialized='ephemeral'",
        "is_incremental()",
        "{% for ",
        "source('raw'",
    ] {
        assert!(f.iter().any(|(_, t)| t.contains(needle)), "no {needle}");
    }
}

/// Every `ref()` (in SQL and in relationships tests) names a generated model or seed,
/// and models only ref models generated before them, so the DAG is acyclic.
#[test]
fn refs_exist_and_point_backwards() {
    let (_, f) = make("refs", 300, 3);
    let index = |name: &str| {
        name.rsplit('_')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
    };
    let stem = |p: &str| {
        p.rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".sql"))
            .map(String::from)
    };
    let known: HashSet<String> = f.iter().filter_map(|(p, _)| stem(p)).collect();
    for (path, text) in &f {
        for part in text.split("ref('").skip(1) {
            let target = &part[..part.find('\'').unwrap()];
            let seed = target
                .strip_prefix("raw_")
                .is_some_and(|e| ENTITIES.iter().any(|x| x.plural == e));
            assert!(
                seed || known.contains(target),
                "{path} refs missing {target}"
            );
            if let (false, true, Some(me)) = (seed, path.ends_with(".sql"), stem(path)) {
                assert!(index(target) < index(&me), "{path} refs later {target}");
            }
        }
    }
}

#[test]
fn tiny_projects_work() {
    for n in 0..6 {
        let (s, f) = make(&format!("tiny{n}"), n, 1);
        assert_eq!((s.models, count(&f, "models/", ".sql")), (n, n));
    }
}

/// For checking with real dbt: `DBTC_GENERATE_DIR=/tmp/gen200 DBTC_GENERATE_MODELS=200
/// cargo test --lib generate::tests::write_project -- --ignored`.
#[test]
#[ignore]
fn write_project() {
    let dir = std::env::var("DBTC_GENERATE_DIR").expect("DBTC_GENERATE_DIR");
    let models = std::env::var("DBTC_GENERATE_MODELS").map_or(200, |n| n.parse().unwrap());
    let started = std::time::Instant::now();
    let summary = generate_project(Path::new(&dir), &GenerateOptions { models, seed: 1 }).unwrap();
    eprintln!("{summary:?} in {:?}", started.elapsed());
}
