//! The on-disk cache of compiled plugins.
//!
//! Compiling a component takes about a hundred milliseconds; loading a compiled
//! one takes well under one. Entries are keyed by the wasm's SHA-256 and the
//! engine's compatibility hash, so a new host or engine setting never loads an
//! artifact built for another.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::term::Wait;

/// The environment variable that moves the cache.
pub const DIR_VARIABLE: &str = "HOST_CACHE_DIR";

/// Where compiled plugins are kept: `$HOST_CACHE_DIR`, or the user's cache
/// directory.
pub fn dir() -> PathBuf {
    match std::env::var_os(DIR_VARIABLE).filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("host").join("plugins"),
    }
}

/// The compiled component for `wasm`, from the cache when it holds one.
pub fn component(engine: &Engine, wasm: &[u8], digest: &str, dir: &Path) -> Result<Component> {
    if let Err(reason) = check_private(dir) {
        tracing::warn!(cache = %dir.display(), "not using the plugin cache: {reason}");
        return Ok(Component::new(engine, wasm)?);
    }
    let path = dir.join(format!("{digest}-{}.cwasm", engine_key(engine)));
    if path.is_file() {
        match load(engine, &path) {
            Ok(component) => {
                tracing::debug!(cache = %path.display(), "compiled plugin taken from the cache");
                return Ok(component);
            }
            Err(err) => {
                tracing::warn!(cache = %path.display(), "recompiling the plugin: {err:#}")
            }
        }
    }
    tracing::debug!("compiling the plugin");
    let shown = (wasm.len() > LARGE).then(|| {
        Wait::start(format!("compiling the plugin ({} MB), once: it is cached", wasm.len() >> 20))
    });
    let component = Component::new(engine, wasm)?;
    drop(shown);
    if let Err(err) = store(&component, dir, &path) {
        tracing::warn!(cache = %dir.display(), "cannot cache the compiled plugin: {err:#}");
    }
    Ok(component)
}

/// Loads a cache entry: a SHA-256 of the artifact, then the artifact. The digest
/// catches an entry that was cut short or corrupted, which would otherwise be
/// loaded as machine code.
fn load(engine: &Engine, path: &Path) -> Result<Component> {
    let bytes = std::fs::read(path)?;
    let Some((digest, artifact)) = bytes.split_at_checked(DIGEST_LEN) else {
        anyhow::bail!("the entry is too short");
    };
    if Sha256::digest(artifact).as_slice() != digest {
        anyhow::bail!("the entry does not match its digest");
    }
    deserialize(engine, artifact)
}

#[expect(unsafe_code, reason = "loading machine code this host compiled and wrote itself")]
fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Component> {
    // SAFETY: `artifact` was written by `store` below from `Component::serialize`,
    // under a name that carries this engine's compatibility hash, into the user's
    // own cache directory, and it matches the digest written beside it.
    Ok(unsafe { Component::deserialize(engine, artifact) }?)
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    create_private_dir(dir)?;
    let artifact = component.serialize()?;
    let mut staged = tempfile::NamedTempFile::new_in(dir)?;
    staged.write_all(&Sha256::digest(&artifact))?;
    staged.write_all(&artifact)?;
    staged.persist(path)?;
    Ok(())
}

/// Creates the cache directory readable and writable by its owner alone: what
/// it holds is run as machine code.
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    Ok(())
}

/// Whether an existing cache directory is safe to load machine code from: no
/// one but its owner may write to it.
fn check_private(dir: &Path) -> Result<(), String> {
    let Ok(metadata) = std::fs::metadata(dir) else {
        return Ok(());
    };
    if !metadata.is_dir() {
        return Err("it is not a directory".to_string());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "others may write to it (mode {:o}); make it private with `chmod go-w`",
                mode & 0o777
            ));
        }
    }
    Ok(())
}

/// Length of the digest that starts every cache entry.
const DIGEST_LEN: usize = 32;

/// Plugins larger than this, in bytes, get a spinner on the terminal while
/// they compile: one that carries an interpreter takes a minute, once.
const LARGE: usize = 4 << 20;

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
