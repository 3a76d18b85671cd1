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
            Observed::Here => format!("`options_conformance/main.rs`: `{}`", test_name(row.option)),
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
    out
}

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
