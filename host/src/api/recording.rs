//! Record and replay: the calls a probe's runs made and what the API answered, kept in one
//! JSON file (`probe-host once --record DIR`), then answered from it with no API at all
//! (`--replay DIR`), deterministically — a probe author's test loop for their own CI.
//!
//! A recording is readable and editable by hand: each call is its function, its arguments (as
//! the document names them, in the function's order), its body, and the JSON the API answered
//! (or the error). Replayed, a call gets the answers recorded for the same function and
//! arguments in order (the last one again when they run out); a call that was never recorded
//! fails as a transport error naming it, so a probe that starts calling something new is
//! noticed.

use super::ApiError;
use crate::engine::{Call, CallFuture, Caller};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The file a recording is kept in, inside its directory.
pub const RECORDING_FILE: &str = "recording.json";

/// One call and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Recorded {
    function: String,
    args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    answer: Answer,
}

/// What the API answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    /// No content.
    Nothing,
    /// A JSON body.
    Json(Value),
    /// A body that is not JSON, as text (replayed as it was, so the probe sees the same
    /// `invalid-response`).
    Text(String),
    Error(ApiError),
}

/// Why a recording could not be written or read: the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("{path}: not a recording: {cause}")]
    Invalid { path: PathBuf, cause: serde_json::Error },
}

/// A caller that passes every call on to another and keeps the call and its answer.
pub struct Recorder {
    inner: Arc<dyn Caller>,
    calls: Mutex<Vec<Recorded>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn new(inner: Arc<dyn Caller>) -> Self {
        Self { inner, calls: Mutex::new(Vec::new()) }
    }

    /// Writes what was recorded to `dir`/[`RECORDING_FILE`] (creating `dir`); answers how
    /// many calls.
    ///
    /// # Errors
    /// When the directory or the file cannot be written, naming it.
    pub fn save(&self, dir: &Path) -> Result<usize, RecordingError> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone();
        std::fs::create_dir_all(dir).map_err(|cause| RecordingError::Io { path: dir.into(), cause })?;
        let path = dir.join(RECORDING_FILE);
        let mut text = serde_json::to_string_pretty(&calls)
            .map_err(|cause| RecordingError::Invalid { path: path.clone(), cause })?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|cause| RecordingError::Io { path, cause })?;
        Ok(calls.len())
    }
}

impl Caller for Recorder {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        Box::pin(async move {
            let result = self.inner.call(call).await;
            let answer = match &result {
                Ok(None) => Answer::Nothing,
                Ok(Some(bytes)) => match serde_json::from_slice(bytes) {
                    Ok(json) => Answer::Json(json),
                    Err(_) => Answer::Text(String::from_utf8_lossy(bytes).into_owned()),
                },
                Err(e) => Answer::Error(e.clone()),
            };
            let recorded = Recorded {
                function: call.function.name.clone(),
                args: call.args.to_vec(),
                body: call.body.cloned(),
                answer,
            };
            self.calls.lock().unwrap_or_else(PoisonError::into_inner).push(recorded);
            result
        })
    }
}

/// A caller that answers from a recording.
#[derive(Debug)]
pub struct Replayer {
    /// Answers by call (function, arguments and body as JSON text), and how many were used.
    answers: HashMap<String, (Vec<Answer>, Mutex<usize>)>,
}

impl Replayer {
    /// Loads `dir`/[`RECORDING_FILE`].
    ///
    /// # Errors
    /// When the file cannot be read or is not a recording, naming it.
    pub fn load(dir: &Path) -> Result<Self, RecordingError> {
        let path = dir.join(RECORDING_FILE);
        let text = std::fs::read_to_string(&path).map_err(|cause| RecordingError::Io { path: path.clone(), cause })?;
        let calls: Vec<Recorded> =
            serde_json::from_str(&text).map_err(|cause| RecordingError::Invalid { path, cause })?;
        let mut answers: HashMap<String, (Vec<Answer>, Mutex<usize>)> = HashMap::new();
        for call in calls {
            let key = key(&call.function, &call.args, call.body.as_ref());
            answers.entry(key).or_insert_with(|| (Vec::new(), Mutex::new(0))).0.push(call.answer);
        }
        Ok(Self { answers })
    }
}

/// A call's identity in a recording.
fn key(function: &str, args: &[Value], body: Option<&Value>) -> String {
    format!("{function}{}{}", Value::from(args.to_vec()), body.map_or(String::new(), Value::to_string))
}

impl Caller for Replayer {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        Box::pin(async move {
            let key = key(&call.function.name, call.args, call.body);
            let Some((answers, used)) = self.answers.get(&key) else {
                return Err(ApiError::Transport(format!("not in the recording: {key}")));
            };
            let answer = {
                let mut used = used.lock().unwrap_or_else(PoisonError::into_inner);
                let answer = answers.get(*used).or(answers.last()).cloned();
                *used += 1;
                answer
            };
            match answer {
                Some(Answer::Nothing) => Ok(None),
                Some(Answer::Json(json)) => Ok(Some(Arc::from(json.to_string().into_bytes()))),
                Some(Answer::Text(text)) => Ok(Some(Arc::from(text.into_bytes()))),
                Some(Answer::Error(e)) => Err(e),
                None => Err(ApiError::Transport(format!("no answer recorded for {key}"))),
            }
        })
    }
}
