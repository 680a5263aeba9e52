//! One selected node and how it runs: seeds are loaded, models built, tests run (or the
//! node is skipped), each with dbt's console lines and its run_results.json entry.

use std::time::Instant;

use chrono::Utc;
use serde_json::{Value, json};

use super::console::justified;
use super::execute::Flags;
use crate::artifacts::run_results::{NodeResult, Status};
use crate::exec::run::around::{Failure, HookRun, around, in_sequence};
use crate::exec::run::extras::Extras;
use crate::exec::run::hooks::LiveHook;
use crate::exec::run::incremental::{IncrementalConfig, build_incremental};
use crate::exec::run::snapshot::{SnapshotConfig, build_snapshot};
use crate::exec::run::{BuildOutcome, Materialization, build_model, load_duckdb_indexes};
use crate::exec::seed::{Loaded, SeedSpec, load_seed};
use crate::exec::test::{TestConfig, TestStatus, run_test};
use crate::exec::{Adapter, Relation};

/// What a planned node does.
pub enum Work {
    Seed(SeedSpec),
    Model {
        materialization: Result<Materialization, String>,
        /// For incremental models: their config and their SQL rendered with
        /// `is_incremental()` true, used when the relation exists.
        incremental: Option<Incremental>,
    },
    Test(TestConfig),
    Snapshot(Result<SnapshotConfig, String>),
    /// A unit test of a model (`unit_tests:` in properties yml).
    UnitTest(Box<crate::exec::unit_test_render::UnitTestPlan>),
}

/// What an incremental model needs beyond its compiled SQL.
pub struct Incremental {
    pub config: Result<IncrementalConfig, String>,
    /// The model rendered with its relation existing (an error: the render's message).
    pub sql: Result<String, String>,
}

/// One selected node to run.
pub struct Job {
    pub unique_id: String,
    pub name: String,
    pub original_file_path: String,
    pub relation: Relation,
    /// `"db"."schema"."identifier"`, as in run_results.json.
    pub relation_name: String,
    /// Its rendering needs the database (run_query, introspective macros): the SQL
    /// compiled ahead of time may be wrong, so it is not run.
    pub introspective: bool,
    pub work: Work,
    /// Hooks, `persist_docs` and contract of the node.
    pub extras: Extras,
}

impl Job {
    /// `schema.identifier`, as dbt prints relations.
    pub fn display(&self) -> String {
        format!("{}.{}", self.relation.schema, self.relation.identifier)
    }

    /// The key of the `Finished running ...` counts (dbt sorts them by this name).
    pub fn kind(&self) -> String {
        match &self.work {
            Work::Seed(_) => "seed".into(),
            Work::Model {
                materialization, ..
            } => match materialization {
                Ok(m) => format!("{} model", m.name()),
                Err(name) => format!("{name} model"),
            },
            Work::Test(_) => "test".into(),
            Work::Snapshot(_) => "snapshot".into(),
            Work::UnitTest(_) => "unit test".into(),
        }
    }

    pub fn resource(&self) -> &'static str {
        match self.work {
            Work::Seed(_) => "seed",
            Work::Model { .. } => "model",
            Work::Test(_) => "test",
            Work::Snapshot(_) => "snapshot",
            Work::UnitTest(_) => "unit_test",
        }
    }
}

/// A finished node: its result plus what the console and artifacts need.
pub struct Done {
    pub result: NodeResult,
    /// The SQL executed (target/run).
    pub executed_sql: Option<String>,
    /// The compiled SQL when it is not the one compiled ahead of time (an incremental run
    /// renders `is_incremental()` true): target/compiled gets this one.
    pub compiled_sql: Option<String>,
}

/// Runs (or skips) one job and prints its console lines; `live` renders its hooks that
/// query the database.
#[expect(
    clippy::too_many_arguments,
    reason = "the job, its SQL, its hooks' renderer and the run's settings"
)]
pub fn run_job(
    adapter: &mut dyn Adapter,
    job: &Job,
    sql: Option<&str>,
    upstream_bad: bool,
    flags: Flags,
    prefix: &str,
    say: &dyn Fn(&str),
    live: Option<&LiveHook<'_>>,
) -> Done {
    let hooking = |incremental| HookRun { incremental, live };
    let start = Utc::now();
    let t = Instant::now();
    let result = |status, message: Option<String>, response: Value| NodeResult {
        unique_id: job.unique_id.clone(),
        status,
        started_at: start,
        completed_at: Utc::now(),
        executed: status != Status::Skipped,
        adapter_response: response,
        message,
        failures: None,
        compiled: Some(true),
        compiled_code: sql.unwrap_or_default().to_string(),
        relation_name: None,
    };
    let skip_line = |reason: Option<&str>| {
        let what = match job.work {
            Work::Test(_) => format!("test {}", job.name),
            Work::UnitTest(ref plan) => format!("unit_test {}::{}", plan.model_name, job.name),
            _ => format!("relation {}", job.display()),
        };
        let msg = match reason {
            Some(r) => format!("{prefix} SKIP {what} ({r})"),
            None => format!("{prefix} SKIP {what}"),
        };
        say(&justified(&msg, "SKIP"));
    };
    let unsupported = match &job.work {
        Work::Model { .. } if job.introspective => {
            Some("introspective model (rendering it needs the database): not supported yet")
        }
        Work::Test(_) if job.introspective => {
            Some("introspective test (rendering it needs the database): not supported yet")
        }
        Work::Model {
            materialization: Err(_),
            ..
        } => Some("materialization not supported yet"),
        _ => None,
    };
    if upstream_bad || unsupported.is_some() {
        skip_line(if upstream_bad { None } else { unsupported });
        // As dbt: not compiled; models and snapshots still name their relation.
        let mut r = result(Status::Skipped, None, json!({}));
        r.compiled = Some(false);
        r.compiled_code.clear();
        if matches!(job.work, Work::Model { .. } | Work::Snapshot(_)) {
            r.relation_name = Some(job.relation_name.clone());
        }
        return Done {
            result: r,
            executed_sql: None,
            compiled_sql: None,
        };
    }
    let secs = || t.elapsed().as_secs_f64();
    let display = job.display();
    match &job.work {
        Work::Seed(spec) => {
            say(&justified(
                &format!("{prefix} START seed file {display}"),
                "RUN",
            ));
            let loaded = around(
                adapter,
                &job.relation,
                &job.extras,
                hooking(false),
                None,
                false,
                {
                    |adapter, before, after| {
                        in_sequence(adapter, before, after, |adapter| {
                            load_seed(adapter, spec, flags.full_refresh)
                        })
                    }
                },
            );
            match loaded {
                Ok(Loaded { rows, sql }) => {
                    say(&justified(
                        &format!("{prefix} OK loaded seed file {display}"),
                        &format!("INSERT {rows} in {:.2}s", secs()),
                    ));
                    let message = format!("INSERT {rows}");
                    let response =
                        json!({"_message": message, "code": "INSERT", "rows_affected": rows});
                    let mut r = result(Status::Success, Some(message), response);
                    (r.compiled, r.compiled_code) = (None, String::new());
                    Done {
                        result: r,
                        executed_sql: Some(sql),
                        compiled_sql: None,
                    }
                }
                Err(e) => {
                    say(&justified(
                        &format!("{prefix} ERROR loading seed file {display}"),
                        &format!("ERROR in {:.2}s", secs()),
                    ));
                    let mut r = result(Status::Error, Some(failure_message(job, &e)), json!({}));
                    (r.compiled, r.compiled_code) = (None, String::new());
                    Done {
                        result: r,
                        executed_sql: None,
                        compiled_sql: None,
                    }
                }
            }
        }
        Work::Model {
            materialization,
            incremental,
        } => {
            let kind = job.kind();
            say(&justified(
                &format!("{prefix} START sql {kind} {display}"),
                "RUN",
            ));
            let mut used_sql = sql.map(str::to_string);
            let rel = &job.relation;
            let built = match (sql, materialization) {
                (Some(sql), Ok(m)) => match incremental_run(adapter, job, incremental, flags) {
                    Ok(Some((config, inc_sql))) => {
                        used_sql = Some(inc_sql.clone());
                        around(
                            adapter,
                            rel,
                            &job.extras,
                            hooking(true),
                            Some(&inc_sql),
                            false,
                            |adapter, before, after| {
                                in_sequence(adapter, before, after, |adapter| {
                                    load_duckdb_indexes(adapter, rel);
                                    build_incremental(adapter, rel, &inc_sql, &config)
                                })
                            },
                        )
                    }
                    Ok(None) => {
                        let contract = job.extras.contract.as_ref();
                        let table = *m == Materialization::Table;
                        match job.extras.post_build_on(adapter) {
                            Ok(post) => around(
                                adapter,
                                rel,
                                &job.extras,
                                hooking(false),
                                Some(sql),
                                table,
                                |adapter, before, after| {
                                    let transaction = !job.extras.autocommit(adapter, false);
                                    build_model(
                                        adapter,
                                        rel,
                                        *m,
                                        sql,
                                        contract,
                                        post,
                                        transaction,
                                        before,
                                        after,
                                    )
                                },
                            ),
                            Err(e) => Err(Failure::Compilation(e)),
                        }
                    }
                    Err(e) => Err(Failure::Runtime(e)),
                },
                _ => Err(Failure::Runtime("no compiled SQL".to_string())),
            };
            let result = |status, message, response| {
                let mut r = result(status, message, response);
                r.compiled_code = used_sql.clone().unwrap_or_default();
                r
            };
            match built {
                Ok(BuildOutcome::Built {
                    status,
                    sql: executed,
                }) => {
                    say(&justified(
                        &format!("{prefix} OK created sql {kind} {display}"),
                        &format!("{status} in {:.2}s", secs()),
                    ));
                    let mut r = result(
                        Status::Success,
                        Some(status.clone()),
                        json!({"_message": status}),
                    );
                    r.relation_name = Some(job.relation_name.clone());
                    Done {
                        result: r,
                        executed_sql: Some(executed),
                        compiled_sql: used_sql,
                    }
                }
                Ok(BuildOutcome::Skipped(reason)) => {
                    skip_line(Some(&reason));
                    Done {
                        result: result(Status::Skipped, None, json!({})),
                        executed_sql: None,
                        compiled_sql: None,
                    }
                }
                Err(e) => {
                    say(&justified(
                        &format!("{prefix} ERROR creating sql {kind} {display}"),
                        &format!("ERROR in {:.2}s", secs()),
                    ));
                    let mut r = result(Status::Error, Some(failure_message(job, &e)), json!({}));
                    r.relation_name = Some(job.relation_name.clone());
                    Done {
                        result: r,
                        executed_sql: None,
                        compiled_sql: used_sql,
                    }
                }
            }
        }
        Work::Test(config) => {
            let name = &job.name;
            say(&justified(&format!("{prefix} START test {name}"), "RUN"));
            let audit = config.store_failures.then_some(&job.relation);
            let ran = match sql {
                Some(sql) => run_test(adapter, sql, config, audit),
                None => Err("no compiled SQL".to_string()),
            };
            match ran {
                Ok(outcome) => {
                    let (status, info) = match outcome.status {
                        TestStatus::Pass => (Status::Pass, "PASS".to_string()),
                        TestStatus::Warn => (Status::Warn, format!("WARN {}", outcome.failures)),
                        TestStatus::Fail => (Status::Fail, format!("FAIL {}", outcome.failures)),
                    };
                    say(&justified(
                        &format!("{prefix} {info} {name}"),
                        &format!("{info} in {:.2}s", secs()),
                    ));
                    let mut r = result(status, outcome.message.clone(), json!({"_message": "OK"}));
                    r.failures = Some(outcome.failures);
                    if config.store_failures {
                        r.relation_name = Some(job.relation_name.clone());
                    }
                    Done {
                        result: r,
                        executed_sql: Some(outcome.executed_sql),
                        compiled_sql: None,
                    }
                }
                Err(e) => {
                    say(&justified(
                        &format!("{prefix} ERROR {name}"),
                        &format!("ERROR in {:.2}s", secs()),
                    ));
                    let r = result(Status::Error, Some(runtime_error(job, &e)), json!({}));
                    Done {
                        result: r,
                        executed_sql: None,
                        compiled_sql: None,
                    }
                }
            }
        }
        Work::UnitTest(plan) => super::unit_test_job::run(adapter, job, plan, prefix, say),
        Work::Snapshot(config) => {
            say(&justified(
                &format!("{prefix} START snapshot {display}"),
                "RUN",
            ));
            let built = match (sql, config) {
                (Some(sql), Ok(config)) => around(
                    adapter,
                    &job.relation,
                    &job.extras,
                    hooking(false),
                    None,
                    false,
                    {
                        |adapter, before, after| {
                            in_sequence(adapter, before, after, |adapter| {
                                build_snapshot(adapter, &job.relation, sql, config)
                            })
                        }
                    },
                ),
                (None, _) => Err(Failure::Runtime("no compiled SQL".to_string())),
                (_, Err(e)) => Err(Failure::Runtime(e.clone())),
            };
            let mut r = match &built {
                Ok(_) => {
                    say(&justified(
                        &format!("{prefix} OK snapshotted {display}"),
                        &format!("OK in {:.2}s", secs()),
                    ));
                    result(
                        Status::Success,
                        Some("OK".into()),
                        json!({"_message": "OK"}),
                    )
                }
                Err(e) => {
                    say(&justified(
                        &format!("{prefix} ERROR snapshotting {display}"),
                        &format!("ERROR in {:.2}s", secs()),
                    ));
                    result(Status::Error, Some(failure_message(job, e)), json!({}))
                }
            };
            r.relation_name = Some(job.relation_name.clone());
            Done {
                result: r,
                executed_sql: match built {
                    Ok(BuildOutcome::Built { sql, .. }) => Some(sql),
                    _ => None,
                },
                compiled_sql: None,
            }
        }
    }
}

/// For an incremental model whose table exists and that is not fully refreshed (its
/// `full_refresh` config, else `--full-refresh`): its config and the SQL rendered with
/// `is_incremental()` true. None: build it as a table (first run, full refresh, or the
/// relation is a view).
fn incremental_run(
    adapter: &mut dyn Adapter,
    job: &Job,
    incremental: &Option<Incremental>,
    flags: Flags,
) -> Result<Option<(IncrementalConfig, String)>, String> {
    let Some(inc) = incremental else {
        return Ok(None);
    };
    let config = inc.config.clone()?;
    if config.full_refresh.unwrap_or(flags.full_refresh)
        || adapter.relation_kind(&job.relation)?.as_deref() != Some("table")
    {
        return Ok(None);
    }
    Ok(Some((config, inc.sql.clone()?)))
}

/// dbt's message for a node that failed in the database.
fn runtime_error(job: &Job, e: &str) -> String {
    error_message(job, "Runtime", e)
}

/// dbt's message for a failed node: `<kind> Error in <resource> <name> (<file>)` and the
/// error's lines, indented.
fn error_message(job: &Job, kind: &str, e: &str) -> String {
    let indented = e.lines().collect::<Vec<_>>().join("\n  ");
    format!(
        "{kind} Error in {} {} ({})\n  {indented}",
        job.resource(),
        job.name,
        job.original_file_path
    )
}

fn failure_message(job: &Job, failure: &Failure) -> String {
    match failure {
        Failure::Compilation(e) => error_message(job, "Compilation", e),
        Failure::Runtime(e) => error_message(job, "Runtime", e),
    }
}
