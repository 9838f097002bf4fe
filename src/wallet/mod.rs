//! The wallet: a secp256k1 key from the OS random generator, stored hex-encoded in the node's
//! data directory with mode 0600, and the first prototype's update rule for sending.
//!
//! Sending while a transfer of ours is still pending updates that transfer instead of making a
//! second one (which the one-spend-per-sender rule would refuse): the amount is added to the
//! recipient's output (or a new output is appended), the fees add up, the change shrinks, and the
//! whole transfer is signed again. Because the fee grows with every update, the new version
//! always replaces the old one in every mempool.

pub mod intent;

use crate::address::Address;
use crate::amount::Amount;
use crate::state::Account;
use crate::transaction::{Transfer, TxOutput};
use k256::ecdsa::SigningKey;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The balance does not cover amount plus fee.
    #[error("insufficient funds: balance {balance}, needed {needed}")]
    InsufficientFunds {
        /// Spendable balance.
        balance: Amount,
        /// What the transfer needs (all recipients and fees).
        needed: Amount,
    },
    /// An amount of zero.
    #[error("the amount must be a positive whole number of coins")]
    ZeroAmount,
    /// Amounts overflow.
    #[error("the amounts overflow a 64-bit number")]
    Overflow,
    /// The update would exceed the output limit.
    #[error("the pending transfer already has {max} outputs")]
    TooManyOutputs {
        /// The limit.
        max: usize,
    },
    /// The key file could not be read or written.
    #[error("wallet file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file does not hold a key.
    #[error("wallet file {path} does not hold a secp256k1 secret key: {reason}")]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file is readable by others.
    #[error("wallet file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)")]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// A key pair and its address.
#[derive(Clone)]
pub struct Wallet {
    key: SigningKey,
    address: Address,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never prints the secret key.
        f.debug_struct("Wallet").field("address", &self.address).finish_non_exhaustive()
    }
}

impl Wallet {
    /// Returns a new wallet with a key from the operating system's random generator.
    pub fn generate() -> Wallet {
        Wallet::from_key(SigningKey::random(&mut rand_core::OsRng))
    }

    /// Returns the wallet of a key.
    pub fn from_key(key: SigningKey) -> Wallet {
        let address = Address::from_verifying_key(key.verifying_key());
        Wallet { key, address }
    }

    /// Loads the key at `path`, or creates one there (mode 0600) if there is no file.
    ///
    /// # Errors
    /// [`WalletError::Io`], [`WalletError::BadKeyFile`] or [`WalletError::InsecurePermissions`].
    pub fn load_or_create(path: &Path) -> Result<Wallet, WalletError> {
        let io = |source| WalletError::Io { path: path.to_path_buf(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(WalletError::InsecurePermissions { path: path.to_path_buf(), mode });
                    }
                }
                let bad = |reason: &str| WalletError::BadKeyFile { path: path.to_path_buf(), reason: reason.into() };
                let bytes = hex::decode(text.trim()).map_err(|_| bad("not hex"))?;
                let key = SigningKey::from_slice(&bytes).map_err(|_| bad("not a valid 32-byte secret"))?;
                Ok(Wallet::from_key(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let wallet = Wallet::generate();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(io)?;
                let secret = hex::encode(wallet.key.to_bytes());
                file.write_all(format!("{secret}\n").as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(wallet)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Returns the address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Returns the signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Builds and signs a transfer paying every one of `payments` (recipients other than this
    /// wallet, each at most once) and `fee` from the state `account`, with the change first.
    ///
    /// # Errors
    /// [`WalletError::InsufficientFunds`], [`WalletError::Overflow`] or
    /// [`WalletError::TooManyOutputs`].
    pub fn pay_many(
        &self,
        network_id: &str,
        max_outputs: usize,
        account: Account,
        payments: &[TxOutput],
        fee: Amount,
        now_ms: u64,
    ) -> Result<Transfer, WalletError> {
        let paid = Amount::checked_sum(payments.iter().map(|o| o.amount)).ok_or(WalletError::Overflow)?;
        let needed = paid.checked_add(fee).ok_or(WalletError::Overflow)?;
        let change = account
            .balance
            .checked_sub(needed)
            .ok_or(WalletError::InsufficientFunds { balance: account.balance, needed })?;
        let mut outputs = Vec::with_capacity(payments.len() + 1);
        if change > Amount::ZERO {
            outputs.push(TxOutput { address: self.address, amount: change });
        }
        outputs.extend(payments.iter().copied());
        if outputs.len() > max_outputs {
            return Err(WalletError::TooManyOutputs { max: max_outputs });
        }
        Ok(Transfer::sign(network_id, &self.key, account.nonce, now_ms, account.balance, fee, outputs))
    }

    /// Adds `amount` for `recipient` to `payments`: to its existing entry, or as a new one.
    /// Paying this wallet itself adds nothing (the coins stay in the change).
    ///
    /// # Errors
    /// [`WalletError::ZeroAmount`] or [`WalletError::Overflow`].
    pub fn add_payment(
        &self,
        payments: &mut Vec<TxOutput>,
        recipient: Address,
        amount: Amount,
    ) -> Result<(), WalletError> {
        intent::add_payment(self.address, payments, recipient, amount)
    }

    /// Builds and signs a transfer of `amount` to `recipient` paying `fee`, from the state
    /// `account` at the tip. If `pending` is our transfer still valid at that state, it is
    /// updated (the update rule) instead. Outputs: the change first (when not zero), then the
    /// recipients in the order they were first paid.
    ///
    /// # Errors
    /// [`WalletError::ZeroAmount`], [`WalletError::InsufficientFunds`],
    /// [`WalletError::Overflow`] or [`WalletError::TooManyOutputs`].
    #[allow(clippy::too_many_arguments)]
    pub fn create_transfer(
        &self,
        network_id: &str,
        max_outputs: usize,
        account: Account,
        pending: Option<&Transfer>,
        recipient: Address,
        amount: Amount,
        fee: Amount,
        now_ms: u64,
    ) -> Result<Transfer, WalletError> {
        if amount == Amount::ZERO {
            return Err(WalletError::ZeroAmount);
        }
        let pending = pending.filter(|p| {
            p.sender() == self.address && p.input.nonce == account.nonce && p.input.amount == account.balance
        });
        let (mut payments, mut total_fee): (Vec<TxOutput>, Amount) = match pending {
            Some(p) => (p.outputs.iter().filter(|o| o.address != self.address).copied().collect(), p.input.fee),
            None => (Vec::new(), Amount::ZERO),
        };
        // An update must pay more than the transfer it replaces, or no mempool would take it.
        let fee = if pending.is_some() { fee.max(Amount(1)) } else { fee };
        total_fee = total_fee.checked_add(fee).ok_or(WalletError::Overflow)?;
        if recipient != self.address {
            match payments.iter_mut().find(|o| o.address == recipient) {
                Some(o) => o.amount = o.amount.checked_add(amount).ok_or(WalletError::Overflow)?,
                None => payments.push(TxOutput { address: recipient, amount }),
            }
        }
        let paid = Amount::checked_sum(payments.iter().map(|o| o.amount)).ok_or(WalletError::Overflow)?;
        let needed = paid
            .checked_add(total_fee)
            .and_then(|n| if recipient == self.address { n.checked_add(amount) } else { Some(n) })
            .ok_or(WalletError::Overflow)?;
        if needed > account.balance {
            return Err(WalletError::InsufficientFunds { balance: account.balance, needed });
        }
        let change = account
            .balance
            .checked_sub(paid)
            .and_then(|c| c.checked_sub(total_fee))
            .ok_or(WalletError::InsufficientFunds { balance: account.balance, needed })?;
        let mut outputs = Vec::with_capacity(payments.len() + 1);
        if change > Amount::ZERO {
            outputs.push(TxOutput { address: self.address, amount: change });
        }
        outputs.extend(payments);
        if outputs.len() > max_outputs {
            return Err(WalletError::TooManyOutputs { max: max_outputs });
        }
        Ok(Transfer::sign(network_id, &self.key, account.nonce, now_ms, account.balance, total_fee, outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::NetworkParams;
    use crate::state::Account;
    use crate::testkit::address;
    use crate::transaction::check_transfer;

    fn account(balance: u64, nonce: u64) -> Account {
        Account { balance: Amount(balance), nonce }
    }

    #[test]
    fn key_file_is_created_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/wallet.key");
        let w = Wallet::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(Wallet::load_or_create(&path), Err(WalletError::InsecurePermissions { .. })));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(Wallet::load_or_create(&path).unwrap().address(), w.address());
        assert!(!format!("{w:?}").contains(&hex::encode(w.signing_key().to_bytes())));
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(Wallet::load_or_create(&path), Err(WalletError::BadKeyFile { .. })));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Wallet::generate().address(), Wallet::generate().address());
    }

    #[test]
    fn sending_again_updates_the_pending_transfer() {
        let p = NetworkParams::default();
        let w = Wallet::from_key(crate::testkit::key(1));
        let acct = account(100, 3);
        let first =
            w.create_transfer(&p.network_id, p.max_outputs, acct, None, address(2), Amount(10), Amount(1), 5).unwrap();
        check_transfer(&first, &p, true).unwrap();
        assert_eq!(first.outputs[0], TxOutput { address: w.address(), amount: Amount(89) });
        assert_eq!(first.input.nonce, 3);
        // Same recipient: added to, not duplicated; fees add up.
        let second = w
            .create_transfer(&p.network_id, p.max_outputs, acct, Some(&first), address(2), Amount(5), Amount(1), 6)
            .unwrap();
        check_transfer(&second, &p, true).unwrap();
        assert_eq!(second.outputs.len(), 2);
        assert_eq!(second.outputs[1], TxOutput { address: address(2), amount: Amount(15) });
        assert_eq!(second.input.fee, Amount(2));
        assert_eq!(second.outputs[0].amount, Amount(83));
        // Another recipient is appended.
        let third = w
            .create_transfer(&p.network_id, p.max_outputs, acct, Some(&second), address(3), Amount(82), Amount(0), 7)
            .unwrap();
        check_transfer(&third, &p, true).unwrap();
        assert_eq!(third.outputs.len(), 2, "no change output when everything is spent");
        assert_eq!(third.outputs[1], TxOutput { address: address(3), amount: Amount(82) });
        assert_eq!(third.input.fee, Amount(3), "an update with fee 0 still pays one more");
        // A stale pending transfer (another nonce) is not updated.
        let fresh = w
            .create_transfer(
                &p.network_id,
                p.max_outputs,
                account(100, 4),
                Some(&first),
                address(2),
                Amount(1),
                Amount(1),
                8,
            )
            .unwrap();
        assert_eq!(fresh.outputs.len(), 2);
        assert_eq!(fresh.outputs[1].amount, Amount(1));
    }

    #[test]
    fn refuses_what_it_cannot_pay() {
        let p = NetworkParams::default();
        let w = Wallet::from_key(crate::testkit::key(1));
        let acct = account(10, 0);
        assert!(matches!(
            w.create_transfer(&p.network_id, p.max_outputs, acct, None, address(2), Amount(10), Amount(1), 0),
            Err(WalletError::InsufficientFunds { balance: Amount(10), needed: Amount(11) })
        ));
        assert!(matches!(
            w.create_transfer(&p.network_id, p.max_outputs, acct, None, address(2), Amount(0), Amount(1), 0),
            Err(WalletError::ZeroAmount)
        ));
        // Sending to oneself keeps everything but the fee.
        let t =
            w.create_transfer(&p.network_id, p.max_outputs, acct, None, w.address(), Amount(4), Amount(1), 0).unwrap();
        check_transfer(&t, &p, true).unwrap();
        assert_eq!(t.outputs, vec![TxOutput { address: w.address(), amount: Amount(9) }]);
    }
}
