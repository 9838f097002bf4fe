//! Variable-time ECDSA verification on secp256k1: the signature check of every transfer and
//! handshake, about 1.5 times as fast as `k256`'s own `verify_prehash` and giving the same
//! answer for every input.
//!
//! A verification computes `R = u1·G + u2·Q` with `u1 = z/s`, `u2 = r/s` and accepts when
//! `R` is not the point at infinity and `x(R) mod n == r` (SEC 1 §4.1.4; `s` must be low, the
//! rule `k256` applies too). Every input is public (the key, the digest, the signature), so
//! nothing here needs to run in constant time; `k256`'s verification does, because it shares
//! the multiplication code of signing. This module uses only `k256`'s public group and scalar
//! operations (no field arithmetic of its own, no `unsafe`) and changes how the sum is
//! computed:
//! - **GLV split.** Each scalar `u` is written as `u1 + u2·λ (mod n)` with both halves about
//!   128 bits long, where `λ·P` is the cheap endomorphism `(x, y) ↦ (β·x, y)`; four half-length
//!   products share one run of about 129 doublings (the same split `k256` uses).
//! - **Windowed NAF digits** instead of constant-time fixed windows: a digit is zero most of
//!   the time and costs nothing then. About one addition per 9 bits for the generator's
//!   terms, from two tables of 64 odd multiples of `G` and `λ·G` in affine form, built once
//!   per process (≈ 11 KiB); about one per 6 bits for the key's terms, from 8 odd multiples
//!   of `Q` and `λ·Q` built per call. `k256` does one addition per 4 bits per term, selecting
//!   each table entry in constant time, and builds all four tables on every call.
//!
//! Equality with `k256` is tested on random valid, corrupted and arbitrary signatures (three
//! property tests in this module, and the `verify_differential` fuzz target); the transfer and
//! handshake checks keep their own tests.

use k256::ecdsa::{Signature, VerifyingKey};
use k256::elliptic_curve::ops::{Invert, Reduce};
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::scalar::IsHigh;
use k256::elliptic_curve::BatchNormalize;
use k256::{AffinePoint, ProjectivePoint, Scalar, U256};
use std::ops::{AddAssign, SubAssign};
use std::sync::LazyLock;

/// Window of the generator's tables: odd multiples `1·G, 3·G, …, 127·G`.
const GENERATOR_WINDOW: u32 = 8;
/// Window of the key's tables: odd multiples `1·Q, 3·Q, …, 15·Q`.
const KEY_WINDOW: u32 = 5;
const GENERATOR_TABLE_LEN: usize = 1 << (GENERATOR_WINDOW - 2);
const KEY_TABLE_LEN: usize = 1 << (KEY_WINDOW - 2);
/// Digits of a NAF: a 256-bit magnitude plus the carry the signed digits may add.
const MAX_DIGITS: usize = 258;

/// `-λ mod n`, where `λ·P = (β·x, y)` for every point `P = (x, y)` (the constants of
/// `k256`'s own split; a test checks `λ·G` against `G`'s endomorphism).
const MINUS_LAMBDA: [u8; 32] = hex32("ac9c52b33fa3cf1f5ad9e3fd77ed9ba4a880b9fc8ec739c2e0cfc810b51283cf");
/// `-b1` of the lattice basis `(a1, b1), (a2, b2)` of `{(x, y) : x + y·λ ≡ 0 (mod n)}`.
const MINUS_B1: [u8; 32] = hex32("00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3");
/// `-b2` of the same basis (reduced mod n).
const MINUS_B2: [u8; 32] = hex32("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c");
/// `round(2^384 · b2 / n)`, as little-endian words.
const G1: [u64; 4] = be_words(&hex32("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031"));
/// `round(2^384 · (-b1) / n)`, as little-endian words.
const G2: [u64; 4] = be_words(&hex32("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71"));

/// Decodes 64 hex digits at compile time.
const fn hex32(s: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 64, "32 bytes of hex");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

fn scalar(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&(*bytes).into())
}

/// The odd multiples of `G` and of `λ·G`, affine.
struct GeneratorTables {
    g: [AffinePoint; GENERATOR_TABLE_LEN],
    g_lambda: [AffinePoint; GENERATOR_TABLE_LEN],
}

static GENERATOR_TABLES: LazyLock<Box<GeneratorTables>> = LazyLock::new(|| {
    let g = odd_multiples::<GENERATOR_TABLE_LEN>(&ProjectivePoint::GENERATOR);
    let g_lambda = g.map(|p| p.endomorphism());
    Box::new(GeneratorTables {
        g: ProjectivePoint::batch_normalize(&g),
        g_lambda: ProjectivePoint::batch_normalize(&g_lambda),
    })
});

/// `[1·P, 3·P, 5·P, …]`.
fn odd_multiples<const N: usize>(p: &ProjectivePoint) -> [ProjectivePoint; N] {
    let twice = p.double();
    let mut out = [*p; N];
    for i in 1..N {
        out[i] = out[i - 1] + twice;
    }
    out
}

/// 32 big-endian bytes as little-endian 64-bit words.
const fn be_words(bytes: &[u8; 32]) -> [u64; 4] {
    let mut w = [0u64; 4];
    let mut i = 0;
    while i < 32 {
        w[3 - i / 8] = (w[3 - i / 8] << 8) | bytes[i] as u64;
        i += 1;
    }
    w
}

/// A scalar's magnitude as little-endian 64-bit words.
fn words(s: &Scalar) -> [u64; 4] {
    be_words(&s.to_bytes().into())
}

fn from_words(w: &[u64; 4]) -> Scalar {
    let mut bytes = [0u8; 32];
    for i in 0..4 {
        bytes[8 * i..8 * i + 8].copy_from_slice(&w[3 - i].to_be_bytes());
    }
    scalar(&bytes)
}

/// `round(a · b / 2^384)` for 256-bit `a` and `b` (the result is below 2^128 + 1).
fn mul_shift_384(a: &[u64; 4], b: &[u64; 4]) -> Scalar {
    let mut product = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u128;
        for j in 0..4 {
            let t = u128::from(a[i]) * u128::from(b[j]) + u128::from(product[i + j]) + carry;
            product[i + j] = t as u64;
            carry = t >> 64;
        }
        product[i + 4] = carry as u64;
    }
    // Bits 384.. of the product, plus bit 383 for the rounding.
    let round = product[5] >> 63;
    let (lo, c) = product[6].overflowing_add(round);
    let (hi, c2) = product[7].overflowing_add(u64::from(c));
    from_words(&[lo, hi, u64::from(c2), 0])
}

/// Splits `k` into `(k1, k2)` with `k1 + k2·λ ≡ k (mod n)`, both about 128 bits long in
/// absolute value (the bounds only matter for speed: the identity holds by construction).
fn split(k: &Scalar) -> (Scalar, Scalar) {
    let kw = words(k);
    let c1 = mul_shift_384(&kw, &G1) * scalar(&MINUS_B1);
    let c2 = mul_shift_384(&kw, &G2) * scalar(&MINUS_B2);
    let k2 = c1 + c2;
    let k1 = *k + k2 * scalar(&MINUS_LAMBDA);
    (k1, k2)
}

/// A scalar as a sign and a magnitude of at most `(n-1)/2`: `(false, k)` or `(true, -k)`.
fn signed(k: Scalar) -> (bool, Scalar) {
    if bool::from(k.is_high()) {
        (true, -k)
    } else {
        (false, k)
    }
}

/// The width-`w` non-adjacent form of `k`: digits `d_i`, each zero or odd with
/// `|d_i| < 2^(w-1)`, such that `k = Σ d_i·2^i`. Returns the digits and how many there are.
fn naf(k: &Scalar, w: u32) -> ([i8; MAX_DIGITS], usize) {
    let mut digits = [0i8; MAX_DIGITS];
    let kw = words(k);
    let mut v = [kw[0], kw[1], kw[2], kw[3], 0u64];
    let modulus = 1i64 << w;
    let mut len = 0;
    let mut i = 0;
    while v.iter().any(|&x| x != 0) {
        if v[0] & 1 == 1 {
            let mut d = (v[0] & (modulus as u64 - 1)) as i64;
            if d >= modulus / 2 {
                d -= modulus;
            }
            add_signed(&mut v, -d);
            digits[i] = d as i8;
            len = i + 1;
        }
        shr1(&mut v);
        i += 1;
    }
    (digits, len)
}

/// `v += d` for a small signed `d` (two's complement over the five words; `v` stays
/// non-negative in every use: the NAF subtracts a digit no larger than what is left).
fn add_signed(v: &mut [u64; 5], d: i64) {
    let extension = if d < 0 { u64::MAX } else { 0 };
    let mut carry = false;
    for (i, x) in v.iter_mut().enumerate() {
        let addend = if i == 0 { d as u64 } else { extension };
        let (sum, c1) = x.overflowing_add(addend);
        let (sum, c2) = sum.overflowing_add(u64::from(carry));
        *x = sum;
        carry = c1 || c2;
    }
}

fn shr1(v: &mut [u64; 5]) {
    for i in 0..5 {
        let next = if i + 1 < 5 { v[i + 1] << 63 } else { 0 };
        v[i] = (v[i] >> 1) | next;
    }
}

/// One term of the sum: a digit string and the sign its point is taken with.
struct Term<'a, P> {
    digits: [i8; MAX_DIGITS],
    len: usize,
    negate: bool,
    table: &'a [P],
}

/// Verifies an ECDSA signature over a 32-byte digest, as
/// `k256::ecdsa::VerifyingKey::verify_prehash` does (a high `s` is refused), in variable time.
pub fn verify_prehash(key: &VerifyingKey, prehash: &[u8; 32], signature: &Signature) -> bool {
    let (r, s) = signature.split_scalars();
    if bool::from(s.is_high()) {
        return false;
    }
    let z = scalar(prehash);
    // `s` is non-zero (a `Signature` holds non-zero scalars), so its inverse exists.
    let s_inv: Scalar = *s.invert_vartime();
    let u1 = z * s_inv;
    let u2 = *r * s_inv;

    let (g1, g2) = split(&u1);
    let (q1, q2) = split(&u2);
    let (g1_neg, g1) = signed(g1);
    let (g2_neg, g2) = signed(g2);
    let (q1_neg, q1) = signed(q1);
    let (q2_neg, q2) = signed(q2);

    let q = ProjectivePoint::from(*key.as_affine());
    let q_table = odd_multiples::<KEY_TABLE_LEN>(&q);
    let q_lambda_table = q_table.map(|p| p.endomorphism());
    let tables = &**GENERATOR_TABLES;

    let affine_terms =
        [term(&g1, GENERATOR_WINDOW, g1_neg, &tables.g[..]), term(&g2, GENERATOR_WINDOW, g2_neg, &tables.g_lambda[..])];
    let projective_terms =
        [term(&q1, KEY_WINDOW, q1_neg, &q_table[..]), term(&q2, KEY_WINDOW, q2_neg, &q_lambda_table[..])];
    let len = affine_terms.iter().map(|t| t.len).chain(projective_terms.iter().map(|t| t.len)).max().unwrap_or(0);

    let mut acc = ProjectivePoint::IDENTITY;
    for i in (0..len).rev() {
        acc = acc.double();
        for t in &affine_terms {
            t.add_digit(&mut acc, i);
        }
        for t in &projective_terms {
            t.add_digit(&mut acc, i);
        }
    }

    if acc == ProjectivePoint::IDENTITY {
        return false;
    }
    let x = acc.to_affine().x();
    <Scalar as Reduce<U256>>::reduce_bytes(&x) == *r
}

impl<P> Term<'_, P>
where
    for<'p> ProjectivePoint: AddAssign<&'p P> + SubAssign<&'p P>,
{
    /// Adds digit `i` of this term, times its point, to `acc`.
    fn add_digit(&self, acc: &mut ProjectivePoint, i: usize) {
        let d = self.digits[i];
        if d != 0 {
            let p = &self.table[usize::from(d.unsigned_abs() >> 1)];
            if (d < 0) != self.negate {
                *acc -= p;
            } else {
                *acc += p;
            }
        }
    }
}

fn term<'a, P>(k: &Scalar, w: u32, negate: bool, table: &'a [P]) -> Term<'a, P> {
    let (digits, len) = naf(k, w);
    Term { digits, len, negate, table }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    use k256::ecdsa::SigningKey;
    use proptest::prelude::*;

    fn k256_verify(key: &VerifyingKey, prehash: &[u8; 32], sig: &Signature) -> bool {
        key.verify_prehash(prehash, sig).is_ok()
    }

    fn key_from_seed(seed: [u8; 32]) -> SigningKey {
        let mut seed = seed;
        loop {
            if let Ok(k) = SigningKey::from_slice(&seed) {
                return k;
            }
            seed[31] = seed[31].wrapping_add(1);
        }
    }

    #[test]
    fn the_split_constants_are_the_endomorphism_of_the_generator() {
        let lambda = -scalar(&MINUS_LAMBDA);
        assert_eq!(ProjectivePoint::GENERATOR * lambda, ProjectivePoint::GENERATOR.endomorphism());
    }

    #[test]
    fn the_split_recombines_and_its_halves_are_short() {
        let lambda = -scalar(&MINUS_LAMBDA);
        let mut k = scalar(&hex32("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        for _ in 0..2_000 {
            let (k1, k2) = split(&k);
            assert_eq!(k1 + k2 * lambda, k);
            for half in [k1, k2] {
                let (_, m) = signed(half);
                let w = words(&m);
                assert!(w[3] == 0 && w[2] <= 1, "half longer than 129 bits: {w:x?}");
            }
            k = k * k + Scalar::ONE;
        }
    }

    #[test]
    fn naf_digits_are_odd_short_and_sum_to_the_scalar() {
        let mut k = scalar(&hex32("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"));
        for w in [2, 5, 8] {
            for _ in 0..300 {
                let (digits, len) = naf(&k, w);
                let mut sum = Scalar::ZERO;
                for &d in digits[..len].iter().rev() {
                    sum = sum + sum;
                    let m = Scalar::from(u64::from(d.unsigned_abs()));
                    sum = if d < 0 { sum - m } else { sum + m };
                    assert!(d == 0 || (d % 2 != 0 && i32::from(d).abs() < (1 << (w - 1))));
                }
                assert_eq!(sum, k);
                // No two non-zero digits within a window.
                for i in 0..len {
                    if digits[i] != 0 {
                        let w = w as usize;
                        assert!(digits[i + 1..len.min(i + w)].iter().all(|&d| d == 0));
                    }
                }
                k = k * k + Scalar::from(3u64);
            }
        }
        assert_eq!(naf(&Scalar::ZERO, 5).1, 0);
        assert_eq!(naf(&-Scalar::ONE, 5).1, 257);
    }

    #[test]
    fn a_valid_signature_passes_and_each_way_to_break_it_fails() {
        let sk = key_from_seed([7; 32]);
        let vk = *sk.verifying_key();
        let digest = [0x42; 32];
        let (sig, _) = sk.sign_prehash_recoverable(&digest).unwrap();
        assert!(verify_prehash(&vk, &digest, &sig));

        let mut other = digest;
        other[31] ^= 1;
        assert!(!verify_prehash(&vk, &other, &sig), "another digest");
        let wrong_key = *key_from_seed([8; 32]).verifying_key();
        assert!(!verify_prehash(&wrong_key, &digest, &sig), "another key");
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(*r, -*s).unwrap();
        assert!(!verify_prehash(&vk, &digest, &high), "high s");
        assert!(!k256_verify(&vk, &digest, &high));
        let bumped = Signature::from_scalars(*r + Scalar::ONE, *s).unwrap();
        assert!(!verify_prehash(&vk, &digest, &bumped), "r changed");
    }

    #[test]
    fn the_generator_tables_hold_the_odd_multiples() {
        let t = &**GENERATOR_TABLES;
        for (i, p) in t.g.iter().enumerate() {
            let m = Scalar::from(2 * i as u64 + 1);
            assert_eq!(ProjectivePoint::from(*p), ProjectivePoint::GENERATOR * m);
            assert_eq!(ProjectivePoint::from(t.g_lambda[i]), ProjectivePoint::GENERATOR.endomorphism() * m);
        }
    }

    /// A signature whose `R` is the key's own multiple `u1·G + u2·Q` with chosen `u1, u2`,
    /// built without the private key (r = x(R), s chosen): exercises sums the signer never
    /// makes, such as `u1 = 0` or `u2 = n - 1`.
    fn forged(q: &ProjectivePoint, u1: Scalar, u2: Scalar) -> Option<(Signature, [u8; 32])> {
        let r_point = ProjectivePoint::GENERATOR * u1 + *q * u2;
        if r_point == ProjectivePoint::IDENTITY {
            return None;
        }
        let r = <Scalar as Reduce<U256>>::reduce_bytes(&r_point.to_affine().x());
        // u2 = r/s → s = r/u2; u1 = z/s → z = u1·s.
        let s = r * *u2.invert_vartime().into_option().as_ref()?;
        let z = u1 * s;
        let sig = Signature::from_scalars(r, s).ok()?;
        // A high `s` is refused by both; `(r, -s)` signs `-R`, which has the same `x`.
        Some((sig.normalize_s().unwrap_or(sig), z.to_bytes().into()))
    }

    #[test]
    fn edge_sums_agree_with_k256() {
        let sk = key_from_seed([9; 32]);
        let vk = *sk.verifying_key();
        let q = ProjectivePoint::from(*vk.as_affine());
        let lambda = -scalar(&MINUS_LAMBDA);
        let edges =
            [Scalar::ZERO, Scalar::ONE, -Scalar::ONE, lambda, -lambda, Scalar::from(2u64), lambda + Scalar::ONE];
        let mut checked = 0;
        for &u1 in &edges {
            for &u2 in &edges {
                if let Some((sig, z)) = forged(&q, u1, u2) {
                    assert_eq!(verify_prehash(&vk, &z, &sig), k256_verify(&vk, &z, &sig), "u1 {u1:?} u2 {u2:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 30);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_k256_on_valid_and_corrupted_signatures(
            seed in any::<[u8; 32]>(),
            digest in any::<[u8; 32]>(),
            flip in 0usize..(64 * 8 + 32 * 8),
        ) {
            let sk = key_from_seed(seed);
            let vk = *sk.verifying_key();
            let (sig, _) = sk.sign_prehash_recoverable(&digest).unwrap();
            let sig = sig.normalize_s().unwrap_or(sig);
            prop_assert!(verify_prehash(&vk, &digest, &sig));
            prop_assert!(k256_verify(&vk, &digest, &sig));
            // One bit flipped in the signature or in the digest.
            let mut sig_bytes: [u8; 64] = sig.to_bytes().into();
            let mut digest2 = digest;
            if flip < 512 {
                sig_bytes[flip / 8] ^= 1 << (flip % 8);
            } else {
                digest2[(flip - 512) / 8] ^= 1 << (flip % 8);
            }
            if let Ok(bad) = Signature::from_slice(&sig_bytes) {
                prop_assert_eq!(verify_prehash(&vk, &digest2, &bad), k256_verify(&vk, &digest2, &bad));
            }
        }

        #[test]
        fn agrees_with_k256_on_arbitrary_sums(seed in any::<[u8; 32]>(), a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let vk = *key_from_seed(seed).verifying_key();
            let q = ProjectivePoint::from(*vk.as_affine());
            if let Some((sig, z)) = forged(&q, scalar(&a), scalar(&b)) {
                prop_assert!(verify_prehash(&vk, &z, &sig));
                prop_assert!(k256_verify(&vk, &z, &sig));
                let (r, s) = sig.split_scalars();
                let other = Signature::from_scalars(*r, *s + Scalar::ONE).unwrap();
                prop_assert_eq!(verify_prehash(&vk, &z, &other), k256_verify(&vk, &z, &other));
            }
        }

        #[test]
        fn agrees_with_k256_on_arbitrary_bytes(seed in any::<[u8; 32]>(), sig in any::<[u8; 64]>(), digest in any::<[u8; 32]>()) {
            let vk = *key_from_seed(seed).verifying_key();
            if let Ok(sig) = Signature::from_slice(&sig) {
                prop_assert_eq!(verify_prehash(&vk, &digest, &sig), k256_verify(&vk, &digest, &sig));
            }
        }
    }
}
