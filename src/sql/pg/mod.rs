//! The Postgres dialect of the binder: the catalog of a real server (`pg_catalog.tsv`,
//! generated from `pg_type`, `pg_cast`, `pg_proc`/`pg_aggregate` and `pg_operator` by
//! `cargo run --example pg_catalog`, see [`generate`]), Postgres' implicit casts and its
//! function and operator resolution rules (`resolve.rs`), and type names.
//!
//! Types: on a Postgres target every type the binder hands out is
//! `SqlType::Other(<format_type name>)` (`integer`, `character varying`, `integer[]`,
//! `timestamp without time zone`), so that `to_string()` prints what Postgres prints;
//! typmods are dropped (`numeric(10,2)` is `numeric`). [`PgCatalog::typname`] maps any
//! `SqlType` (DuckDB variants from seeds or dialect-independent binder code included) to
//! its `pg_type.typname`, which is what resolution works with. A string literal or `NULL`
//! is Postgres' `unknown` until resolution gives it a type.

pub mod generate;
mod resolve;
mod types;
pub mod user_functions;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use resolve::Chosen;

/// The embedded data file (see the module doc for how to regenerate it).
pub const DATA: &str = include_str!("pg_catalog.tsv");

#[derive(Debug, Clone)]
pub(crate) struct PgType {
    pub format: String,
    pub category: u8,
    pub preferred: bool,
    pub elem: Option<String>,
    pub array: Option<String>,
    pub typtype: u8,
}

/// What a function is: `f` scalar, `a` aggregate, `o` ordered-set aggregate, `w` window.
#[derive(Debug, Clone)]
pub(crate) struct PgFunc {
    pub kind: u8,
    pub ret: String,
    /// Set-returning functions (`t` in the file's fifth field) are not told apart: any
    /// function may appear in FROM.
    pub variadic: Option<String>,
    pub defaults: usize,
    /// The columns of the row a function with OUT arguments returns (name, typname).
    pub out_columns: Vec<(String, String)>,
    pub args: Vec<String>,
    /// The names of `args` (empty: none has one; an empty name: that one has none).
    pub arg_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PgOper {
    pub left: Option<String>,
    pub right: String,
    pub result: String,
}

pub struct PgCatalog {
    pub(crate) types: HashMap<String, PgType>,
    /// format_type name -> typname.
    by_format: HashMap<String, String>,
    /// (source, target) -> castcontext.
    pub(crate) casts: HashMap<(String, String), u8>,
    pub(crate) funcs: HashMap<String, Vec<PgFunc>>,
    pub(crate) opers: HashMap<String, Vec<PgOper>>,
    version: String,
}

impl PgCatalog {
    fn load(data: &str) -> PgCatalog {
        let mut cat = PgCatalog {
            types: HashMap::new(),
            by_format: HashMap::new(),
            casts: HashMap::new(),
            funcs: HashMap::new(),
            opers: HashMap::new(),
            version: String::new(),
        };
        let opt = |s: &str| (s != "-").then(|| s.to_string());
        for line in data.lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or_default();
            match get(0) {
                "version" => cat.version = get(1).to_string(),
                "type" => {
                    cat.by_format.insert(get(2).to_string(), get(1).to_string());
                    cat.types.insert(
                        get(1).to_string(),
                        PgType {
                            format: get(2).to_string(),
                            category: get(3).bytes().next().unwrap_or(b'U'),
                            preferred: get(4) == "t",
                            elem: opt(get(5)),
                            array: opt(get(6)),
                            typtype: get(7).bytes().next().unwrap_or(b'b'),
                        },
                    );
                }
                "cast" => {
                    cat.casts.insert(
                        (get(1).to_string(), get(2).to_string()),
                        get(3).bytes().next().unwrap_or(b'e'),
                    );
                }
                "func" => {
                    let (name, func) = func_line(&f);
                    cat.funcs.entry(name).or_default().push(func);
                }
                "oper" => {
                    cat.opers
                        .entry(get(1).to_string())
                        .or_default()
                        .push(PgOper {
                            left: opt(get(2)),
                            right: get(3).to_string(),
                            result: get(4).to_string(),
                        });
                }
                _ => {}
            }
        }
        cat
    }

    /// The server major version the catalog was generated from (`15`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every function name, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.funcs.keys().map(String::as_str)
    }
}

/// A `func` line's fields (see [`generate::catalog_tsv`]): the function's name and what
/// resolution needs of it.
pub(crate) fn func_line(f: &[&str]) -> (String, PgFunc) {
    let get = |i: usize| f.get(i).copied().unwrap_or_default();
    let opt = |s: &str| (s != "-" && !s.is_empty()).then(|| s.to_string());
    let func = PgFunc {
        kind: get(1).bytes().next().unwrap_or(b'f'),
        ret: get(3).to_string(),
        variadic: opt(get(5)),
        defaults: get(6).parse().unwrap_or(0),
        out_columns: match get(7) {
            "f" | "" => Vec::new(),
            cols => cols
                .split(',')
                .filter_map(|c| c.split_once(':'))
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        },
        arg_names: match get(8) {
            "-" | "" => Vec::new(),
            names => names
                .split(',')
                .map(|n| {
                    if n == "?" {
                        String::new()
                    } else {
                        n.to_string()
                    }
                })
                .collect(),
        },
        args: f.iter().skip(9).map(|s| s.to_string()).collect(),
    };
    (get(2).to_string(), func)
}

/// A catalog with nothing in it (what a DuckDB binder holds).
pub fn empty() -> &'static PgCatalog {
    static EMPTY: OnceLock<PgCatalog> = OnceLock::new();
    EMPTY.get_or_init(|| PgCatalog::load(""))
}

/// The catalog of the Postgres version CI runs.
pub fn catalog() -> &'static PgCatalog {
    static CATALOG: OnceLock<PgCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| PgCatalog::load(DATA))
}
