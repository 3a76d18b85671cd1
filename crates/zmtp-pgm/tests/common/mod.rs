//! Reading the capture fixtures: a comment line (`# +T.TTTs ... TYPE N bytes`) and a hex line
//! per packet.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

/// One captured packet.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    /// Time since the first packet of the capture.
    pub(crate) at: Duration,
    /// The comment line.
    pub(crate) comment: String,
    /// The packet's bytes.
    pub(crate) bytes: Vec<u8>,
}

impl Captured {
    /// The packet type's name in the comment (SPM, ODATA, ...).
    pub(crate) fn kind(&self) -> &str {
        self.comment
            .split_whitespace()
            .rev()
            .nth(2)
            .unwrap_or_default()
    }

    /// Whether it went to the multicast group (rather than by unicast).
    pub(crate) fn to_group(&self) -> bool {
        self.comment.contains("> 239.")
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The packets of a fixture file, after its preamble.
pub(crate) fn load(name: &str) -> Vec<Captured> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut out = Vec::new();
    let mut comment: Option<String> = None;
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# +") {
            comment = Some(line.to_string());
            let secs: f64 = c.split('s').next().unwrap().parse().unwrap();
            out.push(Captured {
                at: Duration::from_micros((secs * 1e6).round() as u64),
                comment: line.to_string(),
                bytes: Vec::new(),
            });
        } else if !line.starts_with('#') && !line.is_empty() {
            assert!(comment.take().is_some(), "hex line without its comment");
            out.last_mut().unwrap().bytes = unhex(line);
        }
    }
    out
}

/// Bytes from a hex string with spaces allowed.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    unhex(&s.replace([' ', '\n'], ""))
}
