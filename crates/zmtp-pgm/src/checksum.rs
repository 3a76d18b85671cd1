//! The PGM checksum (RFC 3208 section 8): the 16-bit one's complement of the one's complement
//! sum of the whole PGM packet (header, type-specific part, options and data) with the checksum
//! field set to zero. There is no pseudo-header, over UDP or raw IP alike.
//!
//! OpenPGM folds the sum as `sum == 0xffff ? 0xffff : !sum`, so a packet whose complemented sum
//! would be zero (the value meaning "no checksum") carries `0xffff` instead.

/// The unfolded one's complement sum of `data` (big-endian 16-bit words, an odd last byte
/// padded with zero), added to `initial`.
fn sum(data: &[u8], initial: u32) -> u32 {
    let mut acc = u64::from(initial);
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        acc += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    while acc > 0xffff {
        acc = (acc >> 16) + (acc & 0xffff);
    }
    // Folded to 16 bits just above.
    u32::try_from(acc).unwrap_or(u32::MAX)
}

/// Folds an unfolded sum to the transmitted checksum, as OpenPGM's `pgm_csum_fold`.
fn fold(sum: u32) -> u16 {
    let mut s = (sum >> 16) + (sum & 0xffff);
    s += s >> 16;
    let s = (s & 0xffff) as u16;
    if s == 0xffff {
        s
    } else {
        !s
    }
}

/// The checksum of a PGM packet whose checksum field (bytes 6 and 7) is taken as zero,
/// whatever it holds. `packet` must be at least 8 bytes long, or the whole of it is summed.
pub fn pgm_checksum(packet: &[u8]) -> u16 {
    if packet.len() < 8 {
        return fold(sum(packet, 0));
    }
    let head = sum(&packet[..6], 0);
    fold(sum(&packet[8..], head))
}

/// The standard Internet checksum (RFC 1071) of `data`, for an IPv4 header.
pub(crate) fn internet_checksum(data: &[u8]) -> u16 {
    // `sum` folds to 16 bits.
    !u16::try_from(sum(data, 0)).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data, 0), 0xddf2);
        assert_eq!(internet_checksum(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum(&[0x12, 0x34, 0x56], 0), 0x1234 + 0x5600);
    }

    #[test]
    fn a_zero_result_is_sent_as_all_ones() {
        // Words summing to 0xffff complement to 0, which would mean "no checksum".
        let packet = [0xff, 0xff, 0, 0, 0, 0, 0xab, 0xcd];
        assert_eq!(pgm_checksum(&packet), 0xffff);
        let packet = [0xff, 0xfe, 0, 0, 0, 0, 0, 0];
        assert_eq!(pgm_checksum(&packet), 0x0001);
    }

    #[test]
    fn the_checksum_field_is_ignored() {
        let a = [1, 2, 3, 4, 5, 6, 0, 0, 9, 10];
        let b = [1, 2, 3, 4, 5, 6, 0xaa, 0xbb, 9, 10];
        assert_eq!(pgm_checksum(&a), pgm_checksum(&b));
    }
}
