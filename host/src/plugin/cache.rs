//! The on-disk cache of compiled plugins.
//!
//! Compiling a component takes about a hundred milliseconds; loading a compiled
//! one takes well under one. Entries are keyed by the wasm's SHA-256 and the
//! engine's compatibility hash, so a new host or engine setting never loads an
//! artifact built for another.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The environment variable that moves the cache.
pub const DIR_VARIABLE: &str = "HOST_CACHE_DIR";

/// Where compiled plugins are kept: `$HOST_CACHE_DIR`, or the user's cache
/// directory.
pub fn dir() -> PathBuf {
    match std::env::var_os(DIR_VARIABLE) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("host").join("plugins"),
    }
}

/// The compiled component for `wasm`, from the cache when it holds one.
pub fn component(engine: &Engine, wasm: &[u8], digest: &str, dir: &Path) -> Result<Component> {
    let path = dir.join(format!("{digest}-{}.cwasm", engine_key(engine)));
    if path.is_file() {
        match load(engine, &path) {
            Ok(component) => {
                tracing::debug!(cache = %path.display(), "compiled plugin taken from the cache");
                return Ok(component);
            }
            Err(err) => {
                tracing::debug!(cache = %path.display(), "ignoring unusable cache entry: {err:#}")
            }
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Err(err) = store(&component, dir, &path) {
        tracing::warn!(cache = %dir.display(), "cannot cache the compiled plugin: {err:#}");
    }
    Ok(component)
}

#[expect(unsafe_code, reason = "loading machine code this host compiled and wrote itself")]
fn load(engine: &Engine, path: &Path) -> Result<Component> {
    // SAFETY: the file was written by `store` below from `Component::serialize`
    // with an engine of the same compatibility hash (part of its name), into the
    // user's own cache directory.
    Ok(unsafe { Component::deserialize_file(engine, path) }?)
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize()?;
    let mut staged = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut staged, &bytes)?;
    staged.persist(path)?;
    Ok(())
}

/// A stable digest of everything that makes compiled code engine-specific.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    super::hex(&hasher.0.finalize()[..8])
}

/// Feeds `Hash` output into SHA-256, whose result, unlike `DefaultHasher`'s,
/// is the same across Rust releases.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
