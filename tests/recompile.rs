//! Incremental must equal cold: random edit sequences (model bodies, refs, configs,
//! ephemeral switches, Jinja errors and fixes, macro edits (bodies, calls between macros,
//! new and removed macros, `generate_schema_name`), yml edits (descriptions, configs,
//! static_analysis, tests, sources, comments), creates, deletes, ref cycles) are applied to
//! one long-lived database through `apply_changes` and the `Recompiler`; after every step
//! the output must equal a cold compile of the same files.

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
    match rng.below(4) {
        0 => text.push_str(", {{ label('v') }} as l"),
        1 => text.push_str(", {{ cents('v') }} as c"),
        _ => {}
    }
    if let Some(p) = parent {
        text.push_str(&format!(" from {{{{ ref('{p}') }}}}"));
    } else if rng.below(3) == 0 {
        text.push_str(" from {{ source('raw', 't1') }}");
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
    fs.write("/p/macros/util.sql", util_macros(0, 0));
    fs.write("/p/macros/schema_name.sql", schema_name_macro(0));
    fs.write(
        "/p/models/graph_reader.sql",
        "{% for n in graph.nodes.values() %}{% if n.config.materialized == 'table' %}-- {{ n.name }}: {{ n.description }}\n{% endif %}{% endfor %}select 1 as x\n",
    );
    fs.write("/p/models/schema.yml", Yml::default().text());
    for i in 0..MODELS {
        let text = model_text(rng, i);
        fs.write(model_path(i), text);
    }
}

/// Two macros in one file: `label` (whose body may call `money`) and `cents`; `extra`
/// adds a third macro (a new name changes the macro index).
fn util_macros(variant: usize, extra: usize) -> String {
    let label = ["'L' || {{ c }}", "{{ money(c) }} || 'x'", "upper({{ c }})"][variant % 3];
    let mut text = format!(
        "{{% macro label(c) %}}{label}{{% endmacro %}}\n{{% macro cents(c) %}}({{{{ c }}}} * {}){{% endmacro %}}\n",
        100 + variant % 2
    );
    if extra % 2 == 1 {
        text.push_str("{% macro unused() %}1{% endmacro %}\n");
    }
    text
}

/// A `generate_schema_name` override (variant 0: dbt's default behaviour).
fn schema_name_macro(variant: usize) -> String {
    let body = if variant.is_multiple_of(2) {
        "{%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}"
    } else {
        "{{ target.schema }}_x"
    };
    format!(
        "{{% macro generate_schema_name(custom_schema_name, node) -%}}{body}{{%- endmacro %}}\n"
    )
}

/// A model entry of the properties yml: (model index, description, materialized,
/// static_analysis, test).
type Patched = (
    usize,
    usize,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// The properties yml, mutated one field at a time.
#[derive(Default, Clone)]
struct Yml {
    models: Vec<Patched>,
    source_identifier: usize,
    comments: usize,
}

impl Yml {
    fn text(&self) -> String {
        // Comments on top move every position below them.
        let mut out: String = (0..self.comments)
            .map(|c| format!("# comment {c}\n"))
            .collect();
        out.push_str("version: 2\nmodels:\n");
        if self.models.is_empty() {
            out.push_str(
                "  - name: m0\n    columns:\n      - name: v\n        data_tests: [not_null]\n",
            );
        }
        for (i, desc, mat, sa, test) in &self.models {
            out.push_str(&format!(
                "  - name: m{i}\n    description: \"model {desc}\"\n"
            ));
            if mat.is_some() || sa.is_some() {
                out.push_str("    config:\n");
                if let Some(m) = mat {
                    out.push_str(&format!("      materialized: {m}\n"));
                }
                if let Some(a) = sa {
                    out.push_str(&format!("      static_analysis: {a}\n"));
                }
            }
            out.push_str("    columns:\n      - name: v\n");
            if let Some(t) = test {
                out.push_str(&format!("        data_tests: [{t}]\n"));
            }
        }
        out.push_str(&format!(
            "sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: t1\n        identifier: t1_{}\n        columns:\n          - name: v\n            data_type: integer\n",
            self.source_identifier
        ));
        out
    }

    fn mutate(&mut self, rng: &mut Rng) {
        if self.models.is_empty() || rng.below(8) == 0 {
            let i = rng.below(MODELS);
            if !self.models.iter().any(|m| m.0 == i) {
                self.models.push((i, 0, None, None, None));
            }
        }
        let k = rng.below(self.models.len());
        let m = &mut self.models[k];
        match rng.below(9) {
            0 | 1 => m.1 = rng.below(5),
            2 => m.2 = [None, Some("table"), Some("view"), Some("ephemeral")][rng.below(4)],
            3 => m.3 = [None, Some("off"), Some("unsafe"), Some("on")][rng.below(4)],
            4 => m.4 = [None, Some("not_null"), Some("unique"), Some("no_such_test")][rng.below(4)],
            5 => self.source_identifier = rng.below(3),
            6 => {
                self.models.remove(k);
            }
            _ => self.comments = (self.comments + 1) % 4,
        }
    }
}

/// The random state the edits mutate.
#[derive(Default)]
struct State {
    yml: Yml,
    util: (usize, usize),
    schema_name: usize,
}

/// One random edit; returns the paths it touched.
fn random_edit(fs: &MemSystem, rng: &mut Rng, state: &mut State) -> Vec<PathBuf> {
    let i = rng.below(MODELS + 2);
    match rng.below(24) {
        20 | 21 => {
            state.yml.mutate(rng);
            fs.write("/p/models/schema.yml", state.yml.text());
            vec!["/p/models/schema.yml".into()]
        }
        22 => {
            // Mostly body edits; sometimes a new or removed macro.
            if rng.below(5) == 0 {
                state.util.1 += 1;
            } else {
                state.util.0 += 1 + rng.below(2);
            }
            fs.write(
                "/p/macros/util.sql",
                util_macros(state.util.0, state.util.1),
            );
            vec!["/p/macros/util.sql".into()]
        }
        23 => {
            state.schema_name += 1;
            fs.write(
                "/p/macros/schema_name.sql",
                schema_name_macro(state.schema_name),
            );
            vec!["/p/macros/schema_name.sql".into()]
        }
        0 => {
            let body = ["/ 100.0", "/ 1000.0", "* 1"][rng.below(3)];
            fs.write(
                "/p/macros/money.sql",
                format!("{{% macro money(c) %}}({{{{ c }}}} {body}){{% endmacro %}}\n"),
            );
            vec!["/p/macros/money.sql".into()]
        }
        1 => {
            // A whole new yml (often a different node set).
            let mut yml = Yml::default();
            yml.mutate(rng);
            yml.mutate(rng);
            state.yml = yml;
            fs.write("/p/models/schema.yml", state.yml.text());
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
    let mut state = State::default();
    // Targeted updates per edited file kind: macro and yml edits must take it too.
    let mut targeted_by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
    for step in 1..=1000 {
        let paths = random_edit(&fs, &mut rng, &mut state);
        let kind = match paths[0].to_str().unwrap_or_default() {
            "/p/models/schema.yml" => "yml",
            "/p/macros/util.sql" | "/p/macros/money.sql" => "macro",
            _ => "other",
        };
        let changes = apply_changes(&mut db, &fs, project, Some(&paths));
        recompiler.update(&db, project, &changes);
        match recompiler.last_path {
            Path::Targeted(_) => {
                targeted += 1;
                *targeted_by_kind.entry(kind).or_default() += 1;
            }
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
            "step {step} {kind} {:?}: {:#?}",
            recompiler.last_path,
            output
                .diagnostics
                .iter()
                .map(|d| (d.code, &d.node))
                .collect::<Vec<_>>()
        );
    }
    // Both paths must have been exercised for the comparison to mean anything.
    assert!(
        targeted > 100 && full > 100,
        "targeted {targeted}, full {full}"
    );
    eprintln!("targeted {targeted}, full {full}, targeted by kind {targeted_by_kind:?}");
    let by_kind = |k: &str| targeted_by_kind.get(k).copied().unwrap_or(0);
    assert!(
        by_kind("yml") > 20 && by_kind("macro") > 20,
        "targeted by kind: {targeted_by_kind:?}"
    );
}

/// A macro edit reaches exactly the nodes calling the macro (directly or through another
/// macro); a yml description edit reaches the described model and its children.
#[test]
fn macro_and_yml_edits_reach_only_their_nodes() {
    let fs = MemSystem::default();
    fs.write("/p/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write(
        "/p/profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n",
    );
    let macros = |body: &str| {
        format!(
            "{{% macro cents(c) %}}({{{{ c }}}} {body}){{% endmacro %}}\n{{% macro wrapped(c) %}}{{{{ cents(c) }}}}{{% endmacro %}}\n{{% macro other(c) %}}{{{{ c }}}}{{% endmacro %}}\n"
        )
    };
    fs.write("/p/macros/m.sql", macros("/ 100"));
    fs.write("/p/models/a.sql", "select {{ cents('1') }} as x");
    fs.write("/p/models/b.sql", "select {{ wrapped('2') }} as x");
    fs.write("/p/models/c.sql", "select {{ other('3') }} as x");
    fs.write("/p/models/d.sql", "select x from {{ ref('c') }}");
    for i in 0..6 {
        fs.write(format!("/p/models/z{i}.sql"), format!("select {i} as x"));
    }
    let yml = |desc: &str| {
        format!(
            "models:\n  - name: c\n    description: {desc}\n  - name: z0\n    description: zero\n"
        )
    };
    fs.write("/p/models/schema.yml", yml("first"));
    let mut db = RootDb::default();
    let project = load_project(&db, &fs, &opts());
    let mut recompiler = Recompiler::new(&db, project, &[], &[]);
    let mut edit = |path: &str, text: String| {
        fs.write(path, text);
        let changes = apply_changes(&mut db, &fs, project, Some(&[PathBuf::from(path)]));
        recompiler.update(&db, project, &changes);
        assert_same(0, &recompiler.output(), &cold(&fs));
        (recompiler.last_path, recompiler.last_touched.clone())
    };
    let ids = |names: &[&str]| -> Vec<String> {
        names.iter().map(|n| format!("model.demo.{n}")).collect()
    };
    // `cents` is called by a, and by b through `wrapped`.
    let (path, touched) = edit("/p/macros/m.sql", macros("/ 1000"));
    assert_eq!((path, touched), (Path::Targeted(2), ids(&["a", "b"])));
    // A description: the model and its child.
    let (path, touched) = edit("/p/models/schema.yml", yml("second"));
    assert_eq!((path, touched), (Path::Targeted(2), ids(&["c", "d"])));
    // A yml comment changes no node.
    let (path, touched) = edit("/p/models/schema.yml", format!("# note\n{}", yml("second")));
    assert_eq!((path, touched), (Path::Targeted(0), Vec::<String>::new()));
}
