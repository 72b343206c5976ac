//! The plugin runtime: every use of wasmtime lives behind this module.
//!
//! A plugin is a WebAssembly component implementing the `plugin` world of
//! `wit/`. It runs with no files, network or environment, a fixed clock and
//! fixed random bytes, so the same input always gives the same plan. Its
//! memory is capped and its time bounded by epoch interruption; a trap, an
//! exhausted budget, a wrong interface version and a malformed plan are each
//! reported as their own [`Error`].

mod cache;
mod convert;
mod sandbox;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::config::Config;
use crate::error::{Error, bad_input};
use crate::facts::Facts;
use crate::plan::{self, Plan};
use bindings::host::vpc::types as wit;
use sandbox::State;

mod bindings {
    //! Types and glue generated from `wit/plugin.wit`.
    wasmtime::component::bindgen!({ path: "../wit", world: "plugin" });
}

/// The export a plugin must provide.
const PLANNER_EXPORT: &str = "host:vpc/planner@0.1.0";
/// The export name without its version, to recognise other versions.
const PLANNER_UNVERSIONED: &str = "host:vpc/planner";

/// How much a plugin may use.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Most linear memory, in bytes.
    pub memory: usize,
    /// Most wall time for one call.
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { memory: 256 << 20, time: Duration::from_secs(2) }
    }
}

/// A compiled plugin, ready to plan.
pub struct Plugin {
    name: String,
    engine: Engine,
    component: Component,
    linker: Linker<State>,
    budget: Budget,
}

impl Plugin {
    /// Loads the component at `path`, checking its SHA-256 against `pin` when
    /// given, and compiling it or taking it from the on-disk cache.
    pub fn load(path: &Path, pin: Option<&str>, budget: Budget) -> Result<Plugin> {
        let name = file_name(path);
        let wasm = std::fs::read(path)
            .map_err(|err| bad_input(format!("cannot read plugin `{}`: {err}", path.display())))?;
        let digest = hex(&Sha256::digest(&wasm));
        if let Some(pin) = pin
            && !pin.eq_ignore_ascii_case(&digest)
        {
            return Err(bad_input(format!(
                "plugin `{}` has SHA-256 `{digest}`, not the pinned `{pin}`; refusing to run it",
                path.display()
            )));
        }
        let engine = sandbox::engine()?;
        let component =
            cache::component(&engine, &wasm, &digest, &cache::dir()).map_err(|err| {
                let reason = err.to_string();
                let reason = reason.lines().next().unwrap_or_default();
                bad_input(format!("plugin `{name}` is not a valid WebAssembly component: {reason}"))
            })?;
        check_interface(&engine, &component, &name)?;
        let linker = sandbox::linker(&engine)?;
        Ok(Plugin { name, engine, component, linker, budget })
    }

    /// The plugin's file name, as messages show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Asks the plugin for a plan and checks the plan's structure.
    pub fn plan(
        &self,
        config: &Config,
        name: &str,
        params: &[(String, String)],
        facts: &Facts,
    ) -> Result<Plan> {
        let input = convert::config(config, name, params);
        let region_facts = convert::facts(config, facts);
        let started = Instant::now();
        let returned = self.call(input, region_facts)?;
        tracing::debug!(plugin = %self.name, elapsed = ?started.elapsed(), "plugin returned");
        let wit_plan = returned.map_err(|err| Error::Plugin {
            plugin: self.name.clone(),
            message: convert::plan_error(err),
        })?;
        let malformed = |message| Error::MalformedPlan { plugin: self.name.clone(), message };
        let plan = convert::plan(wit_plan).map_err(malformed)?;
        plan::check(&plan, &config.regions, facts).map_err(malformed)?;
        Ok(plan)
    }

    /// Instantiates the plugin in a fresh store and calls it, on a worker thread
    /// whose result is awaited no longer than the time budget: epoch
    /// interruption stops a plugin that computes too long, and the wait stops
    /// one blocked inside a host call, which epochs cannot interrupt.
    fn call(&self, input: wit::Config, facts: Vec<wit::RegionFacts>) -> Result<Returned> {
        let (engine, component, linker) =
            (self.engine.clone(), self.component.clone(), self.linker.clone());
        let (name, budget) = (self.name.clone(), self.budget);
        let (send, receive) = mpsc::channel();
        let deadline = sandbox::Deadline::start(&self.engine, budget.time);
        std::thread::spawn(move || {
            let mut store = Store::new(&engine, State::new(&name, budget));
            store.limiter(|state| &mut state.limits);
            store.set_epoch_deadline(1);
            store.set_hostcall_fuel(MAX_TRANSFER.min(budget.memory));
            let outcome = match bindings::Plugin::instantiate(&mut store, &component, &linker) {
                Ok(plugin) => plugin
                    .host_vpc_planner()
                    .call_make_plan(&mut store, &input, &facts)
                    .map_err(|err| sandbox::classify(&name, store.data(), budget, err)),
                Err(err) => Err(sandbox::classify_instantiation(&name, store.data(), budget, err)),
            };
            // The receiver is gone only when the host stopped waiting.
            let _ = send.send(outcome);
        });
        let outcome = receive.recv_timeout(budget.time + BLOCKED_GRACE);
        drop(deadline);
        match outcome {
            Ok(returned) => Ok(returned?),
            Err(_) => Err(Error::PluginBudget {
                plugin: self.name.clone(),
                budget: format!("time ({} ms)", budget.time.as_millis()),
                hint: "it never returned: it may be blocked in a call to the host, such as a sleep"
                    .to_string(),
            }
            .into()),
        }
    }
}

/// What one call of the plugin gives back.
type Returned = std::result::Result<wit::Plan, wit::PlanError>;

/// Most bytes a call may copy between plugin and host: far more than any real
/// plan, and a bound on the host memory a plugin can make the host use.
const MAX_TRANSFER: usize = 32 << 20;

/// How long past its budget the host waits for a plugin blocked in a host call.
const BLOCKED_GRACE: Duration = Duration::from_millis(250);

fn check_interface(engine: &Engine, component: &Component, name: &str) -> Result<()> {
    let exports: Vec<String> =
        component.component_type().exports(engine).map(|(export, _)| export.to_string()).collect();
    if exports.iter().any(|export| export == PLANNER_EXPORT) {
        return Ok(());
    }
    let found = match exports.iter().find(|e| e.starts_with(PLANNER_UNVERSIONED)) {
        Some(other) => format!("implements `{other}`"),
        None => format!("exports no planner (it has {})", list_or_nothing(&exports)),
    };
    Err(Error::PluginInterface {
        plugin: name.to_string(),
        found,
        expected: PLANNER_EXPORT.to_string(),
    }
    .into())
}

fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "no interface exports".to_string()
    } else {
        items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into())
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
