//! `greeting_decoder`: the peer's greeting on its own, read whole and in fuzzed pieces.
//!
//! Input: `[chunk seed, bytes...]`. Properties: both readings report the same stages in the same
//! order and the same error; the decoder never consumes more than the 64 greeting bytes nor past
//! a decision; what it consumed is a prefix of the input; a completed greeting carries the
//! bytes at their offsets; a valid ZMTP 3.x greeting always completes.

use zmtp_codec::greeting::{GreetingDecoder, GreetingStage, GreetingWriter, GREETING_LEN};
use zmtp_codec::{GreetingError, MechanismName};

use crate::ChunkSizes;

/// What one reading of the input produced.
#[derive(Debug, PartialEq, Eq)]
struct Reading {
    stages: Vec<GreetingStage>,
    error: Option<GreetingError>,
    consumed: usize,
}

/// Feeds `input` in pieces of the sizes `sizes` gives (all at once without), collecting every
/// stage reported until an error, a final stage or the end of the input.
fn read(input: &[u8], mut sizes: Option<ChunkSizes>) -> Reading {
    let mut decoder = GreetingDecoder::new();
    let mut stages = Vec::new();
    let mut at = 0;
    loop {
        let n = match &mut sizes {
            Some(s) => s.next_size(),
            None => input.len(),
        };
        let end = (at + n).min(input.len());
        let mut piece = &input[at..end];
        loop {
            match decoder.decode(&mut piece) {
                Err(error) => {
                    let consumed = at + (end - at - piece.len());
                    assert_eq!(decoder.bytes_read(), &input[..consumed]);
                    return Reading {
                        stages,
                        error: Some(error),
                        consumed,
                    };
                }
                Ok(GreetingStage::NeedMore) => {
                    assert!(
                        piece.is_empty() || decoder.bytes_read().len() == GREETING_LEN,
                        "NeedMore with input left before the greeting is whole"
                    );
                    break;
                }
                Ok(stage) => {
                    let last =
                        matches!(stage, GreetingStage::Complete(_) | GreetingStage::Legacy(_));
                    stages.push(stage);
                    if last {
                        let consumed = at + (end - at - piece.len());
                        return Reading {
                            stages,
                            error: None,
                            consumed,
                        };
                    }
                }
            }
        }
        at = end;
        assert_eq!(decoder.bytes_read(), &input[..at]);
        if at == input.len() {
            return Reading {
                stages,
                error: None,
                consumed: at,
            };
        }
    }
}

/// Runs one fuzz input.
pub fn greeting_decoder(data: &[u8]) {
    let [seed, input @ ..] = data else {
        return;
    };
    let whole = read(input, None);
    let pieces = read(input, Some(ChunkSizes::new(*seed)));
    assert_eq!(whole, pieces, "whole and piecewise readings differ");
    assert!(whole.consumed <= GREETING_LEN);

    // Stages come in order, each once, and agree with the bytes.
    let rank = |s: &GreetingStage| match s {
        GreetingStage::NeedMore => unreachable!("NeedMore is never collected"),
        GreetingStage::Signature => 1,
        GreetingStage::Major(_) => 2,
        GreetingStage::Complete(_) | GreetingStage::Legacy(_) => 3,
    };
    for pair in whole.stages.windows(2) {
        assert!(rank(&pair[0]) < rank(&pair[1]), "stages out of order");
    }
    for stage in &whole.stages {
        match stage {
            GreetingStage::Major(major) => {
                assert_eq!(*major, input[10]);
                assert!(*major >= 2, "a ZMTP 1.0/2.0 major reported as 3.x");
            }
            GreetingStage::Complete(g) => {
                assert_eq!(whole.consumed, GREETING_LEN);
                assert_eq!(g.major, input[10]);
                assert_eq!(g.minor, input[11]);
                assert_eq!(g.as_server, input[32] != 0);
                let name = g.mechanism.as_padded();
                assert_eq!(&name[..], &input[12..32]);
            }
            _ => {}
        }
    }
    if let Some(GreetingError::NotZmtp { offset, byte }) = whole.error {
        assert!(offset < whole.consumed, "an error about a byte not read");
        assert_eq!(input[offset], byte, "the error names another byte");
    }

    // Our own greeting, for every mechanism and with the fuzzer's bytes after it, completes.
    let mechanism = [
        MechanismName::NULL,
        MechanismName::PLAIN,
        MechanismName::CURVE,
        MechanismName::GSSAPI,
    ][usize::from(*seed) % 4];
    let mut valid = GreetingWriter::new(mechanism, usize::from(*seed))
        .as_bytes()
        .to_vec();
    valid.extend_from_slice(input);
    let ours = read(&valid, Some(ChunkSizes::new(seed.wrapping_add(1))));
    assert_eq!(ours.error, None);
    assert_eq!(ours.consumed, GREETING_LEN);
    assert!(matches!(
        ours.stages.as_slice(),
        [GreetingStage::Signature, GreetingStage::Major(3), GreetingStage::Complete(g)]
            if g.mechanism == mechanism
    ));
}
