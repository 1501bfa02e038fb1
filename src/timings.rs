//! Stage timings and peak memory on standard error when `PARASOL_TIMINGS`
//! is set: where a slow or large run spends its time, without a profiler.

use std::sync::Mutex;
use std::time::Instant;

static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("PARASOL_TIMINGS").is_some())
}

/// Starts the clock (at the beginning of a command).
pub fn start() {
    if enabled() {
        *LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }
}

/// Reports the time since the previous mark as `stage`.
pub fn mark(stage: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let mut last = LAST
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let ms = last.map_or(0.0, |t| (now - t).as_secs_f64() * 1000.0);
    *last = Some(now);
    match (memory_mib("VmRSS:"), memory_mib("VmHWM:")) {
        (Some(now), Some(peak)) => eprintln!(
            "timing: {stage:<24} {ms:>9.2} ms  memory {now:>6.1} MiB, peak {peak:>6.1} MiB"
        ),
        _ => eprintln!("timing: {stage:<24} {ms:>9.2} ms"),
    }
}

/// Resident memory now (`VmRSS:`) or at its peak so far (`VmHWM:`), where
/// the OS reports it.
fn memory_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reports a count beside the timings (`rendered 12 of 7073 files`).
pub fn note(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("timing: {}", what());
    }
}
