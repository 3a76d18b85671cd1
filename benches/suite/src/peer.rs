//! What every peer process shares: the line protocol with the driver, timings, RSS, payloads.
//!
//! A peer talks to the driver over its stdout and stdin, one line each:
//! `ENDPOINT <ep>` (the binding side, once bound), `READY` (the side the other waits for),
//! `GO` (from the driver, on stdin, once every expected READY came), `RESULT k=v ...` (the
//! measuring side). Anything else on stdout is ignored by the driver.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::spec::{Transport, Variant};

/// Prints one protocol line and flushes it at once.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // The driver reading this may be gone (it killed us after a RESULT): nothing to do then.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Announces the bound endpoint.
pub fn endpoint(ep: &str) {
    say(&format!("ENDPOINT {ep}"));
}

/// Blocks until the driver sends `GO` on stdin.
pub fn wait_go() {
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim() == "GO" => return,
            Ok(_) => {}
        }
    }
}

/// A flag set once `GO` arrives, read by a loop that must keep working until then.
pub fn go_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    std::thread::spawn(move || {
        wait_go();
        set.store(true, Ordering::Release);
    });
    flag
}

/// Waits for `GO` from async code.
pub async fn wait_go_async() {
    // A blocking read of stdin on a thread of its own (not the runtime's blocking pool, so it
    // never holds up a current-thread runtime's shutdown).
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        wait_go();
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Reports a throughput: `count - 1` messages after the first, over `elapsed`.
pub fn throughput(count: usize, elapsed: Duration) {
    let rate = (count.saturating_sub(1)) as f64 / elapsed.as_secs_f64();
    say(&format!("RESULT rate={rate}"));
}

/// Reports latency figures from round-trip times in nanoseconds.
pub fn latency(mut rtts: Vec<u64>) {
    rtts.sort_unstable();
    let n = rtts.len().max(1);
    let mean = rtts.iter().sum::<u64>() as f64 / n as f64 / 1e3;
    let pct = |p: f64| rtts[((n as f64 * p).ceil() as usize).clamp(1, n) - 1] as f64 / 1e3;
    say(&format!(
        "RESULT mean={mean} p50={} p99={}",
        pct(0.50),
        pct(0.99)
    ));
}

/// Per-subscriber record of a fan-out run.
#[derive(Clone, Copy, Debug, Default)]
pub struct SubStats {
    /// Data messages received.
    pub received: usize,
    /// When the first data message arrived.
    pub first: Option<Instant>,
    /// When the last data message arrived.
    pub last: Option<Instant>,
}

/// Reports a fan-out run: deliveries per second over all subscribers, from the first data
/// message any of them saw to the last one any of them saw, and the fraction dropped.
pub fn fan_out(stats: &[SubStats], published: usize) {
    let received: usize = stats.iter().map(|s| s.received).sum();
    let first = stats.iter().filter_map(|s| s.first).min();
    let last = stats.iter().filter_map(|s| s.last).max();
    let secs = match (first, last) {
        (Some(f), Some(l)) if l > f => (l - f).as_secs_f64(),
        _ => f64::NAN,
    };
    let rate = received.saturating_sub(stats.len()) as f64 / secs;
    let loss = 1.0 - received as f64 / (published * stats.len()) as f64;
    say(&format!("RESULT rate={rate} loss={loss}"));
}

/// Reports the idle-router figures.
pub fn idle_router(rss_before: u64, rss_after: u64, dealers: usize, connect: Duration) {
    let per_conn = rss_after.saturating_sub(rss_before) as f64 / dealers as f64 / 1024.0;
    say(&format!(
        "RESULT kib_per_conn={per_conn} connect_s={}",
        connect.as_secs_f64()
    ));
}

/// This process's resident set in bytes (`VmRSS` in /proc/self/status), 0 if unreadable.
pub fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Raises the soft limit on open files to the hard one (10,000 connections need it).
pub fn raise_fd_limit() {
    if let Ok((_, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard);
    }
}

/// The endpoint a binding side binds: tcp with an OS-chosen port, or a fresh ipc path, or an
/// inproc name. `port0` for libraries that want `:0` rather than `:*`.
pub fn bind_endpoint(transport: Transport, variant: &Variant, port0: bool) -> String {
    match transport {
        Transport::Tcp if port0 => "tcp://127.0.0.1:0".to_string(),
        Transport::Tcp => "tcp://127.0.0.1:*".to_string(),
        Transport::Ipc => {
            let path = std::env::temp_dir().join(format!(
                "zmtp-bench-{}-{}.ipc",
                variant.name,
                std::process::id()
            ));
            let _ = std::fs::remove_file(&path);
            format!("ipc://{}", path.display())
        }
        Transport::Inproc => format!("inproc://zmtp-bench-{}", variant.name),
    }
}

/// Removes an ipc endpoint's socket file, if it is one.
pub fn cleanup(ep: &str) {
    if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

/// First byte of a fan-out warm-up message.
pub const WARM_UP: u8 = b'W';
/// First byte of a fan-out data message.
pub const DATA: u8 = b'D';
/// First byte of a fan-out end marker.
pub const END: u8 = b'E';

/// A payload of `size` bytes starting with `tag` (fan-out), or all `0x5a`.
pub fn payload(size: usize, tag: Option<u8>) -> bytes::Bytes {
    let mut body = vec![0x5a; size.max(usize::from(tag.is_some()))];
    if let Some(t) = tag {
        body[0] = t;
    }
    bytes::Bytes::from(body)
}

/// Round trips made before timing starts.
pub const LATENCY_WARM_UP: usize = 1000;

/// Interval between fan-out warm-up messages and between END markers.
pub const MARKER_INTERVAL: Duration = Duration::from_millis(1);

/// Builds the application runtime of a Tokio variant.
pub fn runtime(flavour: crate::spec::Flavour) -> tokio::runtime::Runtime {
    let mut b = match flavour {
        crate::spec::Flavour::OneWorker => tokio::runtime::Builder::new_current_thread(),
        crate::spec::Flavour::Default => tokio::runtime::Builder::new_multi_thread(),
    };
    b.enable_all().build().expect("a Tokio runtime")
}
