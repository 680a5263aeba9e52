//! Incremental must equal cold: random edit sequences (model bodies, refs, configs,
//! ephemeral switches, Jinja errors and fixes, macro and yml edits, creates, deletes, ref
//! cycles) are applied to one long-lived database through `apply_changes` and the
//! `Recompiler`; after every step the output must equal a cold compile of the same files.

use std::path::PathBuf;

use dbtc::artifacts::manifest::ManifestCache;
use dbtc::compile::{CompileOutput, compile_project};
use dbtc::db::{MemSystem, RootDb};
use dbtc::project::{LoadOptions, apply_changes, load_project};
use dbtc::recompile::{Path, Recompiler};

/// splitmix64: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const MODELS: usize = 8;

fn opts() -> LoadOptions {
    LoadOptions::in_dir("/p")
}

fn model_path(i: usize) -> String {
    format!("/p/models/m{i}.sql")
}

fn model_text(rng: &mut Rng, i: usize) -> String {
    let mut text = String::new();
    match rng.below(10) {
        0 => text.push_str("{{ config(materialized='ephemeral') }}\n"),
        1 => text.push_str("{{ config(materialized='table', tags=['t']) }}\n"),
        _ => {}
    }
    let literal = rng.below(1000);
    let parent = if i > 0 && rng.below(3) > 0 {
        // Usually an earlier model; sometimes a later one (a possible cycle) or a typo.
        let p = match rng.below(12) {
            0 => i + 1 + rng.below(2),
            _ => rng.below(i),
        };
        if rng.below(20) == 0 {
            Some(format!("m{p}x"))
        } else {
            Some(format!("m{p}"))
        }
    } else {
        None
    };
    text.push_str(&format!("select {literal} as v, {{{{ money('v') }}}} as m"));
    if let Some(p) = parent {
        text.push_str(&format!(" from {{{{ ref('{p}') }}}}"));
    }
    match rng.below(15) {
        0 => text.push_str("\n{{ broken( }}"),
        1 => text.push_str(&format!("\n-- comment {}", rng.below(100))),
        _ => {}
    }
    text
}

fn initial(fs: &MemSystem, rng: &mut Rng) {
    fs.write(
        "/p/dbt_project.yml",
        "name: demo\nprofile: demo\nmodels:\n  demo:\n    +materialized: view\n",
    );
    fs.write(
        "/p/profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n",
    );
    fs.write(
        "/p/macros/money.sql",
        "{% macro money(c) %}({{ c }} / 100.0){% endmacro %}\n",
    );
    fs.write(
        "/p/models/schema.yml",
        "models:\n  - name: m0\n    columns:\n      - name: v\n        data_tests: [not_null]\n",
    );
    for i in 0..MODELS {
        let text = model_text(rng, i);
        fs.write(model_path(i), text);
    }
}

/// One random edit; returns the paths it touched.
fn random_edit(fs: &MemSystem, rng: &mut Rng) -> Vec<PathBuf> {
    let i = rng.below(MODELS + 2);
    match rng.below(20) {
        0 => {
            let body = ["/ 100.0", "/ 1000.0", "* 1"][rng.below(3)];
            fs.write(
                "/p/macros/money.sql",
                format!("{{% macro money(c) %}}({{{{ c }}}} {body}){{% endmacro %}}\n"),
            );
            vec!["/p/macros/money.sql".into()]
        }
        1 => {
            let test = ["not_null", "unique"][rng.below(2)];
            let m = rng.below(MODELS);
            fs.write("/p/models/schema.yml", format!("models:\n  - name: m{m}\n    columns:\n      - name: v\n        data_tests: [{test}]\n"));
            vec!["/p/models/schema.yml".into()]
        }
        2 => {
            fs.remove(&PathBuf::from(model_path(i)));
            vec![model_path(i).into()]
        }
        _ => {
            let text = model_text(rng, i);
            fs.write(model_path(i), text);
            vec![model_path(i).into()]
        }
    }
}

fn cold(fs: &MemSystem) -> CompileOutput {
    let db = RootDb::default();
    let project = load_project(&db, fs, &opts());
    compile_project(&db, project, None)
}

fn assert_same(step: usize, incremental: &CompileOutput, cold: &CompileOutput) {
    let sql = |o: &CompileOutput| -> Vec<(String, Option<String>)> {
        o.nodes
            .iter()
            .map(|n| (n.unique_id.clone(), n.sql.as_deref().map(str::to_string)))
            .collect()
    };
    assert_eq!(
        sql(incremental),
        sql(cold),
        "step {step}: compiled SQL differs"
    );
    assert_eq!(
        incremental.diagnostics, cold.diagnostics,
        "step {step}: diagnostics differ"
    );
}

#[test]
fn incremental_equals_cold_over_random_edits() {
    let fs = MemSystem::default();
    let mut rng = Rng(42);
    initial(&fs, &mut rng);
    let mut db = RootDb::default();
    let project = load_project(&db, &fs, &opts());
    let mut recompiler = Recompiler::new(&db, project, &[], &[]);
    let mut manifest = ManifestCache::build(&db, project, true, 2);
    assert_same(0, &recompiler.output(), &cold(&fs));
    let (mut targeted, mut full) = (0, 0);
    for step in 1..=1000 {
        let paths = random_edit(&fs, &mut rng);
        let changes = apply_changes(&mut db, &fs, project, Some(&paths));
        recompiler.update(&db, project, &changes);
        match recompiler.last_path {
            Path::Targeted(_) => targeted += 1,
            Path::Full => full += 1,
        }
        // The manifest kept up to date like watch does must equal a fresh one.
        match recompiler.last_path {
            Path::Targeted(_) => manifest.refresh(&db, project, &recompiler.last_touched),
            Path::Full => manifest = ManifestCache::build(&db, project, true, 2),
        }
        let kept: serde_json::Value =
            serde_json::from_slice(&manifest.bytes()).expect("valid JSON");
        assert_eq!(
            kept,
            dbtc::artifacts::manifest::manifest(&db, project, true),
            "step {step}: manifest"
        );
        let output = recompiler.output();
        assert_same(step, &output, &cold(&fs));
        assert_eq!(
            recompiler.counts(),
            (output.nodes.len(), output.error_count()),
            "step {step}"
        );
    }
    // Both paths must have been exercised for the comparison to mean anything.
    assert!(
        targeted > 100 && full > 100,
        "targeted {targeted}, full {full}"
    );
}
