//! `dbtc bench` on a temporary copy of the shop fixture: every kind of edit is measured,
//! the report has its keys, every file is byte-identical afterwards, and a recovery file
//! left by a killed run is applied by the next run.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbtc::bench::{BenchOptions, EditKind, RECOVERY_FILE, recover, run_bench};
use dbtc::db::Settings;
use dbtc::project::LoadOptions;

/// Every file below `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn shop_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("shop");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/shop"),
        &dir,
    );
    (tmp, dir)
}

fn options(dir: &Path, samples: usize) -> BenchOptions {
    BenchOptions {
        load: LoadOptions {
            project_dir: dir.to_path_buf(),
            profiles_dir: Some(dir.to_path_buf()),
            settings: Settings::default(),
        },
        target_dir: None,
        cold_runs: 2,
        samples,
        seed: 7,
        threads: 2,
        select: Vec::new(),
        exclude: Vec::new(),
    }
}

#[test]
fn bench_measures_every_kind_and_restores_every_file() {
    let (_tmp, dir) = shop_copy();
    let before = snapshot(&dir);
    let mut lines = Vec::new();
    let report = run_bench(&options(&dir, 3), |l| lines.push(l.to_string())).expect("bench");
    assert_eq!(
        snapshot(&dir),
        before,
        "every file is restored byte for byte"
    );
    assert!(!dir.join("target").join(RECOVERY_FILE).exists());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.nodes > 20 && report.compiled > 10, "{report:?}");
    assert_eq!(report.errors, 0);
    assert!(report.recovered.is_empty());

    for name in ["cold", "noop", "noop_full_check"] {
        let s = report.series(name).expect(name);
        assert_eq!(s.measurements.len(), 2, "{name}");
        assert!(
            s.measurements.iter().all(|m| !m.elapsed.is_zero()),
            "{name}"
        );
    }
    // A cold compile executes every node's queries; a no-op none.
    let cold = report.series("cold").expect("cold").stats();
    assert!(cold.median_queries.compiled_sql >= report.compiled);
    assert_eq!(
        report
            .series("noop_full_check")
            .expect("noop")
            .stats()
            .median_queries,
        Default::default()
    );

    // The shop has 10 models (all with a column alias), a macro file and a generic test
    // block, 4 properties files (3 with a model description).
    let expected = [
        (EditKind::ModelBody, 3),
        (EditKind::ColumnAlias, 3),
        (EditKind::Macro, 2),
        (EditKind::YmlComment, 3),
        (EditKind::ModelDescription, 3),
    ];
    for (kind, n) in expected {
        let s = report.series(kind.name()).expect("kind");
        assert_eq!(s.measurements.len(), n, "{}: {s:?}", kind.name());
        assert!(s.measurements.iter().all(|m| !m.elapsed.is_zero()));
    }
    // A model body edit takes the targeted path and re-renders that model only.
    let body = report.series("model_body").expect("body").stats();
    assert_eq!(body.targeted_share, Some(1.0));
    assert_eq!(body.median_queries.rendered_node, 1);
    assert_eq!(body.median_queries.compiled_sql, 1);
    // Macro and yml edits take the targeted path too; a yml comment re-renders nothing.
    for kind in ["macro", "yml_comment", "model_description"] {
        let s = report.series(kind).expect(kind).stats();
        assert_eq!(s.targeted_share, Some(1.0), "{kind}");
    }
    let yml = report.series("yml_comment").expect("yml").stats();
    assert_eq!(yml.median_queries.rendered_node, 0);

    let json = report.to_json();
    for key in [
        "project",
        "nodes",
        "compiled",
        "errors",
        "threads",
        "seed",
        "recovered",
        "kinds",
        "warnings",
        "total_ms",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    let kinds = json["kinds"].as_object().expect("kinds");
    let names: Vec<&str> = kinds.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "cold",
            "noop",
            "noop_full_check",
            "model_body",
            "column_alias",
            "macro",
            "yml_comment",
            "model_description"
        ]
    );
    for (name, k) in kinds {
        for key in [
            "count",
            "candidates",
            "p50_ms",
            "p95_ms",
            "max_ms",
            "median_queries",
            "targeted_share",
            "samples",
        ] {
            assert!(k.get(key).is_some(), "{name}.{key}");
        }
        assert!(k["p50_ms"].as_f64().expect("p50") > 0.0, "{name}");
        assert!(k["max_ms"].as_f64() >= k["p50_ms"].as_f64(), "{name}");
    }
    assert!(json["total_ms"].as_f64().expect("total") > 0.0);
    let text = report.to_text();
    assert!(text.contains("model description") && text.contains("total bench time"));
}

#[test]
fn sampling_is_deterministic() {
    let (_tmp, dir) = shop_copy();
    let labels = |report: &dbtc::bench::BenchReport| -> Vec<String> {
        report
            .series
            .iter()
            .flat_map(|s| s.measurements.iter().map(|m| m.label.clone()))
            .collect()
    };
    let mut opts = options(&dir, 2);
    opts.cold_runs = 1;
    let a = run_bench(&opts, |_| {}).expect("bench");
    let b = run_bench(&opts, |_| {}).expect("bench");
    assert_eq!(labels(&a), labels(&b));
}

#[test]
fn a_killed_run_is_recovered_by_the_next_one() {
    let (_tmp, dir) = shop_copy();
    let before = snapshot(&dir);
    let model = dir.join("models/marts/fct_orders.sql");
    let yml = dir.join("models/marts/_marts.yml");
    let originals: BTreeMap<String, String> = [&model, &yml]
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(p).expect("read"),
            )
        })
        .collect();
    // What a run killed mid-edit leaves: the recovery file and an edited model.
    let recovery = dir.join("target").join(RECOVERY_FILE);
    std::fs::create_dir_all(recovery.parent().expect("target")).expect("mkdir");
    std::fs::write(&recovery, serde_json::to_string(&originals).expect("json"))
        .expect("write recovery");
    std::fs::write(
        &model,
        format!("{}-- dbtc bench\n", originals[&model.display().to_string()]),
    )
    .expect("edit");

    let mut lines = Vec::new();
    let mut opts = options(&dir, 1);
    opts.cold_runs = 1;
    let report = run_bench(&opts, |l| lines.push(l.to_string())).expect("bench");
    assert_eq!(report.recovered, vec![model.clone()]);
    assert!(
        lines.iter().any(|l| l.starts_with("restored 1 file")),
        "{lines:?}"
    );
    assert_eq!(
        report.to_json()["recovered"][0],
        model.display().to_string()
    );
    assert!(!recovery.exists());
    assert_eq!(snapshot(&dir), before);
    // Nothing left to recover.
    assert_eq!(recover(&recovery).expect("recover"), Vec::<PathBuf>::new());
}

#[test]
fn a_corrupt_recovery_file_stops_the_bench() {
    let (_tmp, dir) = shop_copy();
    let recovery = dir.join("target").join(RECOVERY_FILE);
    std::fs::create_dir_all(recovery.parent().expect("target")).expect("mkdir");
    std::fs::write(&recovery, "{not json").expect("write");
    let before = snapshot(&dir);
    let err = run_bench(&options(&dir, 1), |_| {}).expect_err("corrupt");
    assert!(err.contains("not a dbtc bench recovery file"), "{err}");
    assert_eq!(snapshot(&dir), before, "nothing edited, the file kept");
}

#[test]
fn cli_bench_json_and_generate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gen_dir = tmp.path().join("gen");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .args(["bench", "--generate"])
        .arg(&gen_dir)
        .args(["--models", "12", "--seed", "3"])
        .output()
        .expect("run dbtc");
    assert!(out.status.success(), "{out:?}");
    assert!(gen_dir.join("dbt_project.yml").is_file());
    let before = snapshot(&gen_dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .args(["bench", "--project-dir"])
        .arg(&gen_dir)
        .arg("--profiles-dir")
        .arg(&gen_dir)
        .args(["--cold-runs", "1", "--samples", "2", "--log-format", "json"])
        .output()
        .expect("run dbtc");
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert!(json["nodes"].as_u64().expect("nodes") > 12);
    assert_eq!(json["kinds"]["model_body"]["count"], 2);
    assert_eq!(json["kinds"]["macro"]["count"], 2);
    assert_eq!(snapshot(&gen_dir), before);
}

#[test]
fn a_panic_mid_run_restores_and_deletes_the_recovery_file() {
    let (_tmp, dir) = shop_copy();
    let before = snapshot(&dir);
    let mut opts = options(&dir, 1);
    opts.cold_runs = 1;
    // The progress line announcing the edits comes after the recovery file is written.
    let result = std::panic::catch_unwind(|| {
        run_bench(&opts, |l| {
            if l.ends_with("one-file edits") {
                assert!(dir.join("target").join(RECOVERY_FILE).is_file());
                panic!("interrupted");
            }
        })
    });
    assert!(result.is_err());
    assert!(!dir.join("target").join(RECOVERY_FILE).exists());
    assert_eq!(snapshot(&dir), before);
}
