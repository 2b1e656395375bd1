//! Logging set-up: `--log.level` and `--log.format=logfmt|json`, as Prometheus exporters do.

use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `ts=... level=info msg="..." probe=silos`
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber, writing to stderr. `RUST_LOG` overrides `level`.
pub fn init(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Logfmt => builder.event_format(Logfmt).try_init(),
    };
}

/// logfmt: `key=value` pairs, values quoted when they need it.
struct Logfmt;

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        write!(writer, "ts={ts} level={} target={}", meta.level().as_str().to_lowercase(), meta.target())?;
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        // The message first, then the structured fields in the order they were given.
        fields.0.sort_by_key(|(k, _)| *k != "message");
        for (key, value) in fields.0 {
            let key = if key == "message" { "msg" } else { key };
            write!(writer, " {key}={}", quote(&value))?;
        }
        writeln!(writer)
    }
}

struct Fields(Vec<(&'static str, String)>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name(), value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name(), format!("{value:?}")));
    }
}

fn quote(value: &str) -> String {
    if !value.is_empty() && !value.chars().any(|c| c == ' ' || c == '"' || c == '=' || c.is_control()) {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(super::quote("silos"), "silos");
        assert_eq!(super::quote("run failed: x=1"), "\"run failed: x=1\"");
        assert_eq!(super::quote("a\"b\nc"), "\"a\\\"b\\nc\"");
    }
}
