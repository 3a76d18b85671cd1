//! CURVE (RFC 25 and 26, CurveZMQ), as libzmq speaks it: a handshake that authenticates the
//! server by its long-term key and the client by its own (vouched for with transient keys), then
//! every frame sealed in a MESSAGE command with perfect forward secrecy.
//!
//! ```text
//! C: HELLO    05 "HELLO" 01 00 [72 zeros] C' nonce Box[64 zeros](C'->S)           200 bytes
//! S: WELCOME  07 "WELCOME" nonce16 Box[S' + cookie](S->C')                          168 bytes
//! C: INITIATE 08 "INITIATE" cookie nonce Box[C + vouch + metadata](C'->S')         >= 257 bytes
//! S: READY    05 "READY" nonce Box[metadata](S'->C')                                >= 30 bytes
//! both: MESSAGE 07 "MESSAGE" nonce Box[flags + payload]                             >= 33 bytes
//! ```
//! Where RFC 26 and libzmq differ, this follows libzmq: 72 bytes of HELLO padding, MESSAGE nonce
//! prefixes `CurveZMQMESSAGEC` / `CurveZMQMESSAGES`, an inner flags byte that also carries
//! COMMAND, short nonces starting at 1 on each side, and MESSAGE carried in an ordinary frame
//! (no COMMAND flag on the outer frame; either kind is read). The server fails HELLO and INITIATE without
//! an ERROR command; it sends ERROR only for a ZAP refusal (400, 500). Boxes are NaCl's
//! (Curve25519, XSalsa20, Poly1305); `src/curve/boxes.rs` says how they are built.

mod boxes;
mod client;
mod nonce;
mod secretbox;
mod server;
mod session;
#[cfg(feature = "curve-sodium")]
mod sodium;
mod wire;

pub use client::CurveClient;
pub use server::CurveServer;

/// Not part of the API: a box key for the per-box cost measurements (`examples/box_cost.rs`,
/// `benches/README.md`): the XSalsa20-Poly1305 seal and open every CURVE MESSAGE uses, in place
/// on `tag || text`, under the short nonce `CurveZMQMESSAGEC` + `n` (its subkey derived once, as
/// a connection's is).
#[doc(hidden)]
pub struct BenchBox(boxes::MessageKey);

impl std::fmt::Debug for BenchBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BenchBox(..)")
    }
}

impl BenchBox {
    /// The box under `key`.
    pub fn new(key: &[u8; 32]) -> BenchBox {
        BenchBox(boxes::BoxKey::from_bytes(key).with_prefix(nonce::MESSAGE_C))
    }

    /// Seals `buf[16..]` in place, its tag into `buf[..16]`; `false` if it could not. Never inlined, so that a profiler
    /// can count it alone.
    #[inline(never)]
    pub fn seal(&self, n: u64, buf: &mut [u8]) -> bool {
        self.0.seal_in_place(n, buf).is_ok()
    }

    /// Opens what [`BenchBox::seal`] sealed, in place; `false` if it does not open.
    #[inline(never)]
    pub fn open(&self, n: u64, buf: &mut [u8]) -> bool {
        self.0.open_in_place(n, buf).is_ok()
    }
}

/// The box lengths the every-length tests check, up to `max`: all of them in an optimized build;
/// in a debug build (over 20 minutes for all), every one to 2,048 (each alignment of Salsa20's
/// 64-byte blocks and Poly1305's 16-byte ones, and their 4-block batches), every 97th to
/// 65,408, and every one from there to `max`.
#[cfg(test)]
pub(crate) fn lengths_to_check(max: usize) -> Vec<usize> {
    if cfg!(debug_assertions) {
        (0..=2048)
            .chain((2049..=65_408).step_by(97))
            .chain(65_409..=max)
            .collect()
    } else {
        (0..=max).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::BenchBox;

    /// The measurement box seals and opens MESSAGE boxes for real (a cost measured on a box that
    /// does nothing would mean nothing), refuses what does not open, and hides its key.
    #[test]
    fn the_bench_box_seals_and_opens_for_real() {
        let key = BenchBox::new(&[7u8; 32]);
        let text = b"hello";
        let mut buf = [[0u8; 16].as_slice(), text].concat();
        assert!(key.seal(3, &mut buf), "a tag and a text seal");
        assert_ne!(&buf[16..], text, "sealed in place");
        let mut wrong_nonce = buf.clone();
        assert!(
            !key.open(4, &mut wrong_nonce),
            "another nonce does not open it"
        );
        assert!(key.open(3, &mut buf), "its own nonce opens it");
        assert_eq!(&buf[16..], text);
        assert!(!key.seal(0, &mut [0u8; 15]), "no room for the tag");
        assert!(!key.open(0, &mut [0u8; 15]), "shorter than a tag");
        assert_eq!(format!("{key:?}"), "BenchBox(..)");
    }
}
