//! Links the `duckdb` crate against the prebuilt libduckdb in `DUCKDB_LIB_DIR`
//! (`export DUCKDB_LIB_DIR=$(scripts/fetch_libduckdb.sh)`) and records its directory as an
//! rpath, so binaries and tests run without LD_LIBRARY_PATH.
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    match std::env::var("DUCKDB_LIB_DIR") {
        Ok(dir) => println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}"),
        Err(_) => println!(
            "cargo:warning=DUCKDB_LIB_DIR is not set, so linking libduckdb will fail: run cargo as `DUCKDB_LIB_DIR=$(scripts/fetch_libduckdb.sh) cargo ...`"
        ),
    }
}
