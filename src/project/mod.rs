//! Inputs and discovery: files, dbt_project.yml, profiles.yml, packages, properties yml,
//! config resolution.

pub mod config;
pub mod docs;
pub mod generic_tests;
pub mod load;
pub mod node_config;
pub mod nodes;
pub mod patches;
pub mod profiles;
pub mod properties;
pub mod render;
pub mod unit_test_checksum;
pub mod unit_test_inputs;
pub mod unit_test_manifest;
pub mod unit_test_rows;
pub mod unit_test_select;
pub mod unit_tests;
pub mod yaml;
pub mod yml_render;

pub use load::{LoadOptions, apply_changes, load_project};
