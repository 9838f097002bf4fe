//! Proof-of-work search at the CPU's speed: the nonce search of the miner, on the fastest
//! SHA-256 implementation the CPU has, chosen at run time.
//!
//! A header is 96 bytes: SHA-256 compresses its first 64 bytes once per template (the
//! midstate), and each nonce costs one compression of the last block. In that block the words
//! before the nonce's low word (`W0`–`W6`: the end of the Merkle root, the timestamp, the bits
//! and the nonce's high word) do not change while only the low word does, so [`Prepared`] runs
//! rounds 0–6 and the first message-schedule words once, and the kernels
//! ([`kernels`], the crate's only `unsafe` code) run rounds 7–63 for many nonces at once. Every
//! candidate a kernel reports is hashed again with the portable path ([`HeaderHasher`], the
//! `sha2` crate) and compared with the whole target before it is returned: a kernel can slow
//! mining down, never make it return a wrong block.

mod kernels;

use crate::block::{BlockHeader, HeaderHasher};
use crate::hash::{BlockHash, Hash256};
use crate::target::Target;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The SHA-256 round constants.
pub(crate) const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

/// A SHA-256 implementation the miner can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowBackend {
    /// AVX-512F: 16 nonces per register, two registers at a time.
    Avx512,
    /// AVX2: 8 nonces per register, two registers at a time.
    Avx2,
    /// The SHA-NI instructions, two nonces at a time.
    ShaNi,
    /// The `sha2` crate, one nonce at a time: runs on every CPU.
    Portable,
}

/// A backend name that is not one of [`PowBackend::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown proof-of-work backend {0:?}: expected auto, avx512, avx2, sha-ni or portable")]
pub struct UnknownBackend(pub String);

impl PowBackend {
    /// Every backend, fastest first on the CPUs measured (docs/PERFORMANCE.md).
    pub const ALL: [PowBackend; 4] = [PowBackend::Avx512, PowBackend::ShaNi, PowBackend::Avx2, PowBackend::Portable];

    /// Returns the name used in the configuration, `/status` and `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            PowBackend::Avx512 => "avx512",
            PowBackend::Avx2 => "avx2",
            PowBackend::ShaNi => "sha-ni",
            PowBackend::Portable => "portable",
        }
    }

    /// Returns whether this CPU can run the backend.
    pub fn is_supported(self) -> bool {
        match self {
            PowBackend::Portable => true,
            #[cfg(target_arch = "x86_64")]
            PowBackend::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            PowBackend::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            PowBackend::ShaNi => {
                std::arch::is_x86_feature_detected!("sha")
                    && std::arch::is_x86_feature_detected!("sse4.1")
                    && std::arch::is_x86_feature_detected!("ssse3")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Returns the fastest backend this CPU supports.
    pub fn best() -> PowBackend {
        PowBackend::ALL.into_iter().find(|b| b.is_supported()).unwrap_or(PowBackend::Portable)
    }

    /// Returns the backends this CPU supports, fastest first.
    pub fn supported() -> Vec<PowBackend> {
        PowBackend::ALL.into_iter().filter(|b| b.is_supported()).collect()
    }

    /// Parses a configured name: `auto` is [`PowBackend::best`].
    ///
    /// # Errors
    /// [`UnknownBackend`] for any other name.
    pub fn from_config(name: &str) -> Result<PowBackend, UnknownBackend> {
        if name.eq_ignore_ascii_case("auto") || name.is_empty() {
            Ok(PowBackend::best())
        } else {
            name.parse()
        }
    }
}

impl FromStr for PowBackend {
    type Err = UnknownBackend;
    fn from_str(s: &str) -> Result<PowBackend, UnknownBackend> {
        PowBackend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s) || (s.eq_ignore_ascii_case("shani") && *b == PowBackend::ShaNi))
            .ok_or_else(|| UnknownBackend(s.chars().take(32).collect()))
    }
}

impl fmt::Display for PowBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn bsig0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}
fn bsig1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}
fn ssig0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}
fn ssig1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// What the kernels start from for one header and one high nonce word.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The midstate: the state after the header's first 64 bytes.
    pub mid: [u32; 8],
    /// The state after rounds 0–6 of the last block.
    pub state7: [u32; 8],
    /// The last block's message words, the nonce's low word (`W7`) zero.
    pub w: [u32; 16],
    /// Message-schedule words 16–21, which do not depend on `W7`.
    pub w16: [u32; 6],
    /// The target's first (most significant) word.
    pub target_word: u32,
}

impl Prepared {
    fn new(mid: [u32; 8], tail: &[u8; 32], high: u32, target_word: u32) -> Prepared {
        let mut w = [0u32; 16];
        for (i, chunk) in tail.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        w[6] = high;
        w[7] = 0;
        w[8] = 0x8000_0000;
        w[15] = (crate::block::HEADER_LEN as u32) * 8;
        let mut s = mid;
        for i in 0..7 {
            let t1 = s[7]
                .wrapping_add(bsig1(s[4]))
                .wrapping_add((s[4] & s[5]) ^ (!s[4] & s[6]))
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let t2 = bsig0(s[0]).wrapping_add((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
            s = [t1.wrapping_add(t2), s[0], s[1], s[2], s[3].wrapping_add(t1), s[4], s[5], s[6]];
        }
        let mut full = [0u32; 22];
        full[..16].copy_from_slice(&w);
        for i in 16..22 {
            full[i] = ssig1(full[i - 2])
                .wrapping_add(full[i - 7])
                .wrapping_add(ssig0(full[i - 15]))
                .wrapping_add(full[i - 16]);
        }
        let mut w16 = [0u32; 6];
        w16.copy_from_slice(&full[16..22]);
        Prepared { mid, state7: s, w, w16, target_word }
    }
}

/// Searches the nonces of one header on one backend.
#[derive(Clone)]
pub struct NonceSearch {
    backend: PowBackend,
    portable: HeaderHasher,
    mid: [u32; 8],
    tail: [u8; 32],
}

impl NonceSearch {
    /// Prepares `header` (its nonce is ignored) for `backend`; a backend this CPU lacks falls
    /// back to [`PowBackend::Portable`].
    pub fn new(header: &BlockHeader, backend: PowBackend) -> NonceSearch {
        let backend = if backend.is_supported() { backend } else { PowBackend::Portable };
        let portable = HeaderHasher::new(header);
        let bytes = header.encode();
        let mut tail = [0u8; 32];
        tail.copy_from_slice(&bytes[64..96]);
        NonceSearch { backend, mid: portable.midstate(), portable, tail }
    }

    /// Returns the backend in use.
    pub fn backend(&self) -> PowBackend {
        self.backend
    }

    /// Tries the nonces of `range` in order; returns the first that meets `target`, with its
    /// hash (computed again with the portable path).
    pub fn search(&self, target: &Target, range: Range<u64>) -> Option<(u64, BlockHash)> {
        if self.backend == PowBackend::Portable {
            return self.portable.search(target, range);
        }
        let target_bytes = target.to_be_bytes();
        let target_word = u32::from_be_bytes([target_bytes[0], target_bytes[1], target_bytes[2], target_bytes[3]]);
        let mut n = range.start;
        let mut prepared: Option<(u32, Prepared)> = None;
        while n < range.end {
            let high = (n >> 32) as u32;
            let low = n as u32;
            // One call stays within one high word and below 2^31 nonces.
            let next_high = if high == u32::MAX { u64::MAX } else { (u64::from(high) + 1) << 32 };
            let chunk_end = range.end.min(next_high).min(n.saturating_add(1 << 31));
            let count = (chunk_end - n) as u32;
            if prepared.as_ref().is_none_or(|(h, _)| *h != high) {
                prepared = Some((high, Prepared::new(self.mid, &self.tail, high, target_word)));
            }
            let (_, p) = prepared.as_ref()?;
            match self.run_kernel(p, low, count) {
                Some(found_low) => {
                    let nonce = (u64::from(high) << 32) | u64::from(found_low);
                    let hash = self.portable.hash_with_nonce(nonce);
                    if hash < target_bytes {
                        return Some((nonce, BlockHash(Hash256(hash))));
                    }
                    // Its first word only tied the target's, or it was a false report: go on.
                    n = nonce + 1;
                }
                None => n = chunk_end,
            }
        }
        None
    }

    fn run_kernel(&self, p: &Prepared, start: u32, count: u32) -> Option<u32> {
        match self.backend {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `new` keeps a backend only if `is_supported` found its CPU features.
            PowBackend::Avx512 => unsafe_call::avx512(p, start, count),
            #[cfg(target_arch = "x86_64")]
            PowBackend::Avx2 => unsafe_call::avx2(p, start, count),
            #[cfg(target_arch = "x86_64")]
            PowBackend::ShaNi => unsafe_call::shani(p, start, count),
            _ => None,
        }
    }
}

/// The calls into [`kernels`]: each is sound because [`NonceSearch::new`] keeps a backend only
/// when [`PowBackend::is_supported`] found the CPU features its kernel is compiled for.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod unsafe_call {
    use super::{kernels::x86, Prepared};

    pub(super) fn avx512(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        // SAFETY: only reached with PowBackend::Avx512, kept by NonceSearch::new only when
        // is_x86_feature_detected!("avx512f") held.
        unsafe { x86::search_avx512(p, start, count) }
    }

    pub(super) fn avx2(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        // SAFETY: only reached with PowBackend::Avx2, kept only when avx2 was detected.
        unsafe { x86::search_avx2(p, start, count) }
    }

    pub(super) fn shani(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        // SAFETY: only reached with PowBackend::ShaNi, kept only when sha, sse4.1 and ssse3
        // were detected.
        unsafe { x86::search_shani(p, start, count) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Height;
    use crate::block::BLOCK_VERSION;
    use proptest::prelude::*;

    fn header(seed: u64, timestamp: u64) -> BlockHeader {
        let mut root = [0u8; 32];
        root[..8].copy_from_slice(&seed.to_be_bytes());
        root[24..].copy_from_slice(&seed.rotate_left(17).to_le_bytes());
        BlockHeader {
            version: BLOCK_VERSION,
            height: Height(seed % 1_000_000),
            last_hash: BlockHash(Hash256([(seed % 251) as u8; 32])),
            merkle_root: Hash256(root),
            timestamp,
            bits: crate::target::CompactTarget(0x1f00_ffff),
            nonce: 0,
        }
    }

    /// The target whose first word is `word` and the rest all ones.
    fn target_with_word(word: u32) -> Target {
        let mut bytes = [0xffu8; 32];
        bytes[..4].copy_from_slice(&word.to_be_bytes());
        Target::from_be_bytes(&bytes)
    }

    /// Every nonce in `range` whose portable hash meets `target`, the first one.
    fn reference(h: &BlockHeader, target: &Target, range: Range<u64>) -> Option<(u64, BlockHash)> {
        HeaderHasher::new(h).search(target, range)
    }

    #[test]
    fn names_parse_and_the_best_backend_is_supported() {
        for b in PowBackend::ALL {
            assert_eq!(b.name().parse::<PowBackend>(), Ok(b));
        }
        assert!(PowBackend::best().is_supported());
        assert_eq!(PowBackend::from_config("auto"), Ok(PowBackend::best()));
        assert!(PowBackend::from_config("avx1024").is_err());
        assert!(PowBackend::supported().contains(&PowBackend::Portable));
    }

    #[test]
    fn every_backend_finds_what_the_portable_path_finds() {
        for backend in PowBackend::supported() {
            for seed in 0..40u64 {
                let h = header(seed, 1_700_000_000_000 + seed);
                // About one nonce in 256 meets these targets.
                let target = target_with_word(0x00ff_ffff);
                let start = seed * 1_000 + (seed % 7);
                let range = start..start + 3_000;
                let s = NonceSearch::new(&h, backend);
                assert_eq!(s.search(&target, range.clone()), reference(&h, &target, range), "{backend} seed {seed}");
            }
        }
    }

    #[test]
    fn ranges_across_a_high_word_and_odd_ends_are_searched_exactly() {
        let target = target_with_word(0x01ff_ffff);
        for backend in PowBackend::supported() {
            let h = header(99, 1_700_000_123_456);
            for range in [(1u64 << 32) - 37..(1 << 32) + 45, 5..6, 0..1, 1_000..1_017, u64::MAX - 70..u64::MAX] {
                let s = NonceSearch::new(&h, backend);
                assert_eq!(
                    s.search(&target, range.clone()),
                    reference(&h, &target, range.clone()),
                    "{backend} {range:?}"
                );
            }
            // An empty range and an impossible target find nothing.
            let s = NonceSearch::new(&h, backend);
            assert_eq!(s.search(&target, 10..10), None);
            assert_eq!(s.search(&Target::from_be_bytes(&[0u8; 32]), 0..500), None);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn kernels_agree_with_sha2_on_random_headers_and_nonces(
            seed in any::<u64>(), ts in any::<u64>(), start in any::<u64>(), word in any::<u32>()
        ) {
            let h = header(seed, ts);
            let start = start.min(u64::MAX - 600);
            let range = start..start + 512;
            // Targets from "almost nothing passes" to "almost everything passes".
            let target = target_with_word(word >> (word % 32));
            let expected = reference(&h, &target, range.clone());
            for backend in PowBackend::supported() {
                prop_assert_eq!(NonceSearch::new(&h, backend).search(&target, range.clone()), expected, "{}", backend);
            }
        }
    }
}
