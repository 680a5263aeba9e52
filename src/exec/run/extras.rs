//! What a build does beyond creating its relation, planned before the run from the node's
//! config and properties: its pre- and post-hooks (rendered in the node's context; one
//! that queries the database is rendered when it runs, see `hooks`),
//! `persist_docs` comments and an enforced `contract`.

use serde_json::Value;

use super::contract::Contract;
use super::hooks::{Hook, Hooks, config_hooks};
use super::node_render::render_in_node;
use super::persist_docs::PersistDocs;
use crate::db::{Db, NodeKey, Project};
use crate::exec::Adapter;
use crate::exec::transactional::PostBuild;
use crate::exec::transactional::grants::Grants;
use crate::jinja::nodes::{node_config, node_info};
use crate::project::docs::{docs_index, render_description};
use crate::project::nodes::ResourceType;

/// The planned extras of one node.
#[derive(Debug, Clone)]
pub struct Extras {
    /// The hooks rendered for a build that creates the relation (`is_incremental()`
    /// false); an error is the render's message (the node fails when it runs).
    pub hooks: Result<Hooks, String>,
    /// For an incremental model with hooks: rendered with its relation existing, used
    /// when the build is incremental.
    pub incremental_hooks: Option<Result<Hooks, String>>,
    pub persist_docs: Option<PersistDocs>,
    /// An enforced contract (models only).
    pub contract: Option<Contract>,
    /// `grants` and `indexes` of a view or table build; an error is the config's problem
    /// (the node fails when it runs). A `table` model's grants are not here but in
    /// `table_grants`.
    pub post_build: Result<PostBuild, String>,
    /// The `grants` of a `table` model: dbt's table materialization applies them after
    /// the post-hooks inside the transaction (a view, an incremental model, a seed or a
    /// snapshot applies them before), so [`super::around::around`] does, not the build.
    pub table_grants: Grants,
}

impl Extras {
    /// Plans the extras of a node.
    pub fn plan(db: &dyn Db, project: Project, key: NodeKey) -> Extras {
        let Some(node) = node_info(db, project, key).clone() else {
            return Extras {
                hooks: Ok(Hooks::default()),
                incremental_hooks: None,
                persist_docs: None,
                contract: None,
                post_build: Ok(PostBuild::default()),
                table_grants: Grants::default(),
            };
        };
        let config = node_config(db, project, key);
        let raw = (|| -> Result<(Vec<Hook>, Vec<Hook>), String> {
            Ok((
                config_hooks(config, "pre-hook")?,
                config_hooks(config, "post-hook")?,
            ))
        })();
        let render = |this_exists: bool| -> Result<Hooks, String> {
            let (pre, post) = raw.clone()?;
            let rendered = |hooks: Vec<Hook>| -> Result<Vec<Hook>, String> {
                hooks
                    .into_iter()
                    .map(|h| {
                        Ok(
                            match render_in_node(db, project, key, &h.sql, this_exists, None)? {
                                Some(sql) => Hook { sql, ..h },
                                // Rendered when it runs, against the connection.
                                None => Hook { live: true, ..h },
                            },
                        )
                    })
                    .collect()
            };
            Ok(Hooks {
                pre: rendered(pre)?,
                post: rendered(post)?,
            })
        };
        let has_hooks = raw
            .as_ref()
            .map_or(true, |(pre, post)| !pre.is_empty() || !post.is_empty());
        let materialized = config.get("materialized").and_then(Value::as_str);
        let hooks = if has_hooks {
            render(false)
        } else {
            Ok(Hooks::default())
        };
        let incremental_hooks =
            (has_hooks && materialized == Some("incremental")).then(|| render(true));
        let docs = docs_index(db, project);
        let describe = |text: &str| render_description(text, &node.package, &docs);
        let persist_docs = PersistDocs::plan(
            config,
            &node.patch.description,
            &node.patch.columns,
            &describe,
        );
        let enforced = config
            .get("contract")
            .and_then(|c| c.get("enforced"))
            .is_some_and(|e| e.as_bool() == Some(true));
        let contract = (enforced && node.resource_type == ResourceType::Model).then(|| {
            Contract::from_yml(
                &node.patch.columns,
                node.patch.props.get("constraints").unwrap_or(&Value::Null),
            )
        });
        let mut post_build = PostBuild::from_config(config);
        let table_grants = match &mut post_build {
            Ok(post) if materialized == Some("table") => std::mem::take(&mut post.grants),
            _ => Grants::default(),
        };
        Extras {
            hooks,
            incremental_hooks,
            persist_docs,
            contract,
            post_build,
            table_grants,
        }
    }

    /// Whether the build runs without a transaction: dbt-postgres's `run_hooks` sends
    /// `commit;` before the pre-hooks outside the transaction, after which its
    /// connection believes a transaction is open and never begins one, so every
    /// statement of the build commits on its own (a later failure keeps what came
    /// before). Only on adapters whose DDL is transactional.
    pub fn autocommit(&self, adapter: &dyn Adapter, incremental: bool) -> bool {
        adapter.transactional_ddl()
            && self
                .hooks_for(incremental)
                .is_ok_and(|h| h.pre.iter().any(|hook| !hook.transaction))
    }

    /// The `grants` and `indexes` of a view or table build on `adapter`. dbt-duckdb's index
    /// config has only `columns` and `unique`: an index with a `type` is its compilation
    /// error there.
    pub fn post_build_on(&self, adapter: &dyn Adapter) -> Result<&PostBuild, String> {
        let post = self.post_build.as_ref().map_err(Clone::clone)?;
        if adapter.adapter_type() != "postgres" && post.indexes.iter().any(|i| i.method.is_some()) {
            return Err(
                "Could not parse index config: at path []: Additional properties are not allowed ('type' was unexpected)"
                    .into(),
            );
        }
        Ok(post)
    }

    /// The hooks of a build; `incremental`: it writes into the existing relation.
    pub fn hooks_for(&self, incremental: bool) -> Result<&Hooks, String> {
        let chosen = match (&self.incremental_hooks, incremental) {
            (Some(h), true) => h,
            _ => &self.hooks,
        };
        chosen.as_ref().map_err(Clone::clone)
    }
}
