//! `docs/options.md`, generated from the rows.

use super::*;

// ---------------------------------------------------------------------------------------------
// The generated docs table

pub(super) fn when(option: OptionName) -> &'static str {
    match option.effect() {
        OptionEffect::Immediate => "at once, existing connections too",
        OptionEffect::NextConnection => "each connection attached after the change",
        OptionEffect::NextBindOrConnect => "binds and connects made after the change",
        OptionEffect::NextConnectOnly => "the next connect only",
    }
}

pub(super) fn default_of(option: OptionName) -> String {
    if option == OptionName::HeartbeatTimeout {
        // libzmq's default, not the table's (see the row).
        return "-1 (the heartbeat interval; the 4.2 table says 0)".to_owned();
    }
    OPTIONS_TABLE
        .lines()
        .find(|l| l.split('\t').next() == Some(option.zmq_name()))
        .and_then(|l| l.split('\t').nth(3))
        .unwrap_or("")
        .to_owned()
}

pub(super) fn docs_table() -> String {
    let mut out = String::from(
        "# Socket options\n\n\
         Generated from `crates/zmtp-socket/tests/options_conformance/` (which fails when this file\n\
         differs; `ZMTP_BLESS=1 cargo test -p zmtp-socket --test options_conformance` rewrites it).\n\
         Every row of libzmq 4.2's `zmq_setsockopt` table, with libzmq's default; \"when\" is when a\n\
         change on a live socket is used (libzmq's rule, `OptionName::effect`). Each row's test\n\
         (`zmq_<option>` in that file) sets a valid value, reads it back, checks that invalid\n\
         values are refused naming the option, and observes the effect there or in the tests\n\
         named in the last column.\n\n\
         | Option | Default | When a change is used | What it does | Effect observed in |\n\
         |---|---|---|---|---|\n",
    );
    for row in &ROWS {
        let observed = match row.observed {
            Observed::Here => format!("`options_conformance/`: `{}`", test_name(row.option)),
            Observed::In(file, tests) => {
                let file = file.trim_start_matches("../../../");
                let names: Vec<String> = tests.iter().map(|t| format!("`{t}`")).collect();
                format!("`{file}`: {}", names.join(", "))
            }
        };
        let active = if row.option.in_effect() {
            ""
        } else {
            " (not in effect yet)"
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {}{} | {} |\n",
            row.option.zmq_name(),
            default_of(row.option),
            when(row.option),
            row.does,
            active,
            observed
        ));
    }
    out.push_str(HEARTBEATS);
    out
}

/// The section after the table: how the three heartbeat options work together, and which
/// peers get PINGs.
const HEARTBEATS: &str = "
## Heartbeats

Heartbeats are off by default (`ZMQ_HEARTBEAT_IVL` 0), as in libzmq. With an interval set, a
connection sends a PING every interval once its handshake is done, and the peer answers PONG:

- `ZMQ_HEARTBEAT_TIMEOUT`: when nothing at all (a PONG, a message, any traffic) arrives this long
  after a PING, the connection is closed and, on the connecting side, re-made after
  `ZMQ_RECONNECT_IVL` (the monitor reports `DISCONNECTED`). -1 (libzmq's default) means the
  interval itself; 0 turns the timeout off: PINGs still go out, a silent peer is kept.
- `ZMQ_HEARTBEAT_TTL`: carried in our PINGs (whole deciseconds, at most 6553.5 s); the peer
  closes the connection when it hears nothing from us for that long. A PING received with a
  TTL sets the same deadline on our side.
- Both ends may set their own interval; each side's PINGs and timeout are its own.

**ZMTP 3.0 peers get no PINGs**, exactly as with libzmq: PING and PONG are ZMTP 3.1 commands,
so a connection whose peer greeted with version 3.0 (libzmq 4.1, or a 3.0-only implementation)
has no heartbeat timer at all, whatever the interval, and such a peer is never dropped for
silence; a dead 3.0 peer is noticed only by TCP (`ZMQ_TCP_KEEPALIVE`, the `*_KEEPALIVE_*`
options, `ZMQ_TCP_MAXRT`). ZMTP 1.0 and 2.0 peers have no heartbeats either. libzmq 4.2 and
later, and zmtp, speak 3.1. (Observed in `crates/zmtp-codec/tests/heartbeats.rs`:
`a_zmtp_3_0_peer_gets_no_pings`.)
";

#[test]
pub(super) fn the_docs_table_is_generated_from_the_rows() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/options.md");
    let generated = docs_table();
    if std::env::var_os("ZMTP_BLESS").is_some() {
        std::fs::write(path, &generated).expect("write docs/options.md");
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/options.md differs from the rows; run: ZMTP_BLESS=1 cargo test -p zmtp-socket --test options_conformance"
    );
}
