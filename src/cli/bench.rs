//! `dbtc bench`: times a cold compile, a no-op recompile and one-file edits on the project
//! (see [`crate::bench`]), or with `--generate DIR` writes a generated project to bench.
//!
//! Ctrl-C ends the process through the default SIGINT handler. Files edited at that moment
//! are restored by the next `dbtc bench` on the project, from the recovery file
//! `<target>/dbtc-bench-restore.json` written before the first edit.

use std::path::PathBuf;

use clap::Args;

use super::{Common, LogFormat, Session};
use crate::bench::{BenchOptions, run_bench};
use crate::compile::default_threads;
use crate::project::LoadOptions;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub common: Common,
    /// Cold compiles (and no-op recompiles) to time.
    #[arg(long, default_value_t = 3)]
    pub cold_runs: usize,
    /// Files sampled for each kind of edit.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Seed of the file sampling (and of the project with --generate).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write a generated project to DIR instead of benchmarking.
    #[arg(long, value_name = "DIR")]
    pub generate: Option<PathBuf>,
    /// Models of the generated project (with --generate).
    #[arg(long, default_value_t = 1000, requires = "generate")]
    pub models: usize,
}

pub fn run(args: &BenchArgs) -> i32 {
    if let Some(dir) = &args.generate {
        return generate(dir, args.models, args.seed, args.common.quiet);
    }
    let common = &args.common;
    // Where the project, its profiles and its target folder are, as other commands see them.
    let (load, target_dir) = match Session::load(common) {
        Ok(session) => {
            let (db, project) = (&session.db, session.project);
            let profiles_dir = project
                .profiles(db)
                .path(db)
                .parent()
                .map(|p| p.to_path_buf());
            let load = LoadOptions {
                project_dir: project.root(db).clone(),
                profiles_dir,
                settings: project.settings(db).clone(),
            };
            (load, session.target_dir())
        }
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let opts = BenchOptions {
        load,
        target_dir: Some(target_dir),
        cold_runs: args.cold_runs,
        samples: args.samples,
        seed: args.seed,
        threads: default_threads(),
        select: common.select.clone(),
        exclude: common.exclude.clone(),
    };
    let text = common.log_format == LogFormat::Text;
    let quiet = common.quiet;
    let progress = |line: &str| {
        // Recovery is always worth saying; progress only in text mode.
        if line.starts_with("restored") || (text && !quiet) {
            eprintln!("{line}");
        }
    };
    match run_bench(&opts, progress) {
        Ok(report) => {
            match common.log_format {
                LogFormat::Json => println!("{}", report.to_json()),
                LogFormat::Text => println!("{}", report.to_text()),
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn generate(dir: &std::path::Path, models: usize, seed: u64, quiet: bool) -> i32 {
    match crate::generate::generate_project(dir, &crate::generate::GenerateOptions { models, seed })
    {
        Ok(s) => {
            if !quiet {
                println!(
                    "generated {} models, {} seeds, {} sources, {} macros, {} tests in {}\n\
                     bench it with: dbtc bench --project-dir {} --profiles-dir {}",
                    s.models,
                    s.seeds,
                    s.sources,
                    s.macros,
                    s.tests,
                    dir.display(),
                    dir.display(),
                    dir.display()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", dir.display());
            2
        }
    }
}
