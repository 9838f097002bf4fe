//! [`Amount`] (whole coins) and [`Height`] newtypes, with checked arithmetic only.
//!
//! Amounts are unsigned 64-bit integers counting whole coins, as in the first prototype. There is
//! no wrapping and no saturating arithmetic: every sum goes through [`Amount::checked_add`] and the
//! caller turns `None` into the error of the rule being checked.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A number of coins.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Amount(#[cfg_attr(feature = "ts", ts(type = "number"))] pub u64);

impl Amount {
    /// Zero coins.
    pub const ZERO: Amount = Amount(0);

    /// Returns `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Returns `self - other`, or `None` if `other` is larger.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Returns the sum of `amounts`, or `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(amounts: I) -> Option<Amount> {
        amounts.into_iter().try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }

    /// Returns the number of coins.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} coins", self.0)
    }
}

/// The height of a block: the number of blocks before it (genesis is height 0).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Height(#[cfg_attr(feature = "ts", ts(type = "number"))] pub u64);

impl Height {
    /// The genesis height.
    pub const GENESIS: Height = Height(0);

    /// Returns the next height, or `None` at `u64::MAX`.
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }

    /// Returns the height as an integer.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_sum_reports_overflow() {
        assert_eq!(Amount::checked_sum([Amount(1), Amount(2)]), Some(Amount(3)));
        assert_eq!(Amount::checked_sum([Amount(u64::MAX), Amount(1)]), None);
        assert_eq!(Amount(1).checked_sub(Amount(2)), None);
    }
}
