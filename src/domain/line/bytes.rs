//! Scanning line bytes many at a time, for the line parser's fast path:
//! where plain string text ends (`first_stop`: sixteen bytes at a time with
//! SSE2 on x86_64, eight with integer arithmetic elsewhere) and eight hex
//! digits at once (`hex_word`). Every line of every load goes through here.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` (little-endian) that is below
/// `limit` (at most 0x80), exact up to its lowest set bit: a borrow only
/// runs upwards, so no byte below the first true one is marked.
fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS
}

/// Bytes that end plain string text: `"`, `\`, a control character.
fn stop_bytes(word: u64) -> u64 {
    bytes_below(word ^ (ONES * u64::from(b'"')), 1)
        | bytes_below(word ^ (ONES * u64::from(b'\\')), 1)
        | bytes_below(word, 0x20)
}

/// The high bit of each byte of `word` that lies in `lo..=hi`; every byte
/// must be below 0x80 (so no sum carries into its neighbour).
fn bytes_within(word: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = word + ONES * u64::from(0x80 - lo);
    let above_hi = word + ONES * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGHS
}

/// Eight lowercase hex digits (the first in the lowest byte) as the four
/// bytes they spell, first digit first; `None` if any byte is not one.
pub(super) fn hex_word(word: u64) -> Option<u32> {
    if word & HIGHS != 0 {
        return None;
    }
    let digits = bytes_within(word, b'0', b'9');
    let letters = bytes_within(word, b'a', b'f');
    if digits | letters != HIGHS {
        return None;
    }
    // Each marked byte as a whole-byte mask; subtracting only inside a
    // mask never borrows (every byte there is at least what is taken).
    let (digit_mask, letter_mask) = ((digits >> 7) * 0xFF, (letters >> 7) * 0xFF);
    let values = ((word & digit_mask) - ((ONES * u64::from(b'0')) & digit_mask))
        | ((word & letter_mask) - ((ONES * u64::from(b'a' - 10)) & letter_mask));
    // Pairs of nibbles (high digit first) into bytes, one per 16-bit lane.
    let lanes = ((values & 0x00FF_00FF_00FF_00FF) << 4) | ((values >> 8) & 0x00FF_00FF_00FF_00FF);
    let byte = |lane: u32| (lanes >> (16 * lane)) as u8;
    Some(u32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]))
}

/// `bytes` as text when every byte is ASCII (nearly every line the tool
/// writes), checked sixteen bytes at a time with SSE2 on x86_64; `None`
/// otherwise, for the full UTF-8 check.
pub(super) fn ascii_text(bytes: &[u8]) -> Option<&str> {
    #[cfg(target_arch = "x86_64")]
    let checked = {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128};
        let chunks = bytes.len() / 16;
        // SAFETY: SSE2 is part of every x86_64 CPU; each load reads 16
        // bytes inside `bytes` (`chunks` whole chunks), unaligned.
        let high_bits = unsafe {
            let at = bytes.as_ptr().cast::<__m128i>();
            let mut any = std::arch::x86_64::_mm_setzero_si128();
            for i in 0..chunks {
                any = _mm_or_si128(any, _mm_loadu_si128(at.add(i)));
            }
            _mm_movemask_epi8(any)
        };
        if high_bits != 0 {
            return None;
        }
        chunks * 16
    };
    #[cfg(not(target_arch = "x86_64"))]
    let checked = 0;
    if !bytes[checked..].is_ascii() {
        return None;
    }
    // SAFETY: every byte is below 0x80, and ASCII is UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// 64 lowercase hex digits as the 32 bytes they spell; `None` if any byte
/// is not one. Sixteen digits at a time with SSE2 on x86_64.
#[cfg(target_arch = "x86_64")]
pub(super) fn hex_32(digits: &[u8; 64]) -> Option<[u8; 32]> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi8, _mm_set1_epi16,
        _mm_slli_epi16, _mm_srli_epi16, _mm_storeu_si128, _mm_sub_epi8,
    };
    let mut out = [0u8; 32];
    // SAFETY: SSE2 is part of every x86_64 CPU; the loads read 16 bytes at
    // offsets 0, 16, 32 and 48 of the 64, the stores write 16 bytes at 0
    // and 16 of the 32, all unaligned.
    unsafe {
        // Sixteen digits as their nibble values, and whether all were digits.
        let nibbles = |at: usize| {
            let chars = _mm_loadu_si128(digits.as_ptr().add(at).cast::<__m128i>());
            let decimal = _mm_sub_epi8(chars, _mm_set1_epi8(b'0' as i8));
            let is_decimal = _mm_cmpeq_epi8(_mm_min_epu8(decimal, _mm_set1_epi8(9)), decimal);
            let letter = _mm_sub_epi8(chars, _mm_set1_epi8(b'a' as i8));
            let is_letter = _mm_cmpeq_epi8(_mm_min_epu8(letter, _mm_set1_epi8(5)), letter);
            let values = _mm_or_si128(
                _mm_and_si128(is_decimal, decimal),
                _mm_and_si128(is_letter, _mm_add_epi8(letter, _mm_set1_epi8(10))),
            );
            let valid = _mm_movemask_epi8(_mm_or_si128(is_decimal, is_letter)) == 0xFFFF;
            // Each 16-bit lane: high digit in its low byte, low digit above.
            let high = _mm_slli_epi16(_mm_and_si128(values, _mm_set1_epi16(0x00FF)), 4);
            (_mm_or_si128(high, _mm_srli_epi16(values, 8)), valid)
        };
        for half in 0..2 {
            let (first, first_valid) = nibbles(32 * half);
            let (second, second_valid) = nibbles(32 * half + 16);
            if !(first_valid && second_valid) {
                return None;
            }
            let packed = _mm_packus_epi16(first, second);
            _mm_storeu_si128(out.as_mut_ptr().add(16 * half).cast::<__m128i>(), packed);
        }
    }
    Some(out)
}

/// `hex_32` eight digits at a time, in plain integer arithmetic.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn hex_32_by_words(digits: &[u8; 64]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    for (four, eight) in out.chunks_exact_mut(4).zip(digits.chunks_exact(8)) {
        let word = u64::from_le_bytes(eight.try_into().ok()?);
        four.copy_from_slice(&hex_word(word)?.to_le_bytes());
    }
    Some(out)
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn hex_32(digits: &[u8; 64]) -> Option<[u8; 32]> {
    hex_32_by_words(digits)
}

/// Where the first byte from `at` on that ends plain string text (see
/// `stop_bytes`) lies, or where fewer than a word's bytes are left.
#[cfg(target_arch = "x86_64")]
pub(super) fn first_stop(bytes: &[u8], mut at: usize) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86_64 CPU; each load reads 16 bytes
    // that lie inside `bytes` (checked just before it), unaligned.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let last_control = _mm_set1_epi8(0x1F);
        while at + 16 <= bytes.len() {
            let chunk = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            // A byte is a control character when min(byte, 0x1F) is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(chunk, last_control), chunk);
            let quoting = _mm_or_si128(
                _mm_cmpeq_epi8(chunk, quote),
                _mm_cmpeq_epi8(chunk, backslash),
            );
            let stops = _mm_movemask_epi8(_mm_or_si128(control, quoting));
            if stops != 0 {
                return at + stops.trailing_zeros() as usize;
            }
            at += 16;
        }
    }
    first_stop_by_words(bytes, at)
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn first_stop(bytes: &[u8], at: usize) -> usize {
    first_stop_by_words(bytes, at)
}

/// `first_stop` eight bytes at a time, in plain integer arithmetic.
fn first_stop_by_words(bytes: &[u8], mut at: usize) -> usize {
    while let Some(word) = bytes.get(at..at + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let stops = stop_bytes(u64::from_le_bytes(eight));
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Text exactly when every byte is ASCII, and then the same text.
        #[test]
        fn ascii_text_is_the_text_of_ascii_bytes(
            mut bytes in proptest::collection::vec(0u8..0x80, 0..100),
            high in proptest::option::of((0usize..100, 0x80u8..=0xFF)),
        ) {
            if let Some((at, byte)) = high {
                let at = at.min(bytes.len());
                bytes.insert(at, byte);
            }
            let expected = bytes.is_ascii().then(|| std::str::from_utf8(&bytes).ok()).flatten();
            prop_assert_eq!(ascii_text(&bytes), expected);
        }

        /// Both readings of 64 digits agree with a pair-by-pair one, on
        /// hex text and on text with a stray byte anywhere.
        #[test]
        fn sixty_four_digits_read_as_pairs_do(
            hash in any::<[u8; 32]>(),
            stray in proptest::option::of((0usize..64, any::<u8>())),
        ) {
            let mut digits = [0u8; 64];
            for (pair, byte) in digits.chunks_exact_mut(2).zip(hash) {
                pair.copy_from_slice(format!("{byte:02x}").as_bytes());
            }
            if let Some((at, byte)) = stray {
                digits[at] = byte;
            }
            let by_pairs: Option<Vec<u8>> = digits
                .chunks_exact(2)
                .map(|pair| {
                    let text = std::str::from_utf8(pair).ok()?;
                    let lower = text.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
                    lower.then(|| u8::from_str_radix(text, 16).ok()).flatten()
                })
                .collect();
            let expected = by_pairs.map(|bytes| <[u8; 32]>::try_from(bytes).unwrap());
            prop_assert_eq!(hex_32(&digits), expected);
            prop_assert_eq!(hex_32_by_words(&digits), expected);
        }

        #[test]
        fn the_first_stop_byte_is_found_eight_at_a_time(word in any::<[u8; 8]>()) {
            let naive = word.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let stops = stop_bytes(u64::from_le_bytes(word));
            let swar = (stops != 0).then(|| (stops.trailing_zeros() / 8) as usize);
            prop_assert_eq!(swar, naive);
        }

        /// Both scans stop where a byte-by-byte look would: at the first
        /// quote, backslash or control byte (never at a byte over 0x7F).
        #[test]
        fn string_scans_stop_at_the_first_stop_byte(
            bytes in proptest::collection::vec(
                prop_oneof![
                    60 => 0x20u8..0x7F,
                    1 => Just(b'"'),
                    1 => Just(b'\\'),
                    1 => 0u8..0x20,
                    10 => 0x80u8..=0xFF,
                ],
                0..80,
            ),
            at in 0usize..80,
        ) {
            let at = at.min(bytes.len());
            let is_stop = |c: &u8| *c == b'"' || *c == b'\\' || *c < 0x20;
            let first = bytes[at..].iter().position(is_stop).map(|p| at + p);
            for scan in [first_stop, first_stop_by_words] {
                let stopped = scan(&bytes, at);
                prop_assert!(stopped >= at && stopped <= bytes.len());
                match first {
                    // A scan may stop short of a stop byte only where too
                    // few bytes are left to read a word.
                    Some(p) => prop_assert!(stopped == p || (stopped < p && bytes.len() - stopped < 16)),
                    None => prop_assert!(bytes[at..stopped].iter().all(|c| !is_stop(c)) && bytes.len() - stopped < 16),
                }
            }
        }
    }
}
