//! Watching probe files: a change in a watched directory (a new, changed or removed file, a
//! renamed `..data` symlink of a ConfigMap volume) wakes the reloader, which re-reads every
//! source and replaces only the probes whose bytes changed.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// Watches directories for as long as it lives.
pub struct Watcher {
    _inner: notify::RecommendedWatcher,
    pub dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("dirs", &self.dirs).finish_non_exhaustive()
    }
}

impl Watcher {
    /// Watches each directory in `dirs` (not recursively); `changed` gets a permit on any
    /// change. A directory that cannot be watched is logged and skipped.
    ///
    /// # Errors
    /// When the platform's watcher cannot be created.
    pub fn new(dirs: Vec<PathBuf>, changed: Arc<Notify>) -> Result<Self, String> {
        let mut inner = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            // Reads (our own, when the reloader opens the files) are not changes.
            Ok(e) if matches!(e.kind, EventKind::Access(_)) => {}
            Ok(_) => changed.notify_one(),
            Err(e) => tracing::warn!("file watcher: {e}"),
        })
        .map_err(|e| format!("cannot create the file watcher: {e}"))?;
        let mut watched = Vec::new();
        for dir in dirs {
            match inner.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => watched.push(dir),
                Err(e) => tracing::warn!("cannot watch {}: {e}; changes there need a reload", dir.display()),
            }
        }
        Ok(Self { _inner: inner, dirs: watched })
    }
}
