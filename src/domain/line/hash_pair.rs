//! SHA-256 of two lines at once (`hash_pair`), for full reads of the log.
//!
//! With the x86 SHA extensions each pair of rounds waits for the one before,
//! so one message leaves the unit idle much of the time. Two independent
//! messages, round for round, keep it busier: 280-byte lines hash in about
//! 0.8 of the time (`cargo run --release --example hashspeed`; figures in
//! BENCHMARKS.md, "Issue 12, third round"). The lines of the chain are
//! independent until their hashes are compared, so a full read hashes them
//! in pairs. Without the extensions it is two `hash_line`s.

use super::{LineHash, hash_line};

/// The SHA-256 of `a` and of `b`: exactly `(hash_line(a), hash_line(b))`.
pub fn hash_pair(a: &[u8], b: &[u8]) -> (LineHash, LineHash) {
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        return shani::hash_pair(a, b);
    }
    (hash_line(a), hash_line(b))
}

/// A message cut into SHA-256's 64-byte blocks: its whole blocks where it
/// lies, then its last bytes with the padding (one block, or two when the
/// bit length does not fit after them).
#[cfg(target_arch = "x86_64")]
struct Blocks<'a> {
    whole: &'a [[u8; 64]],
    padded: [[u8; 64]; 2],
    padded_count: usize,
}

#[cfg(target_arch = "x86_64")]
impl<'a> Blocks<'a> {
    fn of(message: &'a [u8]) -> Self {
        let (whole, rest) = message.as_chunks::<64>();
        let mut padded = [[0u8; 64]; 2];
        let tail = padded.as_flattened_mut();
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        let padded_count = if rest.len() + 9 <= 64 { 1 } else { 2 };
        let bits = (message.len() as u64).wrapping_mul(8);
        tail[padded_count * 64 - 8..padded_count * 64].copy_from_slice(&bits.to_be_bytes());
        Blocks {
            whole,
            padded,
            padded_count,
        }
    }

    fn len(&self) -> usize {
        self.whole.len() + self.padded_count
    }

    fn get(&self, i: usize) -> &[u8; 64] {
        match self.whole.get(i) {
            Some(block) => block,
            None => &self.padded[i - self.whole.len()],
        }
    }
}

#[cfg(target_arch = "x86_64")]
const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

#[cfg(target_arch = "x86_64")]
fn digest_of(state: &[u32; 8]) -> LineHash {
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod shani {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi32,
        _mm_set_epi64x, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
        _mm_shuffle_epi8, _mm_shuffle_epi32, _mm_storeu_si128,
    };

    use super::{Blocks, INITIAL, LineHash, digest_of};
    use sha2::block_api::compress256;

    pub fn available() -> bool {
        static AVAILABLE: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
            is_x86_feature_detected!("sha")
                && is_x86_feature_detected!("sse4.1")
                && is_x86_feature_detected!("ssse3")
        });
        *AVAILABLE
    }

    pub fn hash_pair(a: &[u8], b: &[u8]) -> (LineHash, LineHash) {
        let (a, b) = (Blocks::of(a), Blocks::of(b));
        let (mut state_a, mut state_b) = (INITIAL, INITIAL);
        let both = a.len().min(b.len());
        // SAFETY: `available()` said the CPU has every feature these need.
        unsafe { compress_both(&mut state_a, &mut state_b, &a, &b, both) };
        for i in both..a.len() {
            compress256(&mut state_a, std::slice::from_ref(a.get(i)));
        }
        for i in both..b.len() {
            compress256(&mut state_b, std::slice::from_ref(b.get(i)));
        }
        (digest_of(&state_a), digest_of(&state_b))
    }

    /// The state as the SHA instructions hold it: (a, b, e, f), (c, d, g, h).
    struct Lanes {
        abef: __m128i,
        cdgh: __m128i,
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load(state: &[u32; 8]) -> Lanes {
        // SAFETY: two unaligned 16-byte loads inside the 32-byte state.
        let (dcba, efgh) = unsafe {
            let at = state.as_ptr().cast::<__m128i>();
            (_mm_loadu_si128(at), _mm_loadu_si128(at.add(1)))
        };
        let cdab = _mm_shuffle_epi32::<0xB1>(dcba);
        let efgh = _mm_shuffle_epi32::<0x1B>(efgh);
        Lanes {
            abef: _mm_alignr_epi8::<8>(cdab, efgh),
            cdgh: _mm_blend_epi16::<0xF0>(efgh, cdab),
        }
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn store(lanes: Lanes, state: &mut [u32; 8]) {
        let feba = _mm_shuffle_epi32::<0x1B>(lanes.abef);
        let dchg = _mm_shuffle_epi32::<0xB1>(lanes.cdgh);
        let dcba = _mm_blend_epi16::<0xF0>(feba, dchg);
        let hgef = _mm_alignr_epi8::<8>(dchg, feba);
        // SAFETY: two unaligned 16-byte stores inside the 32-byte state.
        unsafe {
            let at = state.as_mut_ptr().cast::<__m128i>();
            _mm_storeu_si128(at, dcba);
            _mm_storeu_si128(at.add(1), hgef);
        }
    }

    /// Four rounds of each message: words `wa` of one, `wb` of the other.
    macro_rules! rounds {
        ($a:ident, $b:ident, $wa:expr, $wb:expr, $quad:expr) => {{
            let k = round_constants($quad);
            let (wa, wb) = (_mm_add_epi32($wa, k), _mm_add_epi32($wb, k));
            $a.cdgh = _mm_sha256rnds2_epu32($a.cdgh, $a.abef, wa);
            $b.cdgh = _mm_sha256rnds2_epu32($b.cdgh, $b.abef, wb);
            $a.abef = _mm_sha256rnds2_epu32($a.abef, $a.cdgh, _mm_shuffle_epi32::<0x0E>(wa));
            $b.abef = _mm_sha256rnds2_epu32($b.abef, $b.cdgh, _mm_shuffle_epi32::<0x0E>(wb));
        }};
    }

    /// The next four words of each schedule (in place of the oldest four),
    /// then their four rounds.
    macro_rules! schedule_rounds {
        ($a:ident, $b:ident, [$a0:ident, $a1:ident, $a2:ident, $a3:ident],
         [$b0:ident, $b1:ident, $b2:ident, $b3:ident], $quad:expr) => {{
            $a0 = next_words($a0, $a1, $a2, $a3);
            $b0 = next_words($b0, $b1, $b2, $b3);
            rounds!($a, $b, $a0, $b0, $quad);
        }};
    }

    /// Sixteen rounds from quad `$q` on: each of the four words in turn is
    /// the oldest, and gives way to the next.
    macro_rules! schedule_sixteen_rounds {
        ($a:ident, $b:ident, [$a0:ident, $a1:ident, $a2:ident, $a3:ident],
         [$b0:ident, $b1:ident, $b2:ident, $b3:ident], $q:expr) => {{
            schedule_rounds!($a, $b, [$a0, $a1, $a2, $a3], [$b0, $b1, $b2, $b3], $q);
            schedule_rounds!($a, $b, [$a1, $a2, $a3, $a0], [$b1, $b2, $b3, $b0], $q + 1);
            schedule_rounds!($a, $b, [$a2, $a3, $a0, $a1], [$b2, $b3, $b0, $b1], $q + 2);
            schedule_rounds!($a, $b, [$a3, $a0, $a1, $a2], [$b3, $b0, $b1, $b2], $q + 3);
        }};
    }

    /// The first `count` blocks of `a` into `state_a` and of `b` into
    /// `state_b`, a round of one beside the same round of the other. Written
    /// out round for round: a loop over the schedule kept the words in
    /// memory and was slower than one message at a time.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn compress_both(
        state_a: &mut [u32; 8],
        state_b: &mut [u32; 8],
        a: &Blocks<'_>,
        b: &Blocks<'_>,
        count: usize,
    ) {
        let (mut lanes_a, mut lanes_b) = (load(state_a), load(state_b));
        for i in 0..count {
            let (saved_a, saved_b) = ((lanes_a.abef, lanes_a.cdgh), (lanes_b.abef, lanes_b.cdgh));
            let [mut a0, mut a1, mut a2, mut a3] = message_words(a.get(i));
            let [mut b0, mut b1, mut b2, mut b3] = message_words(b.get(i));
            rounds!(lanes_a, lanes_b, a0, b0, 0);
            rounds!(lanes_a, lanes_b, a1, b1, 1);
            rounds!(lanes_a, lanes_b, a2, b2, 2);
            rounds!(lanes_a, lanes_b, a3, b3, 3);
            schedule_sixteen_rounds!(lanes_a, lanes_b, [a0, a1, a2, a3], [b0, b1, b2, b3], 4);
            schedule_sixteen_rounds!(lanes_a, lanes_b, [a0, a1, a2, a3], [b0, b1, b2, b3], 8);
            schedule_sixteen_rounds!(lanes_a, lanes_b, [a0, a1, a2, a3], [b0, b1, b2, b3], 12);
            lanes_a.abef = _mm_add_epi32(lanes_a.abef, saved_a.0);
            lanes_a.cdgh = _mm_add_epi32(lanes_a.cdgh, saved_a.1);
            lanes_b.abef = _mm_add_epi32(lanes_b.abef, saved_b.0);
            lanes_b.cdgh = _mm_add_epi32(lanes_b.cdgh, saved_b.1);
        }
        store(lanes_a, state_a);
        store(lanes_b, state_b);
    }

    /// A block as four vectors of big-endian words.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn message_words(block: &[u8; 64]) -> [__m128i; 4] {
        let big_endian = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        let at = block.as_ptr().cast::<__m128i>();
        // SAFETY: four unaligned 16-byte loads inside the 64-byte block.
        let loaded = unsafe {
            [
                _mm_loadu_si128(at),
                _mm_loadu_si128(at.add(1)),
                _mm_loadu_si128(at.add(2)),
                _mm_loadu_si128(at.add(3)),
            ]
        };
        [
            _mm_shuffle_epi8(loaded[0], big_endian),
            _mm_shuffle_epi8(loaded[1], big_endian),
            _mm_shuffle_epi8(loaded[2], big_endian),
            _mm_shuffle_epi8(loaded[3], big_endian),
        ]
    }

    /// The four schedule words after `w0 … w3` (the sixteen before them).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn next_words(w0: __m128i, w1: __m128i, w2: __m128i, w3: __m128i) -> __m128i {
        _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8::<4>(w3, w2)),
            w3,
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn round_constants(quad: usize) -> __m128i {
        let k = &K[4 * quad..4 * quad + 4];
        _mm_set_epi32(k[3] as i32, k[2] as i32, k[1] as i32, k[0] as i32)
    }

    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_length_around_the_block_edges_hashes_as_alone() {
        let text: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for len_a in (0..200).chain([255, 256, 257, 319, 320, 321, 400]) {
            let len_b = (len_a * 3 + 11) % 400;
            let (a, b) = (&text[..len_a], &text[400 - len_b..]);
            assert_eq!(
                hash_pair(a, b),
                (hash_line(a), hash_line(b)),
                "{len_a} {len_b}"
            );
            assert_eq!(
                hash_pair(b, a),
                (hash_line(b), hash_line(a)),
                "{len_b} {len_a}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn a_pair_hashes_as_each_alone(
            a in proptest::collection::vec(any::<u8>(), 0..700),
            b in proptest::collection::vec(any::<u8>(), 0..700),
        ) {
            prop_assert_eq!(hash_pair(&a, &b), (hash_line(&a), hash_line(&b)));
        }
    }
}
