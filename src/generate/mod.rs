//! Deterministic generator of realistic dbt projects of any size.
//!
//! Benchmarks and scale tests need projects that look like what people write (layered
//! staging → intermediate → marts, Jinja macros, configs, tests) and are also valid: every
//! model runs on DuckDB after `dbt seed`, and every column a model selects exists upstream.
//! To guarantee that, the generator tracks each model's output columns, their kinds and its
//! *grain* (the entity whose id is unique per row). Joins are always many-to-one onto a model
//! whose grain is the join key, so row counts never explode and `unique` tests on the grain
//! hold; models only `ref` models generated before them, so the DAG is acyclic.
//!
//! A seeded splitmix64 PRNG drives every choice and files are written with plain `std::fs`,
//! so output is byte-identical for a seed and 10k models take well under a second.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::Path;

/// What to generate: `models` SQL models, shaped by `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    pub models: usize,
    pub seed: u64,
}

/// Counts of what was written, so callers can check expectations cheaply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub models: usize,
    pub seeds: usize,
    pub sources: usize,
    pub macros: usize,
    /// Generic data tests declared in properties files (models and sources).
    pub tests: usize,
}

/// splitmix64: tiny and stable across platforms and Rust versions (unlike `std`'s
/// hashers), which is what determinism needs.
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
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn in_range(&mut self, r: &Range<usize>) -> usize {
        r.start + self.below(r.len())
    }
}

/// Column kinds decide what a downstream model may do with a column: join on `Key`s,
/// aggregate `Num`s and `Date`s, pivot and test `Cat`s (an index into [`CATS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Key(usize),
    Num,
    Text,
    Date,
    Cat(usize),
    Flag,
}

impl Kind {
    fn key(self) -> Option<usize> {
        if let Kind::Key(e) = self {
            Some(e)
        } else {
            None
        }
    }
    fn cat(self) -> Option<usize> {
        if let Kind::Cat(c) = self {
            Some(c)
        } else {
            None
        }
    }
    /// Declared `data_type`, only where it is certain on DuckDB (numeric types vary).
    fn data_type(self) -> Option<&'static str> {
        match self {
            Kind::Key(_) => Some("integer"),
            Kind::Date => Some("date"),
            Kind::Text | Kind::Cat(_) => Some("varchar"),
            Kind::Flag => Some("boolean"),
            Kind::Num => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Col {
    name: String,
    kind: Kind,
    /// May be NULL (it came through a left join), so never a group-by key.
    nullable: bool,
}

fn col(name: impl Into<String>, kind: Kind, nullable: bool) -> Col {
    Col {
        name: name.into(),
        kind,
        nullable,
    }
}

/// A source table / seed. Raw columns are renamed in staging: `id` becomes `<singular>_id`
/// and `*_cents` become dollars through the `cents_to_dollars` macro.
struct Entity {
    plural: &'static str,
    singular: &'static str,
    rows: usize,
    cols: &'static [(&'static str, Kind)],
}

const CUSTOMERS: usize = 0;
const ORDERS: usize = 1;
const PAYMENTS: usize = 2;
const PRODUCTS: usize = 3;

#[rustfmt::skip]
const ENTITIES: [Entity; 4] = [
    Entity { plural: "customers", singular: "customer", rows: 40, cols: &[
        ("id", Kind::Key(CUSTOMERS)), ("first_name", Kind::Text), ("last_name", Kind::Text),
        ("email", Kind::Text), ("signup_date", Kind::Date), ("region", Kind::Cat(0)),
    ] },
    Entity { plural: "orders", singular: "order", rows: 150, cols: &[
        ("id", Kind::Key(ORDERS)), ("customer_id", Kind::Key(CUSTOMERS)),
        ("product_id", Kind::Key(PRODUCTS)), ("order_date", Kind::Date),
        ("status", Kind::Cat(1)), ("amount_cents", Kind::Num),
    ] },
    Entity { plural: "payments", singular: "payment", rows: 180, cols: &[
        ("id", Kind::Key(PAYMENTS)), ("order_id", Kind::Key(ORDERS)),
        ("payment_method", Kind::Cat(2)), ("payment_amount_cents", Kind::Num),
        ("paid_at", Kind::Date),
    ] },
    Entity { plural: "products", singular: "product", rows: 12, cols: &[
        ("id", Kind::Key(PRODUCTS)), ("product_name", Kind::Text),
        ("category", Kind::Cat(3)), ("price_cents", Kind::Num),
    ] },
];

/// Value sets of the categorical columns. Seeds draw from them, so `accepted_values`
/// tests and pivots over them are always right.
const CATS: [&[&str]; 4] = [
    &["north", "south", "east", "west"],
    &["placed", "shipped", "completed", "returned"],
    &["credit_card", "bank_transfer", "gift_card", "coupon"],
    &["tea", "coffee", "cocoa"],
];

/// Longer column names are dropped rather than emitted, which bounds name growth.
const MAX_NAME: usize = 48;
/// Width cap per model, so wide join chains stay readable.
const MAX_COLS: usize = 16;
const LAYERS: [&str; 3] = ["staging", "intermediate", "marts"];

fn grain_col(e: usize) -> String {
    format!("{}_id", ENTITIES[e].singular)
}

fn list_lit(vals: &[&str]) -> String {
    let quoted: Vec<String> = vals.iter().map(|v| format!("'{v}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Jinja expression for a category's values; two go through `return()` macros.
fn values_expr(cat: usize) -> String {
    match cat {
        1 => "order_statuses()".into(),
        2 => "payment_methods()".into(),
        _ => list_lit(CATS[cat]),
    }
}

struct Model {
    name: String,
    layer: usize,
    grain: usize,
    cols: Vec<Col>,
    ephemeral: bool,
    incremental: bool,
}

/// Writes a complete dbt project (project, profile, seeds, sources, macros, layered models
/// and per-folder properties files) into `dir`, creating it.
pub fn generate_project(dir: &Path, opts: &GenerateOptions) -> io::Result<GenerateSummary> {
    let mut rng = Rng(opts.seed ^ 0xD1B5_4A32_D192_ED03);
    let n = opts.models;
    let n_stg = if n == 0 {
        0
    } else {
        ((n as f64 * 0.2).round() as usize).clamp(1, n)
    };
    let n_mart = ((n as f64 * 0.3).round() as usize).min(n - n_stg);
    let n_int = n - n_stg - n_mart;

    for layer in LAYERS {
        for e in &ENTITIES {
            fs::create_dir_all(dir.join("models").join(layer).join(e.plural))?;
        }
    }
    for sub in ["seeds", "macros", "tests", "analyses"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    fs::write(dir.join("dbt_project.yml"), PROJECT_YML)?;
    fs::write(dir.join("profiles.yml"), PROFILES_YML)?;
    fs::write(
        dir.join(".gitignore"),
        "target/\ndbt_packages/\nlogs/\n*.duckdb*\n",
    )?;
    for (file, body) in MACROS {
        fs::write(dir.join("macros").join(file), body)?;
    }
    for (e, ent) in ENTITIES.iter().enumerate() {
        let path = dir.join("seeds").join(format!("raw_{}.csv", ent.plural));
        fs::write(path, seed_csv(e, &mut rng))?;
    }
    let (seeds_yml, sources_yml) = raw_ymls();
    fs::write(dir.join("seeds/_seeds.yml"), seeds_yml)?;
    fs::write(dir.join("models/staging/_sources.yml"), sources_yml)?;

    let mut summary = GenerateSummary {
        models: n,
        seeds: ENTITIES.len(),
        sources: ENTITIES.len(),
        macros: MACRO_COUNT,
        tests: ENTITIES.len(), // one not_null per source table
    };
    let mut models: Vec<Model> = Vec::with_capacity(n);
    // by_grain[layer][entity]: indices of the models of that layer and grain.
    let mut by_grain: [[Vec<usize>; 4]; 3] = Default::default();
    // One properties file per leaf folder, filled as models are generated.
    let mut props: [[String; 4]; 3] = Default::default();
    for i in 0..n {
        let (model, sql) = if i < n_stg {
            // Cover every entity first so later layers always find join targets.
            let e = if i < ENTITIES.len() {
                i
            } else {
                rng.below(ENTITIES.len())
            };
            staging_model(&mut rng, e, i)
        } else if i < n_stg + n_int {
            derived_model(&mut rng, &models, &by_grain, 1, 0..i, i)
        } else {
            let bases = if n_int > 0 {
                n_stg..n_stg + n_int
            } else {
                0..n_stg
            };
            derived_model(&mut rng, &models, &by_grain, 2, bases, i)
        };
        let (layer, grain) = (model.layer, model.grain);
        let folder = dir
            .join("models")
            .join(LAYERS[layer])
            .join(ENTITIES[grain].plural);
        fs::write(folder.join(format!("{}.sql", model.name)), sql)?;
        summary.tests += properties(&mut rng, &model, &by_grain, &mut props[layer][grain]);
        by_grain[layer][grain].push(i);
        models.push(model);
    }
    for (l, layer) in LAYERS.iter().enumerate() {
        for (e, ent) in ENTITIES.iter().enumerate() {
            if !props[l][e].is_empty() {
                let path = format!("models/{layer}/{p}/_{p}__{layer}.yml", p = ent.plural);
                fs::write(
                    dir.join(path),
                    format!("version: 2\n\nmodels:\n{}", props[l][e]),
                )?;
            }
        }
    }
    Ok(summary)
}

/// Small CSVs with intact foreign keys and in-range categories, so `relationships` and
/// `accepted_values` tests pass on the real data.
fn seed_csv(e: usize, rng: &mut Rng) -> String {
    const FIRST: [&str; 8] = ["ada", "bob", "cleo", "dev", "eva", "finn", "gus", "hana"];
    const LAST: [&str; 6] = ["smith", "jones", "ng", "garcia", "kim", "olsen"];
    let ent = &ENTITIES[e];
    let header: Vec<&str> = ent.cols.iter().map(|c| c.0).collect();
    let mut out = header.join(",") + "\n";
    let date = |rng: &mut Rng| format!("2024-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
    let fk = |rng: &mut Rng, e: usize| 1 + rng.below(ENTITIES[e].rows);
    for id in 1..=ent.rows {
        let cents = 100 + rng.below(20_000);
        let row = match e {
            CUSTOMERS => {
                let (f, l, d) = (rng.pick(&FIRST), rng.pick(&LAST), date(rng));
                format!(
                    "{id},{f},{l},{f}.{l}{id}@example.com,{d},{}",
                    rng.pick(CATS[0])
                )
            }
            ORDERS => {
                let (c, p, d) = (fk(rng, CUSTOMERS), fk(rng, PRODUCTS), date(rng));
                format!("{id},{c},{p},{d},{},{cents}", rng.pick(CATS[1]))
            }
            PAYMENTS => {
                let (o, m) = (fk(rng, ORDERS), rng.pick(CATS[2]));
                format!("{id},{o},{m},{cents},{}", date(rng))
            }
            _ => format!("{id},product {id},{},{}", rng.pick(CATS[3]), cents / 10),
        };
        out.push_str(&row);
        out.push('\n');
    }
    out
}

/// Raw column type, as `dbt seed` infers it on DuckDB (cents are integers).
fn raw_type(kind: Kind) -> &'static str {
    kind.data_type().unwrap_or("integer")
}

/// Seed properties pin `column_types`, and the sources (schema `main`) point at the seeds'
/// tables with every column declared, so analysis knows raw schemas without a warehouse.
fn raw_ymls() -> (String, String) {
    let mut seeds = String::from("version: 2\n\nseeds:\n");
    let mut sources = String::from("version: 2\n\nsources:\n  - name: raw\n");
    sources.push_str(
        "    description: Raw shop data, loaded by `dbt seed`.\n    schema: main\n    tables:\n",
    );
    for e in &ENTITIES {
        let _ = write!(
            seeds,
            "  - name: raw_{}\n    description: Raw {}.\n",
            e.plural, e.plural
        );
        let types: Vec<String> = e
            .cols
            .iter()
            .map(|(c, k)| format!("{c}: {}", raw_type(*k)))
            .collect();
        let _ = write!(
            seeds,
            "    config:\n      column_types: {{{}}}\n",
            types.join(", ")
        );
        let _ = write!(
            sources,
            "      - name: {p}\n        identifier: raw_{p}\n",
            p = e.plural
        );
        let _ = write!(
            sources,
            "        description: One row per {}.\n        columns:\n",
            e.singular
        );
        for &(c, k) in e.cols {
            let _ = write!(
                sources,
                "          - name: {c}\n            data_type: {}\n",
                raw_type(k)
            );
            if c == "id" {
                sources.push_str("            data_tests:\n              - not_null\n");
            }
        }
    }
    (seeds, sources)
}

/// Appends a model's properties entry: description and some column docs always, tests on
/// about half the non-ephemeral models. Returns the number of tests added.
fn properties(
    rng: &mut Rng,
    m: &Model,
    by_grain: &[[Vec<usize>; 4]; 3],
    out: &mut String,
) -> usize {
    let ent = &ENTITIES[m.grain];
    let what = ["Staged", "Intermediate", "Reporting"][m.layer];
    let mat = if m.ephemeral {
        " (ephemeral)"
    } else if m.incremental {
        " (incremental)"
    } else {
        ""
    };
    let _ = write!(
        out,
        "  - name: {}\n    description: {what} {}{mat}; ",
        m.name, ent.plural
    );
    let _ = write!(out, "one row per {}.\n    columns:\n", ent.singular);
    let with_tests = !m.ephemeral && rng.chance(if m.layer == 0 { 70 } else { 45 });
    let (mut tests, mut cat_tested, mut rel_tested) = (0, false, false);
    for c in &m.cols {
        let is_grain = c.name == grain_col(m.grain);
        let mut t = String::new();
        if with_tests && is_grain {
            t.push_str("          - unique\n          - not_null\n");
            tests += 2;
        } else if let (true, false, Some(k)) = (with_tests, cat_tested, c.kind.cat()) {
            t.push_str("          - accepted_values:\n              arguments:\n");
            let _ = writeln!(t, "                values: {}", list_lit(CATS[k]));
            (cat_tested, tests) = (true, tests + 1);
        } else if let (true, false, Some(e)) = (with_tests, rel_tested, c.kind.key()) {
            // Staging models never filter rows, so every id has a parent there.
            if let Some(&target) = by_grain[0][e].first() {
                t.push_str("          - relationships:\n              arguments:\n");
                let _ = writeln!(
                    t,
                    "                to: ref('stg_{}_{target}')",
                    ENTITIES[e].plural
                );
                let _ = writeln!(t, "                field: {}", grain_col(e));
                (rel_tested, tests) = (true, tests + 1);
            }
        }
        if t.is_empty() && !is_grain && !rng.chance(40) {
            continue;
        }
        let _ = writeln!(out, "      - name: {}", c.name);
        if is_grain {
            let _ = writeln!(out, "        description: Primary key of {}.", ent.plural);
        }
        if let Some(ty) = c.kind.data_type() {
            let _ = writeln!(out, "        data_type: {ty}");
        }
        if !t.is_empty() {
            let _ = write!(out, "        data_tests:\n{t}");
        }
    }
    out.push('\n');
    tests
}

mod models;
mod text;
use models::*;
use text::*;

#[cfg(test)]
mod tests;
