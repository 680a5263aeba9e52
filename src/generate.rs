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

/// `stg_*`: select from `source()` or `ref(seed)`, rename and cast columns, sometimes derive
/// a rank (loop macro) or a flag (`var()`). Never filters, so staging models hold every id
/// and are safe `relationships` targets.
fn staging_model(rng: &mut Rng, e: usize, i: usize) -> (Model, String) {
    let ent = &ENTITIES[e];
    let (mut cols, mut exprs) = (Vec::new(), Vec::new());
    for (k, &(raw, kind)) in ent.cols.iter().enumerate() {
        if !(k == 0 || rng.chance(if kind.key().is_some() { 85 } else { 70 })) {
            continue;
        }
        let out = match (raw, raw.strip_suffix("_cents")) {
            ("id", _) => grain_col(e),
            (_, Some(dollars)) => dollars.to_string(),
            _ => raw.to_string(),
        };
        exprs.push(match kind {
            Kind::Key(_) => format!("cast({raw} as integer) as {out}"),
            Kind::Date => format!("cast({raw} as date) as {out}"),
            Kind::Num => format!("{{{{ cents_to_dollars('{raw}') }}}} as {out}"),
            _ => raw.to_string(),
        });
        cols.push(col(out.clone(), kind, false));
        match kind {
            Kind::Cat(c) if rng.chance(30) => {
                let values = values_expr(c);
                exprs.push(format!(
                    "{{{{ value_rank('{raw}', {values}) }}}} as {out}_rank"
                ));
                cols.push(col(format!("{out}_rank"), Kind::Num, false));
            }
            Kind::Num if rng.chance(30) => {
                let threshold = "{{ var('large_amount_threshold') }} * 100";
                exprs.push(format!("{raw} >= {threshold} as is_large_{out}"));
                cols.push(col(format!("is_large_{out}"), Kind::Flag, false));
            }
            _ => {}
        }
    }
    // The sources are the seeds' tables; `depends_on` orders them before the model, so a
    // fresh `dbt build` seeds first.
    let (head, from) = if rng.chance(50) {
        let p = ent.plural;
        (
            format!("-- depends_on: {{{{ ref('raw_{p}') }}}}\n\n"),
            format!("{{{{ source('raw', '{p}') }}}}"),
        )
    } else {
        (
            String::new(),
            format!("{{{{ ref('raw_{}') }}}}", ent.plural),
        )
    };
    let sql = format!(
        "{head}with source as (\n\n    select * from {from}\n\n),\n\nrenamed as (\n\n    select\n        \
         {}\n    from source\n\n)\n\nselect * from renamed\n",
        exprs.join(",\n        ")
    );
    let name = format!("stg_{}_{i}", ent.plural);
    let model = Model {
        name,
        layer: 0,
        grain: e,
        cols,
        ephemeral: false,
        incremental: false,
    };
    (model, sql)
}

/// A derived model's select list under construction, with its output columns.
#[derive(Default)]
struct Out {
    items: Vec<String>,
    cols: Vec<Col>,
    names: HashSet<String>,
}

impl Out {
    /// Adds `expr as name` unless the name is taken or too long, or the model is full.
    fn push(&mut self, expr: String, c: Col) {
        if c.name.len() > MAX_NAME
            || self.cols.len() >= MAX_COLS
            || !self.names.insert(c.name.clone())
        {
            return;
        }
        let bare = expr
            .strip_suffix(c.name.as_str())
            .is_some_and(|p| p.ends_with('.'));
        self.items.push(if bare {
            expr
        } else {
            format!("{expr} as {}", c.name)
        });
        self.cols.push(c);
    }
    /// Adds a Jinja `for` loop producing `cols` (already checked to be new).
    fn push_loop(&mut self, jinja: String, cols: Vec<Col>) {
        self.names.extend(cols.iter().map(|c| c.name.clone()));
        self.items.push(jinja);
        self.cols.extend(cols);
    }
    fn fits(&self, cols: &[Col]) -> bool {
        self.cols.len() + cols.len() <= MAX_COLS
            && cols
                .iter()
                .all(|c| c.name.len() <= MAX_NAME && !self.names.contains(&c.name))
    }
}

/// The relations a derived model reads: CTE `aliases` (base first), its `joins` clauses,
/// and the columns `avail`able to the select, each tagged with its alias index.
struct Inputs {
    aliases: Vec<usize>,
    joins: Vec<String>,
    avail: Vec<(usize, Col)>,
}

/// Picks up to two many-to-one joins: a key column already available, onto a model whose
/// grain is that key. Marts prefer intermediates; intermediates mix layers.
fn pick_inputs(
    rng: &mut Rng,
    models: &[Model],
    by_grain: &[[Vec<usize>; 4]; 3],
    layer: usize,
    base: usize,
) -> Inputs {
    let avail = models[base].cols.iter().map(|c| (0, c.clone())).collect();
    let mut inp = Inputs {
        aliases: vec![base],
        joins: Vec::new(),
        avail,
    };
    let mut names: HashSet<String> = models[base].cols.iter().map(|c| c.name.clone()).collect();
    for _ in 0..rng.below(3) {
        let keys: Vec<(usize, &str, usize)> = (inp.avail.iter())
            .filter_map(|(s, c)| Some((*s, c.name.as_str(), c.kind.key()?)))
            .collect();
        if keys.is_empty() {
            break;
        }
        let (src, key, e) = *rng.pick(&keys);
        let layers = if layer == 2 || rng.chance(50) {
            [1, 0]
        } else {
            [0, 1]
        };
        let Some(pool) = layers
            .iter()
            .map(|&l| &by_grain[l][e])
            .find(|p| !p.is_empty())
        else {
            continue;
        };
        let Some(j) = (0..4)
            .map(|_| *rng.pick(pool))
            .find(|j| !inp.aliases.contains(j))
        else {
            continue;
        };
        let (a, jn) = (&models[inp.aliases[src]].name, &models[j].name);
        inp.joins
            .push(format!("left join {jn}\n        on {a}.{key} = {jn}.{key}"));
        inp.aliases.push(j);
        let fresh: Vec<Col> = (models[j].cols.iter())
            .filter(|c| names.insert(c.name.clone()))
            .take(6)
            .map(|c| col(c.name.clone(), c.kind, true))
            .collect();
        let alias = inp.aliases.len() - 1;
        inp.avail.extend(fresh.into_iter().map(|c| (alias, c)));
    }
    inp
}

/// Intermediate (`layer` 1) and mart (`layer` 2) models: a base model from `bases`,
/// left-joined with up to two more, then either a projection (maybe incremental) or a
/// group-by with aggregates and pivots. About 6% each are incremental and ephemeral.
fn derived_model(
    rng: &mut Rng,
    models: &[Model],
    by_grain: &[[Vec<usize>; 4]; 3],
    layer: usize,
    bases: Range<usize>,
    i: usize,
) -> (Model, String) {
    let roll = rng.below(100);
    let ephemeral = (6..12).contains(&roll);
    let mut base = rng.in_range(&bases);
    let mut incremental = false;
    if roll < 6 {
        // Incremental models need a non-null date to compare with `{{ this }}`.
        let dated = |b: &usize| {
            models[*b]
                .cols
                .iter()
                .any(|c| c.kind == Kind::Date && !c.nullable)
        };
        if let Some(b) = (0..8).map(|_| rng.in_range(&bases)).find(dated) {
            (base, incremental) = (b, true);
        }
    }
    let aggregate = !incremental && rng.chance(40);
    let inp = pick_inputs(rng, models, by_grain, layer, base);
    let base_name = &models[base].name;
    let base_grain = models[base].grain;
    let q = |(s, c): &(usize, Col)| format!("{}.{}", models[inp.aliases[*s]].name, c.name);
    let from_base =
        |k: fn(&Kind) -> bool| inp.avail.iter().filter(move |(s, c)| *s == 0 && k(&c.kind));

    let mut wheres = Vec::new();
    if rng.chance(20) {
        let date = from_base(|k| *k == Kind::Date).next();
        if let (Some(d), true) = (date, rng.chance(50)) {
            wheres.push(format!(
                "{} >= cast('{{{{ var(\"start_date\") }}}}' as date)",
                q(d)
            ));
        } else if let Some(c) = from_base(|k| k.cat().is_some()).next() {
            let values = CATS[c.1.kind.cat().unwrap_or(0)];
            wheres.push(format!("{} != '{}'", q(c), values[values.len() - 1]));
        }
    }

    let mut o = Out::default();
    let mut tail = String::new();
    let group_keys: Vec<&(usize, Col)> = from_base(|k| k.key().is_some())
        .filter(|(_, c)| !c.nullable && c.kind != Kind::Key(base_grain))
        .collect();
    let grain = if aggregate && !group_keys.is_empty() {
        let key = *rng.pick(&group_keys);
        let _ = write!(tail, "\n    group by {}", q(key));
        o.push(q(key), key.1.clone());
        aggregate_select(rng, &mut o, &inp.avail, &q, base_grain);
        key.1.kind.key().unwrap_or(base_grain)
    } else {
        let g = from_base(|k| k.key().is_some()).find(|(_, c)| c.name == grain_col(base_grain));
        let g = g.expect("a model keeps its grain column");
        o.push(q(g), g.1.clone());
        if incremental {
            let d = from_base(|k| *k == Kind::Date)
                .find(|(_, c)| !c.nullable)
                .expect("dated base");
            o.push(q(d), d.1.clone());
            let kw = if wheres.is_empty() { "where" } else { "and" };
            let _ = write!(
                tail,
                "\n    {{% if is_incremental() %}}\n    {kw} {} > (select max({}) from {{{{ this }}}})\n    \
                 {{% endif %}}",
                q(d),
                d.1.name
            );
        }
        project_select(rng, &mut o, &inp.avail, &q, base_name);
        base_grain
    };

    let mut sql = String::new();
    if ephemeral {
        sql.push_str("{{ config(materialized='ephemeral') }}\n\n");
    } else if incremental {
        let _ = write!(
            sql,
            "{{{{\n    config(\n        materialized='incremental',\n        unique_key='{}'\n    )\n}}}}\n\n",
            grain_col(grain)
        );
    }
    sql.push_str("with ");
    for &s in &inp.aliases {
        let n = &models[s].name;
        let _ = write!(
            sql,
            "{n} as (\n\n    select * from {{{{ ref('{n}') }}}}\n\n),\n\n"
        );
    }
    let _ = write!(
        sql,
        "final as (\n\n    select\n        {}\n",
        o.items.join(",\n        ")
    );
    let _ = write!(sql, "    from {base_name}");
    for j in &inp.joins {
        let _ = write!(sql, "\n    {j}");
    }
    if !wheres.is_empty() {
        let _ = write!(sql, "\n    where {}", wheres.join(" and "));
    }
    sql.push_str(&tail);
    sql.push_str("\n\n)\n\nselect * from final\n");

    let plural = ENTITIES[grain].plural;
    let name = match layer {
        1 if grain != base_grain => format!("int_{plural}_aggregated_{i}"),
        1 if !inp.joins.is_empty() => format!("int_{plural}_joined_{i}"),
        1 if !wheres.is_empty() => format!("int_{plural}_filtered_{i}"),
        1 => format!("int_{plural}_prepared_{i}"),
        _ if grain == ORDERS || grain == PAYMENTS => format!("fct_{plural}_{i}"),
        _ => format!("dim_{plural}_{i}"),
    };
    (
        Model {
            name,
            layer,
            grain,
            cols: o.cols,
            ephemeral,
            incremental,
        },
        sql,
    )
}

/// Aggregates for a `group by`: a Jinja-loop pivot of a category (values maybe from a
/// `return()` macro), a row count, sums and `safe_divide` averages, first/last dates.
fn aggregate_select(
    rng: &mut Rng,
    o: &mut Out,
    avail: &[(usize, Col)],
    q: &dyn Fn(&(usize, Col)) -> String,
    base_grain: usize,
) {
    let cat = avail
        .iter()
        .find(|(_, c)| c.kind.cat().is_some())
        .filter(|_| rng.chance(50));
    if let Some(a @ (_, c)) = cat {
        let k = c.kind.cat().unwrap_or(0);
        let cols: Vec<Col> = CATS[k]
            .iter()
            .map(|v| col(format!("{}_{v}_count", c.name), Kind::Num, false))
            .collect();
        if o.fits(&cols) {
            let jinja = format!(
                "{{% for value in {} %}}\n        sum(case when {} = '{{{{ value }}}}' then 1 else 0 end) \
                 as {}_{{{{ value }}}}_count{{% if not loop.last %}},{{% endif %}}\n        {{% endfor %}}",
                values_expr(k),
                q(a),
                c.name
            );
            o.push_loop(jinja, cols);
        }
    }
    let count = format!("{}_count", ENTITIES[base_grain].singular);
    o.push("count(*)".into(), col(count, Kind::Num, false));
    // Re-aggregating aggregates reads badly (`total_total_x`): skip them.
    let fresh = |k: Kind| {
        move |(_, c): &&(usize, Col)| {
            c.kind == k
                && !["total_", "avg_", "first_", "last_"]
                    .iter()
                    .any(|p| c.name.starts_with(p))
        }
    };
    for a @ (_, c) in avail.iter().filter(fresh(Kind::Num)).take(3) {
        o.push(
            format!("sum({})", q(a)),
            col(format!("total_{}", c.name), Kind::Num, c.nullable),
        );
        if rng.chance(40) {
            let expr = format!("{{{{ safe_divide('sum({})', 'count(*)') }}}}", q(a));
            o.push(expr, col(format!("avg_{}", c.name), Kind::Num, true));
        }
    }
    for a @ (_, c) in avail.iter().filter(fresh(Kind::Date)).take(2) {
        o.push(
            format!("min({})", q(a)),
            col(format!("first_{}", c.name), Kind::Date, c.nullable),
        );
        o.push(
            format!("max({})", q(a)),
            col(format!("last_{}", c.name), Kind::Date, c.nullable),
        );
    }
}

/// A projection: ~70% of the available columns (base ones sometimes through a Jinja loop)
/// and maybe a `var()`-driven flag.
fn project_select(
    rng: &mut Rng,
    o: &mut Out,
    avail: &[(usize, Col)],
    q: &dyn Fn(&(usize, Col)) -> String,
    base_name: &str,
) {
    let chosen: Vec<&(usize, Col)> = avail
        .iter()
        .filter(|(_, c)| !o.names.contains(&c.name) && rng.chance(70))
        .collect();
    let (looped, plain): (Vec<_>, Vec<_>) = if rng.chance(30) {
        chosen.into_iter().partition(|(s, _)| *s == 0)
    } else {
        (Vec::new(), chosen)
    };
    let cols: Vec<Col> = looped.iter().map(|(_, c)| c.clone()).collect();
    if !cols.is_empty() && o.fits(&cols) {
        let list: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        let jinja = format!(
            "{{% for column in {} %}}\n        {base_name}.{{{{ column }}}}{{% if not loop.last %}},\
             {{% endif %}}\n        {{% endfor %}}",
            list_lit(&list)
        );
        o.push_loop(jinja, cols);
    }
    for a in plain {
        o.push(q(a), a.1.clone());
    }
    if let Some(a @ (_, c)) = avail
        .iter()
        .find(|(_, c)| c.kind == Kind::Num)
        .filter(|_| rng.chance(25))
    {
        let expr = format!("{} >= {{{{ var('large_amount_threshold') }}}}", q(a));
        o.push(expr, col(format!("is_large_{}", c.name), Kind::Flag, true));
    }
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

const PROJECT_YML: &str = "name: generated
version: '1.0.0'
config-version: 2
profile: generated

model-paths: [\"models\"]
seed-paths: [\"seeds\"]
macro-paths: [\"macros\"]
test-paths: [\"tests\"]
analysis-paths: [\"analyses\"]
target-path: target
clean-targets: [target, dbt_packages]

vars:
  start_date: '2020-01-01'
  large_amount_threshold: 100

models:
  generated:
    staging:
      +materialized: view
      +tags: ['staging']
    intermediate:
      +materialized: table
      +tags: ['intermediate']
    marts:
      +materialized: table
      +tags: ['marts']
      customers:
        +tags: ['customer_facing']

seeds:
  generated:
    +tags: ['raw']
";

const PROFILES_YML: &str = "generated:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: generated.duckdb
      schema: main
      threads: 4
";

/// Number of macros defined across `MACROS` (safe_divide has two).
const MACRO_COUNT: usize = 6;

const MACROS: [(&str, &str); 4] = [
    (
        "cents_to_dollars.sql",
        "{% macro cents_to_dollars(column_name, scale=2) -%}
    cast({{ column_name }} / 100 as decimal(16, {{ scale }}))
{%- endmacro %}
",
    ),
    (
        "value_rank.sql",
        "{# Builds a CASE mapping each listed value to its 1-based position. #}
{% macro value_rank(column_name, values) -%}
    case
    {%- for value in values %}
        when {{ column_name }} = '{{ value }}' then {{ loop.index }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}
",
    ),
    (
        "safe_divide.sql",
        "{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'generated')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) = 0 then null else ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}
",
    ),
    (
        "value_lists.sql",
        "{% macro order_statuses() %}
    {{ return(['placed', 'shipped', 'completed', 'returned']) }}
{% endmacro %}

{% macro payment_methods() %}
    {{ return(['credit_card', 'bank_transfer', 'gift_card', 'coupon']) }}
{% endmacro %}
",
    ),
];

#[cfg(test)]
mod tests {
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
        let summary =
            generate_project(Path::new(&dir), &GenerateOptions { models, seed: 1 }).unwrap();
        eprintln!("{summary:?} in {:?}", started.elapsed());
    }
}
