//! Proof-of-work targets and the difficulty rule.
//!
//! - [`Target`]: a 256-bit number; a block is valid work when its hash, read as a big-endian
//!   integer, is **below** its target.
//! - [`CompactTarget`]: the 32-bit form stored in the header (Bitcoin's `nBits` layout without
//!   the sign bit: one exponent byte, three mantissa bytes).
//! - [`Work`]: the expected number of hashes of a block, `floor(2^256 / (target + 1))`; the best
//!   chain is the one with the most cumulative work.
//! - [`next_target`]: the retarget rule, an absolutely scheduled exponential rule (aserti3 as in
//!   Bitcoin Cash, anchored at block 1) over a [`ScheduleClock`] that only counts bounded forward
//!   progress of time, bounded to a factor of 5/4 per block.
//! - [`median_time_past`]: the median of the last 11 timestamps.

use crate::amount::Height;
use crate::params::NetworkParams;
use primitive_types::{U256, U512};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The easiest target of any network: one leading zero hex digit (`2^252`).
pub fn pow_limit() -> Target {
    Target(U256::one() << 252)
}

/// The per-block bound of the retarget rule: a target changes by at most 5/4 up or 4/5 down.
pub const MAX_STEP_NUMERATOR: u64 = 5;
/// See [`MAX_STEP_NUMERATOR`].
pub const MAX_STEP_DENOMINATOR: u64 = 4;

/// How many past timestamps the median-time rule looks at.
pub const MEDIAN_TIME_SPAN: usize = 11;

/// A proof-of-work target.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target(pub U256);

/// The 32-bit compact encoding of a target.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CompactTarget(pub u32);

/// Accumulated proof of work (expected hashes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Work(pub U256);

/// Why compact bits do not encode a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    /// The mantissa's top bit is set (a negative number in Bitcoin's encoding).
    #[error("compact target {0:#010x} has its sign bit set")]
    Negative(u32),
    /// The value does not fit in 256 bits.
    #[error("compact target {0:#010x} overflows 256 bits")]
    Overflow(u32),
    /// The value is zero.
    #[error("compact target {0:#010x} is zero")]
    Zero(u32),
}

impl CompactTarget {
    /// Decodes the target.
    ///
    /// # Errors
    /// [`CompactError`] if the bits are negative, zero or over 256 bits.
    pub fn to_target(self) -> Result<Target, CompactError> {
        let bits = self.0;
        let exponent = bits >> 24;
        let mantissa = bits & 0x00ff_ffff;
        if mantissa & 0x0080_0000 != 0 {
            return Err(CompactError::Negative(bits));
        }
        let value = if exponent <= 3 {
            U256::from(mantissa >> (8 * (3 - exponent)))
        } else {
            let shift = 8 * (exponent - 3);
            let mantissa_bits = 32 - mantissa.leading_zeros();
            if mantissa != 0 && mantissa_bits + shift > 256 {
                return Err(CompactError::Overflow(bits));
            }
            U256::from(mantissa) << shift
        };
        if value.is_zero() {
            return Err(CompactError::Zero(bits));
        }
        Ok(Target(value))
    }
}

impl fmt::Debug for CompactTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl fmt::Display for CompactTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl Target {
    /// Returns the target of `d` leading zero hex digits: `2^(256 - 4d)`, for `1 <= d <= 63`.
    pub fn from_leading_zero_hex_digits(d: u32) -> Target {
        let d = d.clamp(1, 63);
        Target(U256::one() << (256 - 4 * d as usize))
    }

    /// Returns the compact encoding, rounding the mantissa down to 23 bits.
    pub fn to_compact(self) -> CompactTarget {
        let mut size = (self.0.bits() as u32).div_ceil(8);
        let mut mantissa: u32 = if size <= 3 {
            (self.0.low_u64() << (8 * (3 - size))) as u32
        } else {
            (self.0 >> (8 * (size - 3) as usize)).low_u32()
        };
        if mantissa & 0x0080_0000 != 0 {
            mantissa >>= 8;
            size += 1;
        }
        CompactTarget((size << 24) | mantissa)
    }

    /// Returns the target rounded through its compact form (what a header can hold).
    pub fn rounded(self) -> Target {
        self.to_compact().to_target().unwrap_or(Target(U256::one()))
    }

    /// Reads a target from its 32 big-endian bytes.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Target {
        Target(U256::from_big_endian(bytes))
    }

    /// Returns the big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.0.to_big_endian(&mut out);
        out
    }

    /// Returns true when `hash` (read as a big-endian integer) is below the target.
    pub fn is_met_by(&self, hash: &[u8; 32]) -> bool {
        U256::from_big_endian(hash) < self.0
    }

    /// Returns the work of a block with this target: `floor(2^256 / (target + 1))`.
    pub fn work(&self) -> Work {
        if self.0 == U256::MAX {
            return Work(U256::one());
        }
        Work((!self.0 / (self.0 + U256::one())) + U256::one())
    }

    /// Returns the difficulty as a number of leading zero hex digits, with a fraction:
    /// `log16(2^256 / target)`. Shown in the JSON `difficulty` field; never used by consensus.
    pub fn difficulty(&self) -> f64 {
        (256.0 - log2_u256(self.0)) / 4.0
    }

    /// Returns the target as 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_be_bytes())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.to_hex())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn log2_u256(v: U256) -> f64 {
    let bits = v.bits();
    if bits == 0 {
        return 0.0;
    }
    if bits <= 53 {
        return (v.low_u64() as f64).log2();
    }
    let shift = bits - 53;
    ((v >> shift).low_u64() as f64).log2() + shift as f64
}

impl Work {
    /// Returns `self + other`. Cumulative work of any real chain stays far below `2^256`; the
    /// sum is capped at `U256::MAX` rather than wrapping, which keeps fork choice monotonic.
    pub fn saturating_add(self, other: Work) -> Work {
        Work(self.0.checked_add(other.0).unwrap_or(U256::MAX))
    }

    /// Parses a decimal string as sent on the wire (`HELLO.total_work`): 1 to 78 ASCII digits
    /// whose value fits in 256 bits; `None` for anything else.
    pub fn from_decimal(text: &str) -> Option<Work> {
        if text.is_empty() || text.len() > 78 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        U256::from_dec_str(text).ok().map(Work)
    }

    /// Returns the work as a decimal string (it can exceed `u64`).
    pub fn to_decimal(&self) -> String {
        self.0.to_string()
    }

    /// Returns the big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.0.to_big_endian(&mut out);
        out
    }

    /// Reads big-endian bytes.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Work {
        Work(U256::from_big_endian(bytes))
    }
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Work({})", self.0)
    }
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The initial target of a network (from `DIFFICULTY`), already in compact-rounded form.
pub fn initial_target(params: &NetworkParams) -> Target {
    Target::from_leading_zero_hex_digits(params.initial_difficulty).rounded()
}

/// The largest solve time one block can add to the schedule clock, in block intervals.
pub const MAX_SOLVE_TIME_INTERVALS: u64 = 6;

/// The schedule clock of a branch: how much time has passed since block 1 (the anchor), counted
/// only as forward progress of the highest timestamp seen and at most
/// [`MAX_SOLVE_TIME_INTERVALS`] intervals per block. A miner who lies about time therefore
/// gains at most a few intervals: the anchor's own timestamp and timestamps that go back and
/// forth cannot make the chain look far behind its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduleClock {
    /// Counted time since block 1, ms.
    pub elapsed_ms: u64,
    /// The highest timestamp of the branch so far, ms.
    pub max_timestamp_ms: u64,
}

impl ScheduleClock {
    /// Returns the clock of genesis.
    pub fn genesis(timestamp_ms: u64) -> ScheduleClock {
        ScheduleClock { elapsed_ms: 0, max_timestamp_ms: timestamp_ms }
    }

    /// Returns the clock of a child at `height` with `timestamp_ms`.
    pub fn advance(&self, height: Height, timestamp_ms: u64, params: &NetworkParams) -> ScheduleClock {
        if height.0 <= 1 {
            return ScheduleClock { elapsed_ms: 0, max_timestamp_ms: timestamp_ms };
        }
        let cap = params.mine_rate_ms.saturating_mul(MAX_SOLVE_TIME_INTERVALS);
        let step = timestamp_ms.saturating_sub(self.max_timestamp_ms).min(cap);
        ScheduleClock {
            elapsed_ms: self.elapsed_ms.saturating_add(step),
            max_timestamp_ms: self.max_timestamp_ms.max(timestamp_ms),
        }
    }
}

/// What the retarget rule needs to know of the parent of a new block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetargetPoint {
    /// The block's height.
    pub height: Height,
    /// The block's target.
    pub target: Target,
    /// The branch's schedule clock at this block.
    pub clock: ScheduleClock,
}

/// Returns the target a child of `parent` must carry.
///
/// Blocks 1 and 2 carry the initial target. From then on, with `p` the parent's height:
///
/// ```text
/// exponent = floor((parent.clock.elapsed - MINE_RATE * (p - 1)) * 65536
///                  / (MINE_RATE * half_life))                       (16.16 fixed point)
/// target   = initial * 2^(exponent / 65536)                         (cubic approximation)
/// ```
///
/// then bounded to `[parent.target * 4/5, parent.target * 5/4]`, to `[1, pow_limit]`, and rounded
/// through the compact encoding.
pub fn next_target(params: &NetworkParams, parent: &RetargetPoint) -> Target {
    let initial = initial_target(params);
    if parent.height.0 == 0 || params.fixed_difficulty {
        return initial;
    }
    let rate = params.mine_rate_ms as i128;
    let half_life = params.retarget_half_life_blocks as i128;
    let time_delta = parent.clock.elapsed_ms as i128;
    let height_delta = parent.height.0 as i128 - 1;
    let exponent = ((time_delta - rate * height_delta) * 65_536).div_euclid(rate * half_life);
    let shifts = exponent >> 16;
    let frac = (exponent & 0xffff) as u128;
    let factor: u128 = 65_536
        + ((195_766_423_245_049u128 * frac
            + 971_821_376u128 * frac * frac
            + 5_127u128 * frac * frac * frac
            + (1u128 << 47))
            >> 48);
    let limit = U512::from(pow_limit().0);
    let mut next = U512::from(initial.0) * U512::from(factor);
    let total_shift = shifts - 16;
    next = if total_shift >= 0 {
        if total_shift >= 256 {
            limit
        } else {
            let shifted = next << (total_shift as usize);
            if (shifted >> (total_shift as usize)) != next {
                limit
            } else {
                shifted
            }
        }
    } else if -total_shift >= 512 {
        U512::zero()
    } else {
        next >> ((-total_shift) as usize)
    };
    let parent_target = U512::from(parent.target.0);
    let lo = parent_target * U512::from(MAX_STEP_DENOMINATOR) / U512::from(MAX_STEP_NUMERATOR);
    let hi = parent_target * U512::from(MAX_STEP_NUMERATOR) / U512::from(MAX_STEP_DENOMINATOR);
    next = next.clamp(lo, hi).min(limit).max(U512::one());
    let narrowed = U256::try_from(next).unwrap_or(pow_limit().0);
    Target(narrowed).rounded()
}

/// Returns the median of up to the last [`MEDIAN_TIME_SPAN`] timestamps (the upper middle for an
/// even count). `timestamps` are the parent's and its ancestors', newest first.
pub fn median_time_past(timestamps: &[u64]) -> u64 {
    let mut window: Vec<u64> = timestamps.iter().take(MEDIAN_TIME_SPAN).copied().collect();
    if window.is_empty() {
        return 0;
    }
    window.sort_unstable();
    window[window.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn compact_round_trip_of_initial_targets() {
        for d in 1..=60 {
            let t = Target::from_leading_zero_hex_digits(d);
            assert_eq!(t.to_compact().to_target().unwrap(), t, "difficulty {d}");
            assert!((t.difficulty() - d as f64).abs() < 1e-9);
        }
        assert_eq!(Target::from_leading_zero_hex_digits(4).to_compact().0, 0x1f01_0000);
    }

    #[test]
    fn compact_decoding_refuses_bad_bits() {
        assert_eq!(CompactTarget(0x1f80_0000).to_target(), Err(CompactError::Negative(0x1f80_0000)));
        assert_eq!(CompactTarget(0x2200_0100).to_target(), Err(CompactError::Overflow(0x2200_0100)));
        assert_eq!(CompactTarget(0x1f00_0000).to_target(), Err(CompactError::Zero(0x1f00_0000)));
        assert_eq!(CompactTarget(0x0300_0001).to_target().unwrap().0, U256::one());
    }

    #[test]
    fn work_is_expected_hashes() {
        let t = Target::from_leading_zero_hex_digits(4);
        assert_eq!(t.work().0, U256::from(65_535u64));
        assert!(Target::from_leading_zero_hex_digits(5).work() > t.work());
    }

    #[test]
    fn target_comparison_is_strict_and_big_endian() {
        let t = Target::from_leading_zero_hex_digits(1);
        let mut h = [0u8; 32];
        h[0] = 0x0f;
        assert!(t.is_met_by(&h));
        h[0] = 0x10;
        assert!(!t.is_met_by(&h));
    }

    #[test]
    fn median_time_past_uses_the_last_eleven() {
        assert_eq!(median_time_past(&[5]), 5);
        assert_eq!(median_time_past(&[3, 1, 2]), 2);
        let ts: Vec<u64> = (0..20).rev().collect();
        assert_eq!(median_time_past(&ts), 14);
    }

    fn point(height: u64, elapsed: u64, target: Target) -> RetargetPoint {
        let clock = ScheduleClock { elapsed_ms: elapsed, max_timestamp_ms: 0 };
        RetargetPoint { height: Height(height), target, clock }
    }

    #[test]
    fn on_schedule_keeps_the_target_and_bounds_hold() {
        let p = NetworkParams::default();
        let init = initial_target(&p);
        let parent = point(11, 10 * p.mine_rate_ms, init);
        assert_eq!(next_target(&p, &parent), init);
        // Far behind schedule: easier, but at most 5/4 per block.
        let slow = point(2, 1_000 * p.mine_rate_ms, init);
        let t = next_target(&p, &slow);
        assert!(t > init);
        assert!(t.0 <= init.0 * 5 / 4);
        // Far ahead of schedule: harder, but at most 4/5 per block.
        let fast = point(100, 0, init);
        let t = next_target(&p, &fast);
        assert!(t < init);
        // Compact rounding keeps at least 16 significant bits.
        assert!(t.0 >= init.0 * 4 / 5 - (init.0 >> 15));
        // Children of genesis use the initial target.
        assert_eq!(next_target(&p, &point(0, 0, init)), init);
    }

    #[test]
    fn the_schedule_clock_counts_only_bounded_forward_progress() {
        let p = NetworkParams::default();
        let t = p.mine_rate_ms;
        let g = ScheduleClock::genesis(0);
        // Block 1 resets the clock whatever its timestamp.
        let c1 = g.advance(Height(1), 5, &p);
        assert_eq!(c1, ScheduleClock { elapsed_ms: 0, max_timestamp_ms: 5 });
        // A huge jump counts as at most six intervals.
        let c2 = c1.advance(Height(2), 5 + 1_000 * t, &p);
        assert_eq!(c2.elapsed_ms, 6 * t);
        // Going back in time counts nothing, and coming forward again only counts past the max.
        let c3 = c2.advance(Height(3), 10, &p);
        assert_eq!(c3.elapsed_ms, 6 * t);
        let c4 = c3.advance(Height(4), 5 + 1_000 * t + t, &p);
        assert_eq!(c4.elapsed_ms, 7 * t);
    }

    /// Simulates mining with the real rule: a virtual clock, a seeded RNG drawing exponential
    /// solve times whose mean follows from the current target and the hash rate.
    fn simulate(seed: u64, blocks: usize, hashrate_of: impl Fn(usize) -> f64) -> (Vec<f64>, Vec<f64>) {
        let p = NetworkParams::default();
        let mut rng = SmallRng::seed_from_u64(seed);
        let init = initial_target(&p);
        // Hash rate 1.0 means "solves the initial target in MINE_RATE on average".
        let mut parent = RetargetPoint { height: Height(0), target: init, clock: ScheduleClock::genesis(0) };
        let mut intervals = Vec::new();
        let mut ratios = Vec::new();
        let mut clock = 10_000_000u64;
        for i in 0..blocks {
            let target = next_target(&p, &parent);
            let rel = log2_u256(target.0) - log2_u256(init.0); // log2(target / initial)
            let rate = hashrate_of(i);
            let mean = p.mine_rate_ms as f64 / (rate * 2f64.powf(rel));
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            let dt = -mean * u.ln();
            clock += dt.round().max(1.0) as u64;
            let height = Height(parent.height.0 + 1);
            if height.0 > 1 {
                intervals.push(dt);
            }
            ratios.push(rate * 2f64.powf(rel)); // 1.0 = difficulty matches hash rate
            parent = RetargetPoint { height, target, clock: parent.clock.advance(height, clock, &p) };
        }
        (intervals, ratios)
    }

    #[test]
    fn steady_hash_rate_keeps_the_mean_interval_within_ten_percent() {
        let rate = NetworkParams::default().mine_rate_ms as f64;
        for seed in 0..40 {
            let (intervals, _) = simulate(seed, 402, |_| 1.0);
            for window in [&intervals[..200], &intervals[200..400]] {
                let mean = window.iter().sum::<f64>() / window.len() as f64;
                assert!((mean / rate - 1.0).abs() < 0.10, "seed {seed}: mean interval {mean:.0} ms vs {rate} ms");
            }
        }
    }

    #[test]
    fn a_tenfold_hash_rate_change_is_absorbed_within_fifty_blocks() {
        for seed in 0..40 {
            for factor in [10.0, 0.1] {
                let (_, ratios) = simulate(seed, 260, |i| if i < 150 { 1.0 } else { factor });
                // ratio = hash rate x target / initial target: 1.0 means blocks come at MINE_RATE.
                let absorbed =
                    ratios[150..].iter().position(|r| (r.ln()).abs() < 1.25f64.ln()).expect("absorbed at some point");
                assert!(absorbed <= 50, "seed {seed} factor {factor}: took {absorbed} blocks");
            }
        }
    }
}
