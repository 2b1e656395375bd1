//! Error text shared by the modules that talk to the network.

/// The error and its causes on one line: an HTTP client's top-level message alone ("error
/// sending request") hides the useful part ("connection refused").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
