//! End-to-end tests of the built `host` binary on the offline fixtures.
//!
//! The plugins come from `target/wasm32-wasip2/release/`; `scripts/test` builds
//! them before running the tests.

mod apply;
mod dstack;
mod emulator;
mod faults;
mod golden;
mod guide;
mod live;
mod plan;
mod plugins;
mod policy;
mod python;
mod schema;
mod shell;
mod status;
mod terminal;
mod trust;
mod validate;
mod workflow;

use std::path::{Path, PathBuf};
pub use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A plugin built by `scripts/test`, such as `standard_vpc`.
pub fn plugin(name: &str) -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let path = target.join("wasm32-wasip2/release").join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "missing {}; build the plugins first: cargo build --release --target wasm32-wasip2 --workspace --exclude host",
        path.display()
    );
    path
}

/// Runs the host binary in the repository root with a plugin cache shared by the tests.
pub fn host(args: &[&str]) -> Output {
    host_in(&root().join("target/test-plugin-cache"), args)
}

/// Runs the host binary in the repository root with the plugin cache in `cache`.
pub fn host_in(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host"))
        .args(args)
        .current_dir(root())
        .env("HOST_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .output()
        .expect("the host binary runs")
}

/// The seed config: three regions, `public_ips: false`.
pub const SEED: &str = "tests/fixtures/seed.yml";

/// The fixture facts of 17 regions.
pub const FACTS: &str = "tests/fixtures/facts.json";

/// `host plan` with the plugin `plugin_name` on `config` and `facts`, plus `extra` arguments.
pub fn plan_with(config: &Path, facts: &str, plugin_name: &str, extra: &[&str]) -> Output {
    let plugin = plugin(plugin_name);
    let config = config.to_str().unwrap();
    let mut args = vec!["plan", "--config", config, "--facts", facts];
    args.extend_from_slice(&["--plugin", plugin.to_str().unwrap()]);
    args.extend_from_slice(extra);
    host(&args)
}

/// `host plan` on the seed config and the fixture facts.
pub fn plan_seed(plugin_name: &str, extra: &[&str]) -> Output {
    plan_with(Path::new(SEED), FACTS, plugin_name, extra)
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Stdout parsed as JSON.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {}", stdout(output)))
}

/// Asserts the exit code, showing both streams when it differs.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// A config file in a temporary directory.
pub fn temp_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}
