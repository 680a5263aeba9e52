//! Cold compile and one-model-edit recompile on generated projects (1,000 models; 10,000
//! with DBTC_BENCH_LARGE=1). Each iteration asserts node and diagnostic counts, so a
//! broken build cannot look fast.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

// The same allocator as the dbtc binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use dbtc::compile::{compile_project, default_threads, warm_parallel};
use dbtc::db::{OsSystem, Project, RootDb, Settings};
use dbtc::generate::{GenerateOptions, generate_project};
use dbtc::project::{LoadOptions, apply_changes, load_project};
use dbtc::recompile::{Path as RecompilePath, Recompiler};

fn load(dir: &Path) -> (RootDb, Project) {
    let opts = LoadOptions {
        project_dir: dir.to_path_buf(),
        profiles_dir: Some(dir.to_path_buf()),
        settings: Settings::default(),
    };
    let db = RootDb::default();
    let project = load_project(&db, &OsSystem, &opts);
    (db, project)
}

fn first_model(dir: &Path) -> PathBuf {
    let mut stack = vec![dir.join("models")];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("models dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "sql")
                && p.to_string_lossy().contains("marts")
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found.into_iter().next().expect("a mart model")
}

fn bench_size(c: &mut Criterion, models: usize) {
    let dir = std::env::temp_dir().join(format!("dbtc-bench-{models}"));
    let _ = std::fs::remove_dir_all(&dir);
    generate_project(&dir, &GenerateOptions { models, seed: 7 }).expect("generate");
    let (db, project) = load(&dir);
    let expected_nodes = compile_project(&db, project, None).nodes.len();
    assert!(expected_nodes > models, "compiled {expected_nodes} nodes");

    let mut group = c.benchmark_group(format!("compile_{models}"));
    group.sample_size(10);
    // As `dbtc compile` does it: parallel warm-up on database clones, then the compile.
    group.bench_function("cold", |b| {
        b.iter(|| {
            let (db, project) = load(&dir);
            warm_parallel(&db, project, default_threads());
            let out = compile_project(&db, project, None);
            assert_eq!(out.nodes.len(), expected_nodes);
            assert_eq!(out.error_count(), 0);
        })
    });
    let model = first_model(&dir);
    let original = std::fs::read_to_string(&model).expect("model text");
    let (mut db, project) = load(&dir);
    let mut recompiler = Recompiler::new(&db, project, &[], &[]);
    let mut n = 0u64;
    // What watch does: only the nodes the edit can reach are asked for.
    group.bench_function("one_model_edit", |b| {
        b.iter(|| {
            n += 1;
            std::fs::write(&model, format!("{original}\n-- edit {n}\n")).expect("write");
            let changes = apply_changes(
                &mut db,
                &OsSystem,
                project,
                Some(std::slice::from_ref(&model)),
            );
            recompiler.update(&db, project, &changes);
            assert_eq!(recompiler.last_path, RecompilePath::Targeted(1));
            assert_eq!(recompiler.counts(), (expected_nodes, 0));
        })
    });
    // The same edit followed by a full compile_project (every node's memos re-checked).
    group.bench_function("one_model_edit_full_check", |b| {
        b.iter(|| {
            n += 1;
            std::fs::write(&model, format!("{original}\n-- edit {n}\n")).expect("write");
            apply_changes(
                &mut db,
                &OsSystem,
                project,
                Some(std::slice::from_ref(&model)),
            );
            let out = compile_project(&db, project, None);
            assert_eq!(out.nodes.len(), expected_nodes);
            assert_eq!(out.error_count(), 0);
        })
    });
    group.bench_function("noop", |b| {
        b.iter(|| {
            let out = compile_project(&db, project, None);
            assert_eq!(out.nodes.len(), expected_nodes);
        })
    });
    group.finish();
    std::fs::write(&model, original).expect("restore");
}

fn benches(c: &mut Criterion) {
    bench_size(c, 1_000);
    if std::env::var_os("DBTC_BENCH_LARGE").is_some() {
        bench_size(c, 10_000);
    }
}

criterion_group!(compile, benches);
criterion_main!(compile);
