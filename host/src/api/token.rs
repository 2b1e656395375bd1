//! Where the bearer token comes from. A token file (a mounted Kubernetes secret) is re-read
//! when it changes, so a rotated token is used from the next call on, without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// A source of a secret: the API's bearer token, or an OAuth2 client secret. Cheap to clone; clones share the cached file contents.
#[derive(Clone)]
pub enum TokenSource {
    /// A fixed token (from an environment variable or the command line).
    Fixed(Arc<str>),
    /// A file, re-read when its modification time changes.
    File(Arc<TokenFile>),
}

impl std::fmt::Debug for TokenSource {
    // Never print a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Fixed(_) => f.write_str("TokenSource::Fixed(<redacted>)"),
            TokenSource::File(file) => write!(f, "TokenSource::File({})", file.path.display()),
        }
    }
}

/// A token file and what was last read from it.
#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    cached: Mutex<(Option<SystemTime>, Arc<str>)>,
}

impl TokenSource {
    /// Reads `path` now, so a missing or empty file is an error at start.
    ///
    /// # Errors
    /// When the file cannot be read or holds no token, naming the file.
    pub fn file(path: &Path) -> Result<Self, String> {
        let token = read(path)?;
        let cached = Mutex::new((modified(path), token));
        Ok(TokenSource::File(Arc::new(TokenFile { path: path.to_path_buf(), cached })))
    }

    /// From a file (re-read when it changes; it must be readable now) or else an environment
    /// variable; `None` when neither is given or the variable is unset or empty.
    ///
    /// # Errors
    /// When the file cannot be read or is empty, naming it.
    pub fn from_file_or_env(file: Option<&Path>, env: Option<&str>) -> Result<Option<Self>, String> {
        if let Some(path) = file {
            return Self::file(path).map(Some);
        }
        Ok(env
            .and_then(|var| std::env::var(var).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .map(|t| TokenSource::Fixed(t.into())))
    }

    /// The token to send now.
    pub fn current(&self) -> Arc<str> {
        match self {
            TokenSource::Fixed(token) => token.clone(),
            TokenSource::File(file) => {
                let mut cached = file.cached.lock().unwrap_or_else(PoisonError::into_inner);
                let now = modified(&file.path);
                if now != cached.0 {
                    match read(&file.path) {
                        Ok(token) => {
                            tracing::info!(file = %file.path.display(), "API token file changed: using the new token");
                            *cached = (now, token);
                        }
                        // Mid-rotation the file can be briefly empty or absent: keep the last
                        // good token and look again on the next call.
                        Err(e) => tracing::warn!("{e}; still using the previous token"),
                    }
                }
                cached.1.clone()
            }
        }
    }
}

impl potato_api_client::Credentials for TokenSource {
    fn token(&self) -> potato_api_client::BoxFuture<'_, Result<Arc<str>, String>> {
        let token = self.current();
        Box::pin(async move { Ok(token) })
    }

    fn rejected(&self, _token: &str) -> bool {
        // A fixed token stays the same, and a changed file is picked up by `current` anyway.
        false
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn read(path: &Path) -> Result<Arc<str>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read token file {}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("token file {} is empty", path.display()));
    }
    Ok(token.into())
}
