//! Medians over the runs and the markdown tables.

use std::collections::{BTreeMap, HashMap};

use crate::driver::{Metrics, Plan};
use crate::spec::{Kind, Variant};

/// Every run's figures, by (case, size, variant); `None` for a failed run.
#[derive(Debug, Default)]
pub struct Results {
    runs: HashMap<(String, usize, String), Vec<Option<Metrics>>>,
}

impl Results {
    /// Records one run.
    pub fn add(&mut self, case: &str, size: usize, variant: &str, m: Option<Metrics>) {
        self.runs
            .entry((case.to_string(), size, variant.to_string()))
            .or_default()
            .push(m);
    }

    /// The median of `metric` over the successful runs, if any.
    fn median(&self, case: &str, size: usize, variant: &str, metric: &str) -> Option<f64> {
        let runs = self
            .runs
            .get(&(case.to_string(), size, variant.to_string()))?;
        let mut v: Vec<f64> = runs
            .iter()
            .flatten()
            .filter_map(|m| m.get(metric).copied())
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }

    /// Runs that failed, out of all.
    fn failures(&self, case: &str, size: usize, variant: &str) -> (usize, usize) {
        self.runs
            .get(&(case.to_string(), size, variant.to_string()))
            .map_or((0, 0), |r| {
                (r.iter().filter(|m| m.is_none()).count(), r.len())
            })
    }
}

/// One line of the table: a metric of a case at a size.
struct Row {
    metric: &'static str,
    label: &'static str,
    higher_is_better: bool,
}

fn rows(kind: Kind) -> &'static [Row] {
    match kind {
        Kind::Throughput => &[Row {
            metric: "rate",
            label: "msg/s",
            higher_is_better: true,
        }],
        Kind::Latency => &[
            Row {
                metric: "mean",
                label: "RTT mean",
                higher_is_better: false,
            },
            Row {
                metric: "p50",
                label: "RTT p50",
                higher_is_better: false,
            },
            Row {
                metric: "p99",
                label: "RTT p99",
                higher_is_better: false,
            },
        ],
        Kind::FanOut => &[Row {
            metric: "rate",
            label: "deliveries/s",
            higher_is_better: true,
        }],
        Kind::FanIn => &[Row {
            metric: "rate",
            label: "msg/s at the ROUTER",
            higher_is_better: true,
        }],
        Kind::IdleRouter => &[
            Row {
                metric: "kib_per_conn",
                label: "RSS per connection",
                higher_is_better: false,
            },
            Row {
                metric: "connect_s",
                label: "time to connect all",
                higher_is_better: false,
            },
        ],
    }
}

/// The columns of the summary table: a heading and the variants it takes the best of.
const GROUPS: &[(&str, &[&str])] = &[
    ("zmtp, 1 worker", &["zmtp-1w-io", "zmtp-1w-caller"]),
    ("zmtp, default runtime", &["zmtp-mt-io", "zmtp-mt-caller"]),
    ("zmtp, 2 I/O threads", &["zmtp-mt-io2"]),
    ("libzmq", &["libzmq", "libzmq-io2"]),
    ("zmq.rs", &["zmqrs-1w", "zmqrs-mt"]),
    ("omq.rs", &["omq-1w-io", "omq-1w-caller", "omq-mt-caller"]),
    ("raw tokio", &["raw"]),
];

fn human_size(size: usize) -> String {
    match size {
        0 => "-".to_string(),
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

fn cell(row: &Row, size: usize, v: f64) -> String {
    match row.metric {
        "rate" => {
            let rate = if v >= 1e6 {
                format!("{:.2} M/s", v / 1e6)
            } else if v >= 1e3 {
                format!("{:.1} k/s", v / 1e3)
            } else {
                format!("{v:.0}/s")
            };
            if size >= 64 * 1024 {
                format!("{rate} ({:.2} GB/s)", v * size as f64 / 1e9)
            } else {
                rate
            }
        }
        "kib_per_conn" => format!("{v:.1} KiB"),
        "connect_s" => format!("{v:.2} s"),
        _ => format!("{v:.1} µs"),
    }
}

fn best(
    results: &Results,
    case: &str,
    size: usize,
    row: &Row,
    names: &[&str],
    run: &[Variant],
) -> Option<(f64, &'static str)> {
    run.iter()
        .filter(|v| names.contains(&v.name))
        .filter_map(|v| Some((results.median(case, size, v.name, row.metric)?, v.name)))
        .reduce(|a, b| {
            let b_wins = if row.higher_is_better {
                b.0 > a.0
            } else {
                b.0 < a.0
            };
            if b_wins {
                b
            } else {
                a
            }
        })
}

/// `/proc/loadavg`'s first three fields.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default()
}

/// Prints the header, the summary table, the per-variant table and the notes.
pub fn print(
    plan: &Plan,
    results: &Results,
    skipped: &BTreeMap<(String, String), &'static str>,
    started: &str,
    load_before: &str,
    load_after: &str,
) {
    let (major, minor, patch) = zmq::version();
    println!(
        "Run {started}: {} runs each, interleaved, scale {}.",
        plan.runs, plan.scale
    );
    println!(
        "Machine: {} CPUs ({}), kernel {}, libzmq {major}.{minor}.{patch}. Load average before: {load_before}; after: {load_after}.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    );
    // The zmtp rows of push_pull_curve_tcp depend on which boxes this binary was built with.
    println!(
        "zmtp's CURVE boxes: {}.",
        if cfg!(feature = "curve-sodium") {
            "libsodium (built with --features curve-sodium)"
        } else {
            "RustCrypto's salsa20 and poly1305 (the default build)"
        }
    );
    println!();
    print!("| case | size | metric |");
    for (heading, _) in GROUPS {
        print!(" {heading} |");
    }
    println!(" zmtp/libzmq | zmtp/best peer |");
    print!("|---|---|---|");
    for _ in GROUPS {
        print!("---|");
    }
    println!("---|---|");
    for case in &plan.cases {
        for &size in case.sizes {
            for row in rows(case.kind) {
                print!("| {} | {} | {} |", case.name, human_size(size), row.label);
                let mut zmtp_best: Option<f64> = None;
                let mut peer_best: Option<f64> = None;
                let mut libzmq = None;
                for (heading, names) in GROUPS {
                    let b = best(results, case.name, size, row, names, &plan.variants);
                    match b {
                        Some((v, name)) => {
                            let tag = if names.len() > 1 {
                                format!(" ({})", name.split_once('-').map_or(name, |(_, t)| t))
                            } else {
                                String::new()
                            };
                            print!(" {}{tag} |", cell(row, size, v));
                            let better = |cur: Option<f64>| match cur {
                                None => Some(v),
                                Some(c) if (v > c) == row.higher_is_better => Some(v),
                                keep => keep,
                            };
                            if heading.starts_with("zmtp") {
                                zmtp_best = better(zmtp_best);
                            } else if *heading != "raw tokio" {
                                peer_best = better(peer_best);
                            }
                            if *heading == "libzmq" {
                                libzmq = Some(v);
                            }
                        }
                        None => {
                            let why = names
                                .iter()
                                .find_map(|n| skipped.get(&(case.name.to_string(), n.to_string())));
                            match why {
                                Some(_) => print!(" cannot run |"),
                                None if names
                                    .iter()
                                    .any(|n| plan.variants.iter().any(|v| v.name == *n)) =>
                                {
                                    print!(" failed |")
                                }
                                None => print!(" not run |"),
                            }
                        }
                    }
                }
                let ratio = |other: Option<f64>| match (zmtp_best, other) {
                    (Some(z), Some(o)) if o > 0.0 => format!("{:.2}x", z / o),
                    _ => "-".to_string(),
                };
                println!(" {} | {} |", ratio(libzmq), ratio(peer_best));
            }
        }
    }
    println!();
    println!("Every variant (median of the successful runs; failed runs noted):");
    println!();
    print!("| case | size | metric |");
    for v in &plan.variants {
        print!(" {} |", v.name);
    }
    println!();
    print!("|---|---|---|");
    for _ in &plan.variants {
        print!("---|");
    }
    println!();
    for case in &plan.cases {
        for &size in case.sizes {
            let mut rs: Vec<&Row> = rows(case.kind).iter().collect();
            const LOSS: Row = Row {
                metric: "loss",
                label: "dropped",
                higher_is_better: false,
            };
            if case.kind == Kind::FanOut {
                rs.push(&LOSS);
            }
            for row in rs {
                print!("| {} | {} | {} |", case.name, human_size(size), row.label);
                for v in &plan.variants {
                    let (failed, total) = results.failures(case.name, size, v.name);
                    let fails = if failed > 0 {
                        format!(" ({failed}/{total} failed)")
                    } else {
                        String::new()
                    };
                    match results.median(case.name, size, v.name, row.metric) {
                        Some(m) if row.metric == "loss" => print!(" {:.1} %{fails} |", m * 100.0),
                        Some(m) => print!(" {}{fails} |", cell(row, size, m)),
                        None if skipped
                            .contains_key(&(case.name.to_string(), v.name.to_string())) =>
                        {
                            print!(" - |")
                        }
                        None => print!(" failed{fails} |"),
                    }
                }
                println!();
            }
        }
    }
    if !skipped.is_empty() {
        println!();
        println!("Cannot run:");
        let mut seen = BTreeMap::new();
        for ((case, variant), why) in skipped {
            seen.entry(*why)
                .or_insert_with(Vec::new)
                .push(format!("{case} ({variant})"));
        }
        for (why, what) in seen {
            println!("- {why}: {}", what.join(", "));
        }
    }
}
