//! User-defined functions on a Postgres target: what an unqualified call of a function
//! pg_catalog lacks may be.
//!
//! - The database's functions: those of the schemas on the connection's search path (see
//!   [`super::generate::user_functions_query`]), read once per process and target when
//!   analysis first needs them, with the target's profile (as `dbt compile` connects), and
//!   kept in `<target-path>/.dbtc/pg_functions.<target>.tsv` (pg_catalog's `func` line
//!   format). When the database cannot be reached, that file stands in for it.
//! - The functions the project creates: `create [or replace] function|aggregate <name>(`
//!   in any `.sql` or `.yml` file of the project or its packages (hooks, `on-run-start`,
//!   macros, migrations run by `run-operation`): they may not exist before the run. When
//!   a name there is Jinja (`create function {{ name }}(`), any unknown name may be one.
//!
//! A call resolves against the database's overloads when their types are all pg_catalog's
//! (otherwise, and for a function the project creates, the call is not checked and its
//! type is unknown). A name neither knows is E4005, as Postgres would report it at run
//! time; when neither the database nor its cached functions could be read, only a name
//! one edit away from a pg_catalog function is (a typo: the finding comes with its "did
//! you mean"); any other is taken as a function dbtc cannot see, so a project that dbt
//! runs is not refused for its user-defined functions.
//!
//! The database is read outside salsa's tracking: a function created in the database
//! after the first analysis of a process is seen by the next process.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::{PgFunc, catalog, func_line};
use crate::db::{Db, Project};

/// What the binder knows of a function pg_catalog lacks (an unqualified call on a
/// Postgres target).
#[derive(Debug, Clone)]
pub enum UserFunction {
    /// Neither the database nor the project has it: the catalog's error stands.
    Missing,
    /// It exists or may (the project creates it, its types are not pg_catalog's, or the
    /// database could not be read): the call is not checked, its type is unknown.
    Unchecked,
    /// The database's overloads, resolved as pg_catalog's are.
    Known(Overloads),
}

/// A user function's overloads (pg_proc rows).
#[derive(Debug, Clone)]
pub struct Overloads(pub(crate) Arc<[PgFunc]>);

/// The database's functions by name; None when they could not be read.
type DatabaseFunctions = Option<Arc<HashMap<String, Arc<[PgFunc]>>>>;

/// The user functions of one project and target.
#[derive(Debug, Clone)]
pub struct UserFunctions {
    database: DatabaseFunctions,
    created: Arc<BTreeSet<String>>,
}

impl UserFunctions {
    /// From the database's functions (a `func` line per overload; None: not readable)
    /// and the names the project creates.
    pub fn new(database: Option<&str>, created: BTreeSet<String>) -> UserFunctions {
        UserFunctions {
            database: database.map(|text| Arc::new(parse(text))),
            created: Arc::new(created),
        }
    }

    /// What an unqualified call of `name` (lowercase) that pg_catalog lacks may be.
    pub fn lookup(&self, name: &str) -> UserFunction {
        if let Some(funcs) = self.database.as_ref().and_then(|db| db.get(name)) {
            let cat = catalog();
            let known = |t: &String| cat.types.contains_key(t);
            return if funcs
                .iter()
                .all(|f| known(&f.ret) && f.args.iter().all(known))
            {
                UserFunction::Known(Overloads(funcs.clone()))
            } else {
                UserFunction::Unchecked
            };
        }
        if self.created.contains(name) {
            return UserFunction::Unchecked;
        }
        // A function whose name the project renders (`create function {{ name }}(`)
        // may be any: then only near-misses of pg_catalog names are flagged.
        let dynamic = self.created.contains(DYNAMIC);
        match &self.database {
            Some(_) if !dynamic => UserFunction::Missing,
            _ if is_typo(name) => UserFunction::Missing,
            _ => UserFunction::Unchecked,
        }
    }

    /// Whether the database's functions were read (live or from the cache).
    pub fn database_read(&self) -> bool {
        self.database.is_some()
    }
}

/// What [`created_in`] gives for a function whose name is Jinja (`{{ name }}(`).
const DYNAMIC: &str = "}}";

/// One edit away from a pg_catalog function.
fn is_typo(name: &str) -> bool {
    catalog()
        .names()
        .any(|n| crate::sql::catalog::levenshtein(name, n) == 1)
}

fn parse(text: &str) -> HashMap<String, Arc<[PgFunc]>> {
    let mut out: HashMap<String, Vec<PgFunc>> = HashMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.first() == Some(&"func") {
            let (name, func) = func_line(&fields);
            out.entry(name).or_default().push(func);
        }
    }
    out.into_iter().map(|(k, v)| (k, Arc::from(v))).collect()
}

/// The names `create [or replace] function|aggregate <name>(` creates in `text`
/// (unquoted names lowercased, the schema dropped; Jinja before the name is skipped, a
/// name that is Jinja itself gives `}}`).
pub fn created_in(text: &str) -> impl Iterator<Item = String> + '_ {
    static CREATE: OnceLock<Regex> = OnceLock::new();
    let re = CREATE.get_or_init(|| {
        Regex::new(
            r#"(?i)\bcreate\s+(?:or\s+replace\s+)?(?:function|aggregate)\s+[^(;]*?("[^"]+"|[\w$]+|\}\})\s*\("#,
        )
        .expect("a valid regex")
    });
    re.captures_iter(text).map(|c| {
        let name = &c[1];
        match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => quoted.to_string(),
            None => name.to_lowercase(),
        }
    })
}

/// The functions the project's (and its packages') `.sql` and `.yml` files create.
#[salsa::tracked(returns(ref))]
pub fn created_functions(db: &dyn Db, project: Project) -> Arc<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for file in project.files(db) {
        let path = file.path(db);
        let sql_or_yml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "sql" | "yml" | "yaml"));
        if !sql_or_yml {
            continue;
        }
        if let Some(text) = file.contents(db)
            && text.to_ascii_lowercase().contains("create")
        {
            out.extend(created_in(&text));
        }
    }
    Arc::new(out)
}

/// The user functions of `project` on its active target; None unless the target is
/// Postgres.
pub fn for_project(db: &dyn Db, project: Project) -> Option<Arc<UserFunctions>> {
    let target = crate::jinja::nodes::active_target(db, project);
    if target.adapter_type != "postgres" {
        return None;
    }
    let root = project.root(db).clone();
    let target_path = crate::project::config::target_path(db, project);
    let cache = root
        .join(target_path)
        .join(".dbtc")
        .join(format!("pg_functions.{}.tsv", target.name));
    let database = database_functions(&root, &target, cache);
    Some(Arc::new(UserFunctions {
        database,
        created: created_functions(db, project).clone(),
    }))
}

/// Each project and target's database functions, read once per process.
fn database_functions(
    root: &std::path::Path,
    target: &crate::project::profiles::Target,
    cache: PathBuf,
) -> DatabaseFunctions {
    static READ: crate::sql::db_read::ReadOnce<HashMap<String, Arc<[PgFunc]>>> =
        crate::sql::db_read::ReadOnce::new();
    READ.get(root, target, &cache, || read_live(target), parse)
}

/// The database's user functions as `func` lines.
fn read_live(target: &crate::project::profiles::Target) -> Result<String, String> {
    use crate::exec::Adapter;
    let mut adapter = crate::exec::postgres::PostgresAdapter::open(target)?;
    let rows = adapter
        .query(&super::generate::user_functions_query())?
        .rows;
    let mut out =
        String::from("# user functions on the search path (src/sql/pg/user_functions.rs)\n");
    for row in rows {
        let mut fields = vec!["func".to_string()];
        for value in row {
            match value {
                serde_json::Value::String(s) if !s.is_empty() => fields.push(s),
                serde_json::Value::String(_) | serde_json::Value::Null => {}
                other => fields.push(other.to_string()),
            }
        }
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_names() {
        let text = "create or replace function {{ target.schema }}.Clean_Name(x text)\n\
                    CREATE FUNCTION \"MixedCase\" (a int); create aggregate my_agg (int) (...);\n\
                    -- create table t (a int)";
        let names: Vec<String> = created_in(text).collect();
        assert_eq!(names, ["clean_name", "MixedCase", "my_agg"]);
        let names: Vec<String> =
            created_in("create function {{ schema }}.{{ fn_name }}(x int)").collect();
        assert_eq!(names, [DYNAMIC]);
    }

    #[test]
    fn lookup_rules() {
        let created: BTreeSet<String> = ["made_by_hook".to_string()].into();
        let offline = UserFunctions::new(None, created.clone());
        assert!(matches!(
            offline.lookup("made_by_hook"),
            UserFunction::Unchecked
        ));
        assert!(matches!(
            offline.lookup("clean_phone"),
            UserFunction::Unchecked
        ));
        // One edit from to_char: a typo, reported.
        assert!(matches!(offline.lookup("to_chr"), UserFunction::Missing));
        let db = "func\tf\tadd_tax\tnumeric\tf\t-\t0\tf\tamount\tnumeric\n\
                  func\tf\tmood_of\ttext\tf\t-\t0\tf\t-\tmood\n";
        let online = UserFunctions::new(Some(db), created);
        assert!(matches!(online.lookup("add_tax"), UserFunction::Known(_)));
        // A user type: not checked.
        assert!(matches!(online.lookup("mood_of"), UserFunction::Unchecked));
        assert!(matches!(
            online.lookup("made_by_hook"),
            UserFunction::Unchecked
        ));
        assert!(matches!(
            online.lookup("clean_phone"),
            UserFunction::Missing
        ));
        let dynamic = UserFunctions::new(Some(db), [DYNAMIC.to_string()].into());
        assert!(matches!(
            dynamic.lookup("clean_phone"),
            UserFunction::Unchecked
        ));
        assert!(matches!(dynamic.lookup("to_chr"), UserFunction::Missing));
    }
}
