//! Content negotiation on the scraper's `Accept` header.

/// The two exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/openmetrics-text; version=1.0.0`: what Prometheus asks for first.
    OpenMetrics,
    /// `text/plain; version=0.0.4`: what the Datadog agent sends by default, and the fallback.
    Text,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Picks OpenMetrics when the client accepts it with a quality at least as high as any
/// text/plain it lists; otherwise the 0.0.4 text format.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let mut best_om: Option<f32> = None;
    let mut best_text: Option<f32> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut version = None;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "q" => q = v.trim().parse().unwrap_or(0.0),
                    "version" => version = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        if q <= 0.0 {
            continue;
        }
        match media.as_str() {
            // We speak OpenMetrics 1.0.0 only; an explicit other version is not ours.
            "application/openmetrics-text" if version.as_deref().is_none_or(|v| v == "1.0.0") => {
                best_om = Some(best_om.map_or(q, |b| b.max(q)));
            }
            "text/plain" | "*/*" | "text/*" => best_text = Some(best_text.map_or(q, |b| b.max(q))),
            _ => {}
        }
    }
    match (best_om, best_text) {
        (Some(om), Some(text)) if om >= text => Format::OpenMetrics,
        (Some(_), None) => Format::OpenMetrics,
        _ => Format::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_gets_openmetrics() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate(Some(prometheus)), Format::OpenMetrics);
    }

    #[test]
    fn datadog_and_curl_get_text() {
        assert_eq!(negotiate(Some("text/plain")), Format::Text);
        assert_eq!(negotiate(Some("*/*")), Format::Text);
        assert_eq!(negotiate(None), Format::Text);
        assert_eq!(negotiate(Some("application/openmetrics-text;version=2.0.0")), Format::Text);
        assert_eq!(negotiate(Some("application/openmetrics-text;q=0.1,text/plain;q=0.9")), Format::Text);
    }
}
