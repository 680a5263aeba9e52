//! The minijinja environment, the dbt context, macros and dispatch, built-in macros, and
//! the per-node render queries.

pub mod adapter;
pub mod agate;
pub mod blocks;
pub mod builtin_files;
pub mod columns;
pub mod compat;
mod config_obj;
pub mod context;
pub mod env;
pub mod incremental;
pub mod inline;
pub mod live;
pub mod macros;
pub mod model;
pub mod node_template;
pub mod nodes;
pub mod pymodules;
pub mod pyset;
pub mod pyvalues;
pub mod relation;
pub mod render;
mod test_kwargs;

/// Any serializable value as a minijinja value.
pub fn to_value<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}
