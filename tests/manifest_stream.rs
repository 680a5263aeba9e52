//! `write_manifest` streams node entries to disk a batch at a time; its file must equal
//! the manifest built in memory.

mod common;

use serde_json::Value;

/// Drops `created_at` (a timestamp of each build) everywhere.
fn without_timestamps(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.shift_remove("created_at");
            map.values_mut().for_each(without_timestamps);
        }
        Value::Array(items) => items.iter_mut().for_each(without_timestamps),
        _ => {}
    }
}

#[test]
fn streamed_manifest_file_equals_the_in_memory_manifest() {
    for fixture in ["shop", "macros_pkg", "configs"] {
        let _root = common::fixture_dir(fixture);
        let (db, project) = common::load_fixture(fixture);
        let dir = tempfile::tempdir().expect("temp dir");
        for (threads, batch) in [(1, 1), (3, 2), (2, 5), (2, 2048)] {
            let path = dir.path().join("target").join("manifest.json");
            dbtc::artifacts::manifest::write_manifest_in_batches(
                &db, project, true, threads, batch, &path,
            )
            .expect("manifest written");
            let mut streamed: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
            let mut in_memory: Value = serde_json::from_slice(
                &dbtc::artifacts::manifest::manifest_bytes(&db, project, true, threads),
            )
            .expect("JSON");
            without_timestamps(&mut streamed);
            without_timestamps(&mut in_memory);
            assert!(
                streamed["nodes"].as_object().is_some_and(|n| !n.is_empty()),
                "{fixture}: no nodes"
            );
            assert_eq!(
                streamed, in_memory,
                "{fixture}, threads {threads}, batch {batch}"
            );
            let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
                .collect();
            assert!(leftovers.is_empty(), "temporary file left behind");
        }
    }
}
