//! The `all` subcommand: runs every (case, size, variant) as peer processes of this binary,
//! round by round (run 1 of everything, then run 2, ...), and prints the table of medians.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::report::{self, Results};
use crate::spec::{
    Case, Job, Kind, Role, Transport, Variant, BUSY_DEALER_PROCESSES, DEALER_PROCESSES,
};

/// What `all` was asked to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Cases, in table order.
    pub cases: Vec<Case>,
    /// Variants, in column order.
    pub variants: Vec<Variant>,
    /// Runs of each (case, size, variant).
    pub runs: usize,
    /// Factor on every message count (not on the 10,000 DEALERs).
    pub scale: f64,
    /// Longest a single run may take before it counts as failed.
    pub timeout: Duration,
}

/// Figures a peer reported (`RESULT k=v ...`).
pub type Metrics = BTreeMap<String, f64>;

/// Runs the plan and prints the report on stdout (progress goes to stderr).
pub fn run_all(plan: &Plan) {
    let started = chrono_now();
    let load_before = report::loadavg();
    let mut results = Results::default();
    let mut skipped: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    for run in 1..=plan.runs {
        // A fresh CURVE server key pair per round, made by libzmq.
        let pair = zmq::CurveKeyPair::new().expect("CURVE key pair");
        let key = (
            zmq::z85_encode(&pair.public_key).expect("z85"),
            zmq::z85_encode(&pair.secret_key).expect("z85"),
        );
        for case in &plan.cases {
            for &size in case.sizes {
                let count = match case.kind {
                    Kind::IdleRouter => case.count(size),
                    // A whole number of messages for each busy DEALER.
                    Kind::FanIn => {
                        let scaled = (case.count(size) as f64 * plan.scale).round() as usize;
                        (scaled / case.peers).max(10) * case.peers
                    }
                    _ => ((case.count(size) as f64 * plan.scale).round() as usize).max(10),
                };
                for variant in &plan.variants {
                    if let Err(why) = case.supported_by(variant) {
                        skipped.insert((case.name.to_string(), variant.name.to_string()), why);
                        continue;
                    }
                    let job = Job {
                        case: *case,
                        variant: *variant,
                        size,
                        count,
                        endpoint: String::new(),
                        server_key: case.curve.then(|| key.clone()),
                    };
                    let t0 = Instant::now();
                    let outcome = run_one(&job, plan.timeout);
                    eprintln!(
                        "run {run}/{} {} {} B {}: {} ({:.1} s)",
                        plan.runs,
                        case.name,
                        size,
                        variant.name,
                        match &outcome {
                            Ok(m) => format!("{m:?}"),
                            Err(e) => format!("FAILED: {e}"),
                        },
                        t0.elapsed().as_secs_f64()
                    );
                    results.add(case.name, size, variant.name, outcome.ok());
                }
            }
        }
    }
    let load_after = report::loadavg();
    report::print(
        plan,
        &results,
        &skipped,
        &started,
        &load_before,
        &load_after,
    );
}

fn chrono_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A line from a child, or its end (`None`).
type Line = (usize, Option<String>);

struct Peers {
    children: Vec<Child>,
    stdins: Vec<Option<ChildStdin>>,
    lines: mpsc::Sender<Line>,
}

impl Peers {
    fn spawn(&mut self, role: Role, job: &Job, count: usize) -> std::io::Result<()> {
        let exe = std::env::current_exe()?;
        // ZMTP_BENCH_WRAP_BINDER: a command (split at spaces) the binding peer runs under, to
        // profile it alone (`strace -f -c -o FILE`, `perf stat -o FILE --`, ...).
        let wrap = std::env::var("ZMTP_BENCH_WRAP_BINDER")
            .ok()
            .filter(|_| job.endpoint.is_empty());
        let words: Vec<&str> = wrap.as_deref().unwrap_or("").split_whitespace().collect();
        let mut cmd = match words.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(exe);
                cmd
            }
            None => Command::new(exe),
        };
        cmd.arg("peer")
            .args(["--role", &role_name(role)])
            .args(["--case", job.case.name])
            .args(["--variant", job.variant.name])
            .args(["--size", &job.size.to_string()])
            .args(["--count", &count.to_string()]);
        if !job.endpoint.is_empty() {
            cmd.args(["--endpoint", &job.endpoint]);
        }
        if let Some((public, secret)) = &job.server_key {
            // `--name=value`: a Z85 key may begin with `-`, which clap would take for an option.
            cmd.arg(format!("--server-public={public}"));
            if matches!(role, Role::ThrRecv) {
                cmd.arg(format!("--server-secret={secret}"));
            }
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let idx = self.children.len();
        let stdout = child.stdout.take().expect("piped stdout");
        let tx = self.lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send((idx, Some(l))).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send((idx, None));
        });
        self.stdins.push(child.stdin.take());
        self.children.push(child);
        Ok(())
    }

    fn go(&mut self) {
        for stdin in self.stdins.iter_mut().flatten() {
            let _ = stdin.write_all(b"GO\n");
            let _ = stdin.flush();
        }
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        // Only the children this driver started, by handle.
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn role_name(role: Role) -> String {
    use clap::ValueEnum;
    role.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// Runs one (case, size, variant) once: the binding peer first, the others once it announced
/// its endpoint; `GO` to all once the expected `READY`s came; done at the first `RESULT`.
pub fn run_one(job: &Job, timeout: Duration) -> Result<Metrics, String> {
    let (tx, rx) = mpsc::channel::<Line>();
    let mut peers = Peers {
        children: Vec::new(),
        stdins: Vec::new(),
        lines: tx,
    };
    let (binder, connecters, readies): (Role, Vec<(Role, usize)>, usize) = match job.case.kind {
        Kind::Throughput if job.case.transport == Transport::Inproc => (Role::ThrInproc, vec![], 0),
        Kind::Throughput => (Role::ThrRecv, vec![(Role::ThrSend, job.count)], 0),
        Kind::Latency => (Role::LatRep, vec![(Role::LatReq, job.count)], 0),
        Kind::FanOut => (Role::Pub, vec![(Role::Sub, job.count)], 1),
        Kind::IdleRouter => (
            Role::Router,
            vec![(Role::Dealers, job.count / DEALER_PROCESSES); DEALER_PROCESSES],
            DEALER_PROCESSES,
        ),
        Kind::FanIn => (
            Role::BusyRouter,
            vec![(Role::BusyDealers, job.count / BUSY_DEALER_PROCESSES); BUSY_DEALER_PROCESSES],
            BUSY_DEALER_PROCESSES,
        ),
    };
    peers
        .spawn(binder, job, job.count)
        .map_err(|e| format!("spawn: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut ready = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (idx, line) = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(_) => return Err(format!("no result within {} s", timeout.as_secs())),
        };
        let Some(line) = line else {
            let status = peers.children[idx].wait().map_err(|e| e.to_string())?;
            return Err(format!("peer {idx} ended before a result ({status})"));
        };
        if let Some(ep) = line.strip_prefix("ENDPOINT ") {
            let mut with_ep = job.clone();
            with_ep.endpoint = ep.to_string();
            for (role, count) in &connecters {
                peers
                    .spawn(*role, &with_ep, *count)
                    .map_err(|e| format!("spawn: {e}"))?;
            }
        } else if line == "READY" {
            ready += 1;
            if ready == readies {
                peers.go();
            }
        } else if let Some(kv) = line.strip_prefix("RESULT ") {
            let metrics: Metrics = kv
                .split_whitespace()
                .filter_map(|p| p.split_once('='))
                .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
                .collect();
            if metrics.values().any(|v| !v.is_finite()) {
                return Err(format!("unusable result: {kv}"));
            }
            return Ok(metrics);
        }
    }
}
