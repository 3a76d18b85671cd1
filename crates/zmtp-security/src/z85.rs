//! Z85 (RFC 32): the text form of CURVE keys, 4 bytes to 5 printable characters.
//!
//! A thin wrapper around the `z85` crate that gives it RFC 32's strictness. That crate (3.x)
//! extends Z85 with padding for lengths that are not a multiple of 4, marked by a final group
//! starting with `#`; RFC 32 and libzmq have no padding, and a group starting with `#` (digit 84)
//! is always above 2^32 - 1. So encoding refuses lengths that are not a multiple of 4 before
//! calling it, and decoding never hands it a final group that starts with `#`.

/// The 85 characters of the alphabet, in digit order.
pub const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Why a Z85 conversion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Z85Error {
    /// Binary input must come in whole 4-byte groups.
    #[error("Z85 encodes whole 4-byte groups: {len} bytes is not a multiple of 4")]
    EncodeLength {
        /// The input length.
        len: usize,
    },
    /// Text input must come in whole 5-character groups.
    #[error("Z85 text comes in 5-character groups: {len} characters is not a multiple of 5")]
    DecodeLength {
        /// The input length, in bytes.
        len: usize,
    },
    /// A byte that is not one of the 85 characters of the alphabet.
    #[error("byte {byte:#04x} at offset {offset} is not a Z85 character")]
    InvalidChar {
        /// The offending byte.
        byte: u8,
        /// Its offset in the input.
        offset: usize,
    },
    /// A 5-character group whose value exceeds 2^32 - 1.
    #[error("the Z85 group at offset {offset} is above 2^32 - 1")]
    Overflow {
        /// The offset of the group's first character.
        offset: usize,
    },
}

/// Encodes `data`, whose length must be a multiple of 4 (libzmq's `zmq_z85_encode`).
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if !data.len().is_multiple_of(4) {
        return Err(Z85Error::EncodeLength { len: data.len() });
    }
    Ok(z85::encode(data))
}

/// Decodes Z85 text, given as `&str` or bytes (libzmq's `zmq_z85_decode`, without its C-string
/// detail of stopping at a NUL).
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_ref();
    if text.len() % 5 != 0 {
        return Err(Z85Error::DecodeLength { len: text.len() });
    }
    // The crate would read a final group starting with '#' as its padding marker.
    let tail = text.len().checked_sub(5).filter(|&at| text[at] == b'#');
    let Some(tail) = tail else {
        return z85::decode(text).map_err(|e| map_error(e, 0));
    };
    z85::decode(&text[..tail]).map_err(|e| map_error(e, 0))?;
    // Report a bad character in the rest of that group first, as a plain decode would: check
    // it with the leading '#' replaced by a digit that cannot overflow.
    let mut group = [0u8; 5];
    group.copy_from_slice(&text[tail..]);
    group[0] = b'0';
    z85::decode(group).map_err(|e| map_error(e, tail))?;
    Err(Z85Error::Overflow { offset: tail })
}

fn map_error(e: z85::DecodeError, base: usize) -> Z85Error {
    match e {
        z85::DecodeError::InvalidByte(offset, byte) => Z85Error::InvalidChar {
            byte,
            offset: base + offset,
        },
        z85::DecodeError::InvalidChunk(offset) => Z85Error::Overflow {
            offset: base + offset,
        },
        z85::DecodeError::InvalidLength(len) => Z85Error::DecodeLength { len },
        // Unreachable: no final group starting with '#' is passed on.
        z85::DecodeError::InvalidTail => Z85Error::Overflow { offset: base },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_matches_the_crate() {
        let encoded: Vec<u8> = (0u32..85)
            .map(|digit| {
                let text = z85::encode(digit.to_be_bytes());
                text.as_bytes()[4]
            })
            .collect();
        assert_eq!(&encoded[..], &ALPHABET[..]);
    }

    #[test]
    fn hash_group_in_the_middle_is_overflow_too() {
        assert_eq!(
            decode("#0000HelloWorld"),
            Err(Z85Error::Overflow { offset: 0 })
        );
        assert_eq!(
            decode("Hello#0000World"),
            Err(Z85Error::Overflow { offset: 5 })
        );
    }
}
