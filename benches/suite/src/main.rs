//! `zmtp-bench`: zmtp beside libzmq, zmq.rs and omq.rs, sender and receiver in two processes
//! (as libzmq's local_thr/remote_thr and local_lat/remote_lat). See benches/README.md.
//!
//! `zmtp-bench all` runs everything and prints one markdown table; it starts this same binary
//! as `zmtp-bench peer ...` for each side of each run.

mod driver;
mod imp;
mod peer;
mod report;
mod spec;

use std::time::Duration;

use clap::{Parser, Subcommand};

use spec::{Impl, Job, Role};

#[derive(Parser, Debug)]
#[command(about = "Two-process ZeroMQ benchmarks: zmtp, libzmq, zmq.rs, omq.rs, raw Tokio")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the cases (all by default) and print the markdown table of medians.
    All {
        /// Runs of each (case, size, variant), interleaved round by round.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Only these cases (repeatable; see `list`).
        #[arg(long = "case")]
        cases: Vec<String>,
        /// Only these variants, comma-separated (see `list`).
        #[arg(long, value_delimiter = ',')]
        impls: Vec<String>,
        /// Factor on every message count (e.g. 0.1 for a quick check).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seconds a single run may take before it counts as failed.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// List the cases and variants.
    List,
    /// One side of one run (started by `all`).
    Peer {
        /// Which side.
        #[arg(long, value_enum)]
        role: Role,
        /// The case.
        #[arg(long)]
        case: String,
        /// The variant.
        #[arg(long)]
        variant: String,
        /// Message size in bytes.
        #[arg(long)]
        size: usize,
        /// Messages, round trips or DEALERs.
        #[arg(long)]
        count: usize,
        /// Where to connect.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// CURVE server public key (Z85).
        #[arg(long)]
        server_public: Option<String>,
        /// CURVE server secret key (Z85; the server side only).
        #[arg(long)]
        server_secret: Option<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Cmd::List => {
            println!("cases:");
            for c in spec::CASES {
                println!("  {} (sizes {:?})", c.name, c.sizes);
            }
            println!("variants:");
            for v in spec::VARIANTS {
                println!("  {} ({:?}, {:?}, {:?})", v.name, v.imp, v.flavour, v.shape);
            }
        }
        Cmd::All {
            runs,
            cases,
            impls,
            scale,
            timeout,
        } => {
            let cases = if cases.is_empty() {
                spec::CASES.to_vec()
            } else {
                cases
                    .iter()
                    .map(|n| spec::case(n).unwrap_or_else(|| fail(&format!("no case {n}"))))
                    .collect()
            };
            let variants = if impls.is_empty() {
                spec::VARIANTS.to_vec()
            } else {
                impls
                    .iter()
                    .map(|n| spec::variant(n).unwrap_or_else(|| fail(&format!("no variant {n}"))))
                    .collect()
            };
            peer::raise_fd_limit();
            driver::run_all(&driver::Plan {
                cases,
                variants,
                runs: runs.max(1),
                scale,
                timeout: Duration::from_secs(timeout),
            });
        }
        Cmd::Peer {
            role,
            case,
            variant,
            size,
            count,
            endpoint,
            server_public,
            server_secret,
        } => {
            peer::raise_fd_limit();
            let job = Job {
                case: spec::case(&case).unwrap_or_else(|| fail(&format!("no case {case}"))),
                variant: spec::variant(&variant)
                    .unwrap_or_else(|| fail(&format!("no variant {variant}"))),
                size,
                count,
                endpoint,
                server_key: server_public.map(|p| (p, server_secret.unwrap_or_default())),
            };
            match job.variant.imp {
                Impl::Zmtp | Impl::ZmtpBatch => imp::zmtp::run(role, job),
                Impl::Libzmq => imp::libzmq::run(role, job),
                Impl::Zeromq => imp::zeromq::run(role, job),
                Impl::Omq => imp::omq::run(role, job),
                Impl::Raw => imp::raw::run(role, job),
            }
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("zmtp-bench: {msg}");
    std::process::exit(2)
}
