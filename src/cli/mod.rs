//! Command-line interface (dbt-compatible flags). One file per command.

mod bench;
mod clean;
mod compile;
mod compile_live;
mod console;
mod debug;
mod execute;
mod interrupt;
mod jit;
mod jobs;
mod lineage;
mod live_template;
mod log_file;
mod logged_adapter;
mod ls;
mod node_events;
mod progress;
mod run_hooks;
mod run_operation;
mod show;
mod summary;
mod unit_test_job;
mod watch;
mod watch_run;
mod workers;

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
pub use console::jinja_message;
use execute::{Flags, Verb};

use crate::db::{OsSystem, Project, RootDb, Settings};
use crate::diagnostics::Diagnostic;
use crate::project::{LoadOptions, load_project};

#[derive(Parser, Debug)]
#[command(
    name = "dbtc",
    version,
    about = "An incremental Rust engine for dbt projects"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log level for dbtc's own logs and timing spans: error, warn, info, debug, trace
    /// (RUST_LOG overrides it).
    #[arg(long, global = true, default_value = "warn")]
    pub log_level: String,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Flags shared by every command.
#[derive(Args, Debug, Clone)]
pub struct Common {
    #[arg(long, default_value = ".")]
    pub project_dir: PathBuf,
    #[arg(long)]
    pub profiles_dir: Option<PathBuf>,
    #[arg(long, short = 't')]
    pub target: Option<String>,
    #[arg(long)]
    pub target_path: Option<String>,
    /// Variables as YAML or JSON, e.g. `{key: value}`.
    #[arg(long)]
    pub vars: Option<String>,
    #[arg(long, short = 's', num_args = 1..)]
    pub select: Vec<String>,
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<String>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Folder of the log file `dbtc.log` of execution commands (default: `logs` in the
    /// project folder).
    #[arg(long)]
    pub log_path: Option<PathBuf>,
    /// Static analysis for every node: on (alias strict), unsafe, baseline (findings are
    /// warnings) or off; overrides `static_analysis` configs.
    #[arg(long, value_parser = ["on", "strict", "unsafe", "baseline", "off"])]
    pub static_analysis: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse the project and write target/manifest.json.
    Parse(Common),
    /// Render every model, test and analysis to target/compiled, and write the manifest.
    Compile {
        #[command(flatten)]
        common: Common,
        /// Render incremental models as their first build does (`is_incremental()` false).
        #[arg(long)]
        full_refresh: bool,
    },
    /// Column lineage of a model or one of its columns, across the DAG.
    Lineage {
        #[command(flatten)]
        common: Common,
        /// MODEL or MODEL.COLUMN (a name or a unique_id).
        #[arg(value_name = "MODEL[.COLUMN]")]
        node: String,
        /// Only what it derives from.
        #[arg(long)]
        upstream: bool,
        /// Only what derives from it.
        #[arg(long)]
        downstream: bool,
        #[arg(long, value_enum, default_value_t = lineage::Format::Text)]
        format: lineage::Format,
    },
    /// List the selected nodes.
    #[command(alias = "list")]
    Ls {
        #[command(flatten)]
        common: Common,
        /// Only these resource types (model, seed, snapshot, test, analysis, source).
        #[arg(long = "resource-type", num_args = 1..)]
        resource_type: Vec<String>,
    },
    /// Load every selected seed's CSV into its relation in the target database.
    Seed {
        #[command(flatten)]
        common: Common,
        /// Drop and recreate seed tables (new column types) instead of reloading them.
        #[arg(long)]
        full_refresh: bool,
        /// Worker threads (default: the profile's `threads`, else 1).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Build every selected model (view, table, incremental) in DAG order.
    Run {
        #[command(flatten)]
        common: Common,
        /// Rebuild incremental models from scratch.
        #[arg(long)]
        full_refresh: bool,
        /// Worker threads (default: the profile's `threads`, else 1).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run the selected data tests (generic and singular).
    Test {
        #[command(flatten)]
        common: Common,
        /// Store the failing rows of every test in a table of the audit schema.
        #[arg(long)]
        store_failures: bool,
        /// Worker threads (default: the profile's `threads`, else 1).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run the selected snapshots (type-2 history tables).
    Snapshot {
        #[command(flatten)]
        common: Common,
        /// Worker threads (default: the profile's `threads`, else 1).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Seed, run and test the selected nodes in DAG order, each test right after the
    /// nodes it tests; failures skip their descendants.
    Build {
        #[command(flatten)]
        common: Common,
        /// Drop and recreate seed tables instead of reloading them.
        #[arg(long)]
        full_refresh: bool,
        /// Store the failing rows of every test in a table of the audit schema.
        #[arg(long)]
        store_failures: bool,
        /// Worker threads (default: the profile's `threads`, else 1).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run a macro against the target: `MACRO` or `PACKAGE.MACRO`, with `--args` as its
    /// keyword arguments.
    RunOperation {
        #[command(flatten)]
        common: Common,
        /// The macro to run.
        #[arg(value_name = "MACRO")]
        macro_name: String,
        /// The macro's keyword arguments, a YAML or JSON mapping, e.g. `{name: value}`.
        #[arg(long)]
        args: Option<String>,
    },
    /// Check the profile and the connection to the target's database.
    Debug(Common),
    /// Run a selected node's SQL, or `--inline` SQL, and print the first rows.
    Show {
        #[command(flatten)]
        common: Common,
        /// SQL to run instead of a selected node (Jinja: ref, source, macros).
        #[arg(long)]
        inline: Option<String>,
        /// Rows to print (-1: all).
        #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
        limit: i64,
    },
    /// Delete the folders listed in `clean-targets` of dbt_project.yml.
    Clean(Common),
    /// Compile, then recompile on every change to the project's files.
    Watch {
        #[command(flatten)]
        common: Common,
        /// Stop after N change cycles (for tests).
        #[arg(long, hide = true)]
        max_cycles: Option<usize>,
        /// Milliseconds a file must be quiet before a cycle starts.
        #[arg(long, hide = true, default_value_t = 100)]
        debounce_ms: u64,
        /// After each cycle without errors, build the models it changed (and what that
        /// changes below them) on the target.
        #[arg(long)]
        run: bool,
    },
    /// Time a cold compile, a no-op recompile and one-file edits on the project (or, with
    /// --generate DIR, write a generated project to bench).
    Bench(bench::BenchArgs),
    /// Generate a realistic dbt project of N models (for benchmarks).
    Generate {
        dir: PathBuf,
        #[arg(long, default_value_t = 100)]
        models: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// A loaded project with its database.
pub struct Session {
    pub db: RootDb,
    pub project: Project,
    pub common: Common,
}

impl Session {
    pub fn load(common: &Common) -> Result<Session, String> {
        Session::load_into(common, RootDb::default())
    }

    /// Loads into a database that logs query executions (watch, bench).
    pub fn load_logged(common: &Common) -> Result<Session, String> {
        Session::load_into(common, RootDb::with_execution_log())
    }

    fn load_into(common: &Common, db: RootDb) -> Result<Session, String> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let cli_vars = match &common.vars {
            None => serde_json::Value::Null,
            Some(text) => crate::project::yaml::parse_yaml(text, std::path::Path::new("--vars"))
                .map_err(|d| format!("--vars is not valid YAML: {}", d.message))?,
        };
        let project_dir = std::fs::canonicalize(&common.project_dir).map_err(|e| {
            format!(
                "cannot open project dir {}: {e}",
                common.project_dir.display()
            )
        })?;
        // Absolute, so that watch events (absolute paths) match the profiles file.
        let profiles_dir = common
            .profiles_dir
            .as_ref()
            .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()));
        let opts = LoadOptions {
            project_dir,
            profiles_dir,
            settings: Settings {
                target: common.target.clone(),
                cli_vars,
                env,
                target_path: common.target_path.clone(),
                static_analysis: common.static_analysis.clone(),
            },
        };
        let project = load_project(&db, &OsSystem, &opts);
        Ok(Session {
            db,
            project,
            common: common.clone(),
        })
    }

    pub fn target_dir(&self) -> PathBuf {
        let root = self.project.root(&self.db).clone();
        let config = crate::project::config::project_config(&self.db, self.project);
        root.join(
            self.common
                .target_path
                .clone()
                .unwrap_or_else(|| config.root.target_path.clone()),
        )
    }

    /// Prints diagnostics (text snippets or JSON lines) to stderr.
    /// The findings as the text and the JSON-lines output print them.
    pub fn render_report(&self, diagnostics: &[Diagnostic]) -> (String, String) {
        let root = self.project.root(&self.db).clone();
        let read = |p: &std::path::Path| std::fs::read_to_string(p).ok();
        let mut text = String::new();
        let mut json = String::new();
        for d in diagnostics {
            text.push_str(&d.render(&root, &read));
            text.push_str("\n\n");
            json.push_str(&d.to_json(&root).to_string());
            json.push('\n');
        }
        (text, json)
    }

    pub fn report(&self, diagnostics: &[Diagnostic]) {
        let root = self.project.root(&self.db).clone();
        for d in diagnostics {
            match self.common.log_format {
                LogFormat::Json => eprintln!("{}", d.to_json(&root)),
                LogFormat::Text => {
                    let read = |p: &std::path::Path| std::fs::read_to_string(p).ok();
                    eprintln!("{}\n", d.render(&root, &read));
                }
            }
        }
    }
}

/// Runs the CLI; returns the process exit code (0 ok, 1 errors in the project, 2 usage).
pub fn run(cli: Cli) -> i32 {
    // dbt's flags.WHICH (dbt_utils.star, ... answer differently under `compile`).
    crate::jinja::context::set_which(match &cli.command {
        Command::Parse(_) => "parse",
        Command::Ls { .. } => "list",
        Command::Seed { .. } => "seed",
        Command::Run { .. } => "run",
        Command::RunOperation { .. } => "run-operation",
        Command::Show { .. } => "show",
        Command::Test { .. } => "test",
        Command::Snapshot { .. } => "snapshot",
        Command::Build { .. } => "build",
        _ => "compile",
    });
    // dbt's flags.FULL_REFRESH, for the whole invocation.
    crate::jinja::context::set_full_refresh(match &cli.command {
        Command::Compile { full_refresh, .. }
        | Command::Seed { full_refresh, .. }
        | Command::Run { full_refresh, .. }
        | Command::Build { full_refresh, .. } => *full_refresh,
        _ => false,
    });
    match cli.command {
        Command::Parse(common) => compile::run(&common, false, false),
        Command::Compile {
            common,
            full_refresh,
        } => compile::run(&common, true, full_refresh),
        Command::Lineage {
            common,
            node,
            upstream,
            downstream,
            format,
        } => lineage::run(&common, &node, upstream, downstream, format),
        Command::Ls {
            common,
            resource_type,
        } => ls::run(&common, &resource_type),
        Command::Seed {
            common,
            full_refresh,
            threads,
        } => execute::execute(
            &common,
            Verb::Seed,
            Flags {
                threads,
                full_refresh,
                ..Flags::default()
            },
        ),
        Command::Run {
            common,
            full_refresh,
            threads,
        } => execute::execute(
            &common,
            Verb::Run,
            Flags {
                threads,
                full_refresh,
                ..Flags::default()
            },
        ),
        Command::RunOperation {
            common,
            macro_name,
            args,
        } => run_operation::run(&common, &macro_name, args.as_deref()),
        Command::Debug(common) => debug::run(&common),
        Command::Show {
            common,
            inline,
            limit,
        } => show::run(&common, inline.as_deref(), limit),
        Command::Clean(common) => clean::run(&common),
        Command::Test {
            common,
            store_failures,
            threads,
        } => execute::execute(
            &common,
            Verb::Test,
            Flags {
                threads,
                store_failures,
                ..Flags::default()
            },
        ),
        Command::Snapshot { common, threads } => execute::execute(
            &common,
            Verb::Snapshot,
            Flags {
                threads,
                ..Flags::default()
            },
        ),
        Command::Build {
            common,
            full_refresh,
            store_failures,
            threads,
        } => execute::execute(
            &common,
            Verb::Build,
            Flags {
                threads,
                full_refresh,
                store_failures,
            },
        ),
        Command::Watch {
            common,
            max_cycles,
            debounce_ms,
            run,
        } => watch::run(&common, max_cycles, debounce_ms, run),
        Command::Bench(args) => bench::run(&args),
        Command::Generate { dir, models, seed } => {
            match crate::generate::generate_project(
                &dir,
                &crate::generate::GenerateOptions { models, seed },
            ) {
                Ok(s) => {
                    println!(
                        "generated {} models, {} seeds, {} sources, {} macros, {} tests in {}",
                        s.models,
                        s.seeds,
                        s.sources,
                        s.macros,
                        s.tests,
                        dir.display()
                    );
                    0
                }
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", dir.display());
                    2
                }
            }
        }
    }
}
