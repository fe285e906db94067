//! The log subscriber of `reko serve`: text or JSON lines on stderr, filtered by `--log`.

use anyhow::Context;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub use crate::config::LogFormat;

/// The subscriber writing to `writer`, filtered by `filter` (tracing's `EnvFilter` syntax).
pub fn subscriber<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
) -> anyhow::Result<Box<dyn tracing::Subscriber + Send + Sync>>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).context("invalid log filter")?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    Ok(match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().flatten_event(true).with_current_span(false).finish()),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Captured {
            self.clone()
        }
    }

    /// An access log event as the HTTP layer writes it.
    fn access_event() {
        tracing::info!(
            target: "reko::access",
            operation = "GetRecommendations",
            campaign = Some("shop"),
            status = 200u16,
            error_code = None::<&str>,
            latency_ms = 1.5,
            request_id = "rid-1",
            "request"
        );
    }

    #[test]
    fn the_json_format_writes_one_object_a_line_with_the_fields_at_the_top() {
        assert_eq!(reko_http::ACCESS_LOG_TARGET, "reko::access");
        let out = Captured::default();
        let subscriber = subscriber(LogFormat::Json, "info", out.clone()).unwrap();
        tracing::subscriber::with_default(subscriber, access_event);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["target"], "reko::access");
        assert_eq!(line["operation"], "GetRecommendations");
        assert_eq!(line["campaign"], "shop");
        assert_eq!(line["status"], 200);
        assert_eq!(line["request_id"], "rid-1");
        assert!(line.get("error_code").is_none(), "absent fields are left out: {line}");
    }

    #[test]
    fn the_text_format_and_the_filter_apply() {
        let out = Captured::default();
        tracing::subscriber::with_default(subscriber(LogFormat::Text, "info", out.clone()).unwrap(), access_event);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        // (Colours around the field names, as before this setting existed.)
        assert!(
            text.contains("reko::access") && text.contains("\"GetRecommendations\"") && text.contains("status"),
            "{text}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err(), "not JSON: {text}");
        let quiet = Captured::default();
        tracing::subscriber::with_default(subscriber(LogFormat::Json, "warn", quiet.clone()).unwrap(), access_event);
        assert!(quiet.0.lock().unwrap().is_empty());
    }

    #[test]
    fn formats_are_validated() {
        assert_eq!(LogFormat::parse("json").unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::parse("TEXT").unwrap(), LogFormat::Text);
        let e = LogFormat::parse("logfmt").unwrap_err().to_string();
        assert!(e.contains("must be text or json") && e.contains("'logfmt'"), "{e}");
    }
}
