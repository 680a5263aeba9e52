//! The SQL of generated models: staging, intermediate and mart layers, built from the
//! columns each upstream model really has.

use super::*;

/// `stg_*`: select from `source()` or `ref(seed)`, rename and cast columns, sometimes derive
/// a rank (loop macro) or a flag (`var()`). Never filters, so staging models hold every id
/// and are safe `relationships` targets.
pub(super) fn staging_model(rng: &mut Rng, e: usize, i: usize) -> (Model, String) {
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
pub(super) struct Out {
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
pub(super) struct Inputs {
    aliases: Vec<usize>,
    joins: Vec<String>,
    avail: Vec<(usize, Col)>,
}

/// Picks up to two many-to-one joins: a key column already available, onto a model whose
/// grain is that key. Marts prefer intermediates; intermediates mix layers.
pub(super) fn pick_inputs(
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
pub(super) fn derived_model(
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
pub(super) fn aggregate_select(
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
pub(super) fn project_select(
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
