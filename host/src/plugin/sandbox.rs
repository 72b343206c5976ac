//! The sandbox a plugin runs in: the engine, what it may import, and its budget.

use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Config as EngineConfig, Engine, ResourceLimiter, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use super::Budget;
use super::bindings::{self, host::vpc::types::LogLevel};
use crate::error::Error;

/// Most bytes of a plugin's stderr kept to explain a crash.
const STDERR_CAPACITY: usize = 16 << 10;
/// Most log lines one call may write; the rest are dropped.
const MAX_LOG_LINES: usize = 1_000;
/// Longest log line kept, in bytes.
const MAX_LOG_LINE: usize = 2_000;
/// What wasmtime says when a call copies more data than the store allows; it
/// offers no typed error for this.
const HOSTCALL_FUEL_MESSAGE: &str = "fuel allocated for hostcalls has been exhausted";
/// Most table elements a plugin may grow to.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Builds the engine every plugin runs on: epoch interruption on, nothing else
/// beyond wasmtime's defaults.
pub fn engine() -> Result<Engine> {
    let mut config = EngineConfig::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    Ok(Engine::new(&config)?)
}

/// The imports a plugin gets: WASI with an empty context, and the host's log.
pub fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    bindings::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)?;
    Ok(linker)
}

/// Per-call state: the WASI context, the memory limiter and the log counter.
pub struct State {
    plugin: String,
    wasi: WasiCtx,
    table: ResourceTable,
    stderr: MemoryOutputPipe,
    pub(super) limits: Limits,
    log_lines: usize,
}

impl State {
    /// A fresh sandbox for one call to `plugin`.
    pub fn new(plugin: &str, budget: Budget) -> State {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(Deterministic::new(vec![0x5a]))
            .insecure_random(Deterministic::new(vec![0xa5]))
            .insecure_random_seed(0)
            .build();
        State {
            plugin: plugin.to_string(),
            wasi,
            table: ResourceTable::new(),
            stderr,
            limits: Limits { memory: budget.memory, exceeded: false },
            log_lines: 0,
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl bindings::host::vpc::types::Host for State {}

impl bindings::host::vpc::logging::Host for State {
    fn log(&mut self, level: LogLevel, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        let message = truncate(&message, MAX_LOG_LINE);
        let plugin = self.plugin.as_str();
        match level {
            LogLevel::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            LogLevel::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A clock stuck at the Unix epoch, so plans cannot depend on the time.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Caps a plugin's linear memory and remembers whether it hit the cap.
pub struct Limits {
    memory: usize,
    exceeded: bool,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            self.exceeded = true;
            wasmtime::bail!(
                "memory would grow to {desired} bytes, past the cap of {}",
                self.memory
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Interrupts the engine's running plugin when dropped later than `time` after
/// it started.
pub struct Deadline {
    _cancel: mpsc::Sender<()>,
}

impl Deadline {
    /// Starts the clock for a call.
    pub fn start(engine: &Engine, time: Duration) -> Deadline {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let engine = engine.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(time) {
                engine.increment_epoch();
            }
        });
        Deadline { _cancel: cancel }
    }
}

/// Turns a failed instantiation into the error the user sees: a trap or an
/// exhausted budget in the plugin's start-up code, or else imports and exports
/// whose types differ from this host's interface, although their names match.
pub fn classify_instantiation(
    plugin: &str,
    state: &State,
    budget: Budget,
    err: wasmtime::Error,
) -> Error {
    if state.limits.exceeded || err.downcast_ref::<Trap>().is_some() {
        return classify(plugin, state, budget, err);
    }
    Error::PluginInterface {
        plugin: plugin.to_string(),
        found: format!("does not match the interface's types ({err:#})"),
        expected: super::PLANNER_EXPORT.to_string(),
    }
}

/// Turns a failed call into the error the user sees: an exhausted budget, or a
/// trap with whatever the plugin wrote to stderr.
pub fn classify(plugin: &str, state: &State, budget: Budget, err: wasmtime::Error) -> Error {
    let plugin = plugin.to_string();
    if state.limits.exceeded {
        return Error::PluginBudget {
            plugin,
            budget: format!("memory ({} MiB)", budget.memory >> 20),
            hint: "raise it with `--plugin-memory` if the plugin really needs more".to_string(),
        };
    }
    if let Some(Trap::Interrupt) = err.downcast_ref::<Trap>() {
        return Error::PluginBudget {
            plugin,
            budget: format!("time ({} ms)", budget.time.as_millis()),
            hint: "raise it with `--plugin-timeout` if the plugin really needs more".to_string(),
        };
    }
    if format!("{err:#}").contains(HOSTCALL_FUEL_MESSAGE) {
        return Error::PluginBudget {
            plugin,
            budget: "data transfer".to_string(),
            hint: "the plan is far larger than any VPC needs".to_string(),
        };
    }
    let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
    let mut message = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{err:#}"),
    };
    if !stderr.is_empty() {
        message = format!("{message}; it wrote: {}", truncate(&stderr, MAX_LOG_LINE));
    }
    Error::PluginTrap { plugin, message }
}
