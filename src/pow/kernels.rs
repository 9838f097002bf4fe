//! The vector SHA-256 kernels of the miner: the only `unsafe` code of the crate. Each kernel
//! hashes the last 64-byte block of a header under many nonces at once, starting from a state
//! prepared by [`super::Prepared`] (midstate, and the rounds before the nonce word), and reports
//! the first nonce whose hash's first word is at most the target's first word (a candidate the
//! caller checks in full with the portable path).
//!
//! - AVX-512F: 16 nonces per register, two registers interleaved (32 per step).
//! - AVX2: 8 nonces per register, two registers interleaved (16 per step).
//! - SHA-NI: the SHA-256 instructions, two nonces interleaved.
//!
//! Every function here is `unsafe` only because it uses instructions the CPU must have: callers
//! check with `is_x86_feature_detected!` first (in [`super::PowBackend::is_supported`]).

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use super::super::{Prepared, K};
    use std::arch::x86_64::*;

    /// The rounds from 7 to 63 over `G` groups of vectors, and the candidate check: one macro so
    /// the AVX-512 and AVX2 kernels are the same code over their own operations. `$i` is a
    /// literal in every expansion, so every array index is a constant and the state and message
    /// window live in registers.
    macro_rules! search_rounds {
        ($p:ident, $start:ident, $count:ident, $V:ty, $LANES:expr, $G:expr,
         set1: $set1:path, add: $add:path, ssig0: $ssig0:path, ssig1: $ssig1:path,
         bsig0: $bsig0:path, bsig1: $bsig1:path, ch: $ch:path, maj: $maj:path,
         lanes: $lanes:expr, le_mask: $le:path) => {{
            let lane_offsets: $V = $lanes;
            let t0 = $p.target_word;
            let mid0 = $set1($p.mid[0]);
            let end = u64::from($start) + u64::from($count);
            let mut lo = u64::from($start);
            while lo < end {
                let mut s: [[$V; 8]; $G] = [[$set1(0); 8]; $G];
                let mut w: [[$V; 16]; $G] = [[$set1(0); 16]; $G];
                for g in 0..$G {
                    // The state after round 6 sits where round 7 expects it (a = s[1], ...).
                    for k in 0..8 {
                        s[g][(k + 1) % 8] = $set1($p.state7[k]);
                    }
                    for k in 0..16 {
                        w[g][k] = $set1($p.w[k]);
                    }
                    let base = (lo as u32).wrapping_add((g * $LANES) as u32);
                    w[g][7] = $add($set1(base), lane_offsets);
                }
                macro_rules! round {
                    ($i:literal) => {
                        for g in 0..$G {
                            let wi = if $i >= 22 {
                                let v = $add(
                                    $add($ssig1(w[g][($i - 2) & 15]), w[g][($i - 7) & 15]),
                                    $add($ssig0(w[g][($i - 15) & 15]), w[g][($i - 16) & 15]),
                                );
                                w[g][$i & 15] = v;
                                $add(v, $set1(K[$i]))
                            } else if $i >= 16 {
                                w[g][$i & 15] = $set1($p.w16[$i - 16]);
                                $set1($p.w16[$i - 16].wrapping_add(K[$i]))
                            } else if $i >= 8 {
                                $set1($p.w[$i & 15].wrapping_add(K[$i]))
                            } else {
                                $add(w[g][$i & 15], $set1(K[$i]))
                            };
                            let (ia, ib, ic, id) = ((64 - $i) % 8, (65 - $i) % 8, (66 - $i) % 8, (67 - $i) % 8);
                            let (ie, iff, ig, ih) = ((68 - $i) % 8, (69 - $i) % 8, (70 - $i) % 8, (71 - $i) % 8);
                            let t1 =
                                $add($add(s[g][ih], $bsig1(s[g][ie])), $add($ch(s[g][ie], s[g][iff], s[g][ig]), wi));
                            let t2 = $add($bsig0(s[g][ia]), $maj(s[g][ia], s[g][ib], s[g][ic]));
                            s[g][id] = $add(s[g][id], t1);
                            s[g][ih] = $add(t1, t2);
                        }
                    };
                }
                round!(7);
                round!(8);
                round!(9);
                round!(10);
                round!(11);
                round!(12);
                round!(13);
                round!(14);
                round!(15);
                round!(16);
                round!(17);
                round!(18);
                round!(19);
                round!(20);
                round!(21);
                round!(22);
                round!(23);
                round!(24);
                round!(25);
                round!(26);
                round!(27);
                round!(28);
                round!(29);
                round!(30);
                round!(31);
                round!(32);
                round!(33);
                round!(34);
                round!(35);
                round!(36);
                round!(37);
                round!(38);
                round!(39);
                round!(40);
                round!(41);
                round!(42);
                round!(43);
                round!(44);
                round!(45);
                round!(46);
                round!(47);
                round!(48);
                round!(49);
                round!(50);
                round!(51);
                round!(52);
                round!(53);
                round!(54);
                round!(55);
                round!(56);
                round!(57);
                round!(58);
                round!(59);
                round!(60);
                round!(61);
                round!(62);
                round!(63);
                for g in 0..$G {
                    // After round 63, a is s[0]: the hash's first word is a + midstate[0].
                    let h0 = $add(s[g][0], mid0);
                    let mask: u32 = $le(h0, t0);
                    if mask != 0 {
                        let first = lo + (g * $LANES) as u64 + u64::from(mask.trailing_zeros());
                        if first < end {
                            return Some(first as u32);
                        }
                    }
                }
                lo += ($G * $LANES) as u64;
            }
            None
        }};
    }

    // --- AVX-512F -------------------------------------------------------------------------------

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_set1(x: u32) -> __m512i {
        _mm512_set1_epi32(x as i32)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_add(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi32(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(a, b, c)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_ssig0(x: __m512i) -> __m512i {
        z_xor3(_mm512_ror_epi32::<7>(x), _mm512_ror_epi32::<18>(x), _mm512_srli_epi32::<3>(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_ssig1(x: __m512i) -> __m512i {
        z_xor3(_mm512_ror_epi32::<17>(x), _mm512_ror_epi32::<19>(x), _mm512_srli_epi32::<10>(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_bsig0(x: __m512i) -> __m512i {
        z_xor3(_mm512_ror_epi32::<2>(x), _mm512_ror_epi32::<13>(x), _mm512_ror_epi32::<22>(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_bsig1(x: __m512i) -> __m512i {
        z_xor3(_mm512_ror_epi32::<6>(x), _mm512_ror_epi32::<11>(x), _mm512_ror_epi32::<25>(x))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_ch(e: __m512i, f: __m512i, g: __m512i) -> __m512i {
        // e ? f : g
        _mm512_ternarylogic_epi32::<0xCA>(e, f, g)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_maj(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0xE8>(a, b, c)
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn z_le(h: __m512i, t: u32) -> u32 {
        u32::from(_mm512_cmple_epu32_mask(h, z_set1(t)))
    }

    /// Searches `count` low nonce words from `start` with AVX-512F.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn search_avx512(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        search_rounds!(p, start, count, __m512i, 16, 2,
            set1: z_set1, add: z_add, ssig0: z_ssig0, ssig1: z_ssig1, bsig0: z_bsig0, bsig1: z_bsig1,
            ch: z_ch, maj: z_maj,
            lanes: _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            le_mask: z_le)
    }

    // --- AVX2 -----------------------------------------------------------------------------------

    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_set1(x: u32) -> __m256i {
        _mm256_set1_epi32(x as i32)
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_add(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_ror<const R: i32, const L: i32>(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_srli_epi32::<R>(x), _mm256_slli_epi32::<L>(x))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        _mm256_xor_si256(_mm256_xor_si256(a, b), c)
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_ssig0(x: __m256i) -> __m256i {
        y_xor3(y_ror::<7, 25>(x), y_ror::<18, 14>(x), _mm256_srli_epi32::<3>(x))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_ssig1(x: __m256i) -> __m256i {
        y_xor3(y_ror::<17, 15>(x), y_ror::<19, 13>(x), _mm256_srli_epi32::<10>(x))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_bsig0(x: __m256i) -> __m256i {
        y_xor3(y_ror::<2, 30>(x), y_ror::<13, 19>(x), y_ror::<22, 10>(x))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_bsig1(x: __m256i) -> __m256i {
        y_xor3(y_ror::<6, 26>(x), y_ror::<11, 21>(x), y_ror::<25, 7>(x))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_ch(e: __m256i, f: __m256i, g: __m256i) -> __m256i {
        _mm256_xor_si256(g, _mm256_and_si256(e, _mm256_xor_si256(f, g)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_maj(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    fn y_le(h: __m256i, t: u32) -> u32 {
        // Unsigned h <= t as a signed comparison of both with the sign bit flipped.
        let flip = y_set1(0x8000_0000);
        let gt = _mm256_cmpgt_epi32(_mm256_xor_si256(h, flip), _mm256_xor_si256(y_set1(t), flip));
        !(_mm256_movemask_ps(_mm256_castsi256_ps(gt)) as u32) & 0xff
    }

    /// Searches `count` low nonce words from `start` with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn search_avx2(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        search_rounds!(p, start, count, __m256i, 8, 2,
            set1: y_set1, add: y_add, ssig0: y_ssig0, ssig1: y_ssig1, bsig0: y_bsig0, bsig1: y_bsig1,
            ch: y_ch, maj: y_maj,
            lanes: _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            le_mask: y_le)
    }

    // --- SHA-NI ---------------------------------------------------------------------------------

    /// One SHA-256 compression of 16 message words from `state` with the SHA instructions,
    /// for two independent messages interleaved; returns the first word of each new state.
    /// The 16 four-round steps are written out (one macro expansion each), so every index is a
    /// constant and both messages' state and schedule stay in registers.
    #[inline]
    #[target_feature(enable = "sha,sse4.1,ssse3")]
    fn shani_first_words_x2(state: &[u32; 8], msgs: &[[u32; 16]; 2]) -> [u32; 2] {
        // The instructions hold the state as ABEF and CDGH (A in the highest lane).
        let abef = _mm_set_epi32(state[0] as i32, state[1] as i32, state[4] as i32, state[5] as i32);
        let cdgh = _mm_set_epi32(state[2] as i32, state[3] as i32, state[6] as i32, state[7] as i32);
        let (mut a0, mut c0, mut a1, mut c1) = (abef, cdgh, abef, cdgh);
        let load = |w: &[u32; 16], q: usize| {
            _mm_set_epi32(w[q * 4 + 3] as i32, w[q * 4 + 2] as i32, w[q * 4 + 1] as i32, w[q * 4] as i32)
        };
        let mut x = [load(&msgs[0], 0), load(&msgs[0], 1), load(&msgs[0], 2), load(&msgs[0], 3)];
        let mut y = [load(&msgs[1], 0), load(&msgs[1], 1), load(&msgs[1], 2), load(&msgs[1], 3)];
        macro_rules! step {
            ($r:literal) => {
                let k =
                    _mm_set_epi32(K[$r * 4 + 3] as i32, K[$r * 4 + 2] as i32, K[$r * 4 + 1] as i32, K[$r * 4] as i32);
                if $r >= 4 {
                    let tx = _mm_add_epi32(
                        _mm_sha256msg1_epu32(x[$r % 4], x[($r + 1) % 4]),
                        _mm_alignr_epi8::<4>(x[($r + 3) % 4], x[($r + 2) % 4]),
                    );
                    let ty = _mm_add_epi32(
                        _mm_sha256msg1_epu32(y[$r % 4], y[($r + 1) % 4]),
                        _mm_alignr_epi8::<4>(y[($r + 3) % 4], y[($r + 2) % 4]),
                    );
                    x[$r % 4] = _mm_sha256msg2_epu32(tx, x[($r + 3) % 4]);
                    y[$r % 4] = _mm_sha256msg2_epu32(ty, y[($r + 3) % 4]);
                }
                let kx = _mm_add_epi32(x[$r % 4], k);
                let ky = _mm_add_epi32(y[$r % 4], k);
                c0 = _mm_sha256rnds2_epu32(c0, a0, kx);
                c1 = _mm_sha256rnds2_epu32(c1, a1, ky);
                a0 = _mm_sha256rnds2_epu32(a0, c0, _mm_shuffle_epi32::<0x0E>(kx));
                a1 = _mm_sha256rnds2_epu32(a1, c1, _mm_shuffle_epi32::<0x0E>(ky));
            };
        }
        step!(0);
        step!(1);
        step!(2);
        step!(3);
        step!(4);
        step!(5);
        step!(6);
        step!(7);
        step!(8);
        step!(9);
        step!(10);
        step!(11);
        step!(12);
        step!(13);
        step!(14);
        step!(15);
        // a0 and a1 hold ABEF again after every pair of rounds: A is their highest lane.
        [
            (_mm_extract_epi32::<3>(a0) as u32).wrapping_add(state[0]),
            (_mm_extract_epi32::<3>(a1) as u32).wrapping_add(state[0]),
        ]
    }

    /// Searches `count` low nonce words from `start` with the SHA instructions.
    ///
    /// # Safety
    /// The CPU must support SHA, SSE4.1 and SSSE3.
    #[target_feature(enable = "sha,sse4.1,ssse3")]
    pub unsafe fn search_shani(p: &Prepared, start: u32, count: u32) -> Option<u32> {
        let end = u64::from(start) + u64::from(count);
        let mut lo = u64::from(start);
        while lo < end {
            let mut msgs = [p.w; 2];
            msgs[0][7] = lo as u32;
            msgs[1][7] = (lo as u32).wrapping_add(1);
            let h = shani_first_words_x2(&p.mid, &msgs);
            for (i, h0) in h.iter().enumerate() {
                let n = lo + i as u64;
                if *h0 <= p.target_word && n < end {
                    return Some(n as u32);
                }
            }
            lo += 2;
        }
        None
    }
}
