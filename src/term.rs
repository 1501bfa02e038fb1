//! Terminal output. Standard output survives a closed pipe (`parasol
//! templates list | head -1` ends quietly, like `rg` and `fd`, instead of
//! panicking); standard error carries colour when it is a terminal, as
//! anstream decides (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` honoured);
//! `--quiet` keeps only errors.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes `text` to standard output. A closed pipe ends all further
/// output silently; the command still finishes and exits with its code.
pub fn out(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) || text.is_empty() {
        return;
    }
    let mut stdout = anstream::stdout().lock();
    let result = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if result.is_err() {
        // Nothing can be shown any more: a closed pipe, or a full disk behind a redirect.
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `out`, with a line break.
pub fn outln(text: &str) {
    out(text);
    out("\n");
}

/// Writes `text` (which may hold ANSI styles) to standard error, styles
/// removed unless it is a colour terminal.
pub fn err(text: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// A progress note on standard error (`waiting for …`), unless `--quiet`.
pub fn note(text: &str) {
    if !quiet() {
        let style = anstyle::Style::new().bold();
        err(&format!("{style}note{style:#}: {text}\n"));
    }
}

/// The styles diagnostics use.
pub mod style {
    use anstyle::{AnsiColor, Style};

    pub const ERROR: Style = AnsiColor::Red.on_default().bold();
    pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
    pub const GUTTER: Style = AnsiColor::Blue.on_default().bold();
    pub const EMPHASIS: Style = Style::new().bold();
    pub const OK: Style = AnsiColor::Green.on_default().bold();
}
