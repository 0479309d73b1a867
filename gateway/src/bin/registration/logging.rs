//! Logs: structured, one JSON object per line on stderr (`REG_LOG_FORMAT=text` for people at
//! a terminal), at `REG_LOG_LEVEL` (`info` by default; `debug` adds the access log). No
//! event carries personal data — ID numbers, names, phones, tokens, passwords — only codes,
//! routes, partitions, offsets and errors from the machinery (tests/tests/logs.rs greps a
//! whole journey's log for them). The startup banner for people stays on stdout.

use crate::options::{LogFormat, Options};

/// Installs the subscriber for the whole process.
pub fn init(options: &Options) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(options.log_level)
        .with_writer(std::io::stderr)
        .with_target(true);
    match options.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}
