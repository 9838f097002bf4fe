//! Fuzz target: the node's variable-time ECDSA check (`ecdsa_check::verify_prehash`) against
//! `k256`'s own `verify_prehash`, which must give the same answer for every key, digest and
//! signature.
//!
//! The input's first byte picks how the signature is made from the rest: (0) the bytes as they
//! are (almost always invalid); (1) a real signature by a key from the input over the input's
//! digest, then changed as the input says (a bit flipped in `r`, `s` or the digest, or `s`
//! negated); (2) a signature built without the private key for chosen `u1·G + u2·Q`, which
//! reaches sums a signer never makes (`u1 = 0`, `u2 = n - 1`, ...).

#![no_main]

use bitcoin_rust_core::ecdsa_check;
use bitcoin_rust_fuzz::take;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{Signature, SigningKey};
use k256::elliptic_curve::ops::{Invert, Reduce};
use k256::elliptic_curve::point::AffineCoordinates;
use k256::{ProjectivePoint, Scalar, U256};
use libfuzzer_sys::fuzz_target;

fn scalar(bytes: [u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&bytes.into())
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let [mode] = take::<1>(&mut data);
    let mut seed = take::<32>(&mut data);
    seed[0] &= 0x7f; // below n, so most seeds are keys
    let Ok(sk) = SigningKey::from_slice(&seed) else { return };
    let vk = *sk.verifying_key();
    let mut digest = take::<32>(&mut data);
    let sig = match mode % 3 {
        0 => match Signature::from_slice(&take::<64>(&mut data)) {
            Ok(sig) => sig,
            Err(_) => return,
        },
        1 => {
            let (sig, _) = sk.sign_prehash_recoverable(&digest).expect("a 32-byte digest signs");
            let sig = sig.normalize_s().unwrap_or(sig);
            let [how, at] = take::<2>(&mut data);
            let mut bytes: [u8; 64] = sig.to_bytes().into();
            match how % 4 {
                0 => {}
                1 => bytes[usize::from(at) % 64] ^= 1 << (how >> 5),
                2 => digest[usize::from(at) % 32] ^= 1 << (how >> 5),
                _ => {
                    let (r, s) = sig.split_scalars();
                    bytes = Signature::from_scalars(*r, -*s).expect("non-zero").to_bytes().into();
                }
            }
            match Signature::from_slice(&bytes) {
                Ok(sig) => sig,
                Err(_) => return,
            }
        }
        _ => {
            let u1 = scalar(take::<32>(&mut data));
            let u2 = scalar(take::<32>(&mut data));
            let q = ProjectivePoint::from(*vk.as_affine());
            let point = ProjectivePoint::GENERATOR * u1 + q * u2;
            if point == ProjectivePoint::IDENTITY {
                return;
            }
            let r = <Scalar as Reduce<U256>>::reduce_bytes(&point.to_affine().x());
            let Some(u2_inv) = Option::<Scalar>::from(u2.invert_vartime()) else { return };
            let s = r * u2_inv;
            digest = (u1 * s).to_bytes().into();
            match Signature::from_scalars(r, s) {
                Ok(sig) => sig.normalize_s().unwrap_or(sig),
                Err(_) => return,
            }
        }
    };
    let expected = vk.verify_prehash(&digest, &sig).is_ok();
    assert_eq!(
        ecdsa_check::verify_prehash(&vk, &digest, &sig),
        expected,
        "key {seed:02x?}, digest {digest:02x?}, {sig:?}"
    );
});
