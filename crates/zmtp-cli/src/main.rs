//! `zmtp`: a ZeroMQ peer on the command line, built on the zmtp sockets, and a CURVE key
//! generator.
//!
//! ```text
//! zmtp keygen
//! zmtp <SOCKET-TYPE> (--bind ENDPOINT | --connect ENDPOINT)... [OPTIONS]
//! ```
//!
//! `SOCKET-TYPE` is one of `push`, `pull`, `pub`, `sub`, `req`, `rep`, `dealer`, `router`,
//! `pair`, `xpub`, `xsub`.
//!
//! - Sending: each line of standard input is a message (`--frames SEP` splits it into
//!   frames; `--file PATH` sends a whole file as one message instead). PUSH and PUB exit at
//!   the end of the input, once what they sent is delivered (within `ZMQ_LINGER`).
//! - Receiving: each message is printed on one line, its frames separated by a tab (or the
//!   `--frames` separator), each frame as text when it is printable UTF-8 and otherwise as
//!   `0x` and hex (`--hex`: always). A ROUTER prints the sender's routing id first, in hex,
//!   and sends lines of the form `ROUTING-ID MESSAGE`. An XPUB prints subscriptions as
//!   `subscribe PREFIX` / `unsubscribe PREFIX`.
//! - REQ sends each line as a request and prints the reply; REP prints each request and
//!   echoes it back (`--reply TEXT`: always TEXT; `--reply-stdin`: the next input line).
//! - SUB and XSUB: `--subscribe PREFIX`, repeatable, everything by default.
//! - `--count N`: exit after N messages: received ones (PULL, SUB, REQ, REP), sent ones
//!   (PUSH, PUB), or both ways together (DEALER, ROUTER, PAIR, XPUB, XSUB).
//! - Security: `--curve-server --curve-secret KEY`; `--curve-serverkey KEY` for a client
//!   (with `--curve-secret`, or a fresh key pair); `--plain-user U --plain-password P`;
//!   `--plain-server --plain-accept U:P` (a built-in ZAP handler); `--curve-accept KEY` limits
//!   a CURVE server's clients.
//! - `--option NAME=VALUE`: any libzmq socket option (`ZMQ_SNDHWM=100`, `linger=0`).
//!
//! Standard error says `bound ENDPOINT` when a bind is listening (with the real port for
//! `tcp://host:*`) and `connecting ENDPOINT` for each connect. Errors are one line on
//! standard error, `zmtp: ...`, and exit status 1 (2 for a command line clap refuses).
//! A connection whose handshake fails is reported once on standard error, with the reason
//! (from the socket monitor), and retried quietly. `-v` (`-vv`, `-vvv`) or `RUST_LOG` prints
//! the sockets' `tracing` events on standard error. `zmtp --help` has examples.

// The tool handles every failure (no `expect`; `unwrap` is warned workspace-wide), and each
// narrowing cast says why it cannot truncate or lose a sign.
#![cfg_attr(
    not(test),
    warn(
        clippy::expect_used,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )
)]

mod cli;
mod format;
mod run;
mod setup;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    let outcome = match cli.command {
        cli::Command::Keygen => keygen(),
        command => run::run(command),
    };
    if let Err(message) = outcome {
        eprintln!("zmtp: {message}");
        std::process::exit(1);
    }
}

/// `-v` / `RUST_LOG`: the `tracing` events of the sockets (connects, accepts, handshakes, ...)
/// on standard error. `RUST_LOG` wins when set; otherwise `-v` is info, `-vv` debug, `-vvv`
/// trace; neither: nothing.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;

    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(match verbose {
            0 => return,
            1 => "info",
            2 => "debug",
            _ => "trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// `zmtp keygen`: a fresh key pair, public then secret.
fn keygen() -> Result<(), String> {
    use std::io::Write;

    let pair = zmtp_security::CurveKeyPair::generate();
    let mut out = std::io::stdout().lock();
    writeln!(out, "public: {}", pair.public())
        .and_then(|()| writeln!(out, "secret: {}", pair.secret().to_z85().as_str()))
        .and_then(|()| out.flush())
        .map_err(|e| format!("keygen: writing standard output: {e}"))
}
