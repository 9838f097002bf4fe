//! The node wallet's payment intent: what `POST /transact` (and the dev faucet) asked the node's
//! wallet to pay and the chain does not show paid yet, as a pure state machine.
//!
//! [`Intent::on`] takes one [`Event`] (a payment requested, the answer to a look-up it asked for,
//! a change of the best chain, a transfer leaving the pool) and returns the [`Action`]s the owner
//! must carry out; the owner (the node's `WalletActor`) looks things up, signs and submits, and
//! feeds the answers back as events. Nothing here does I/O or holds the key.
//!
//! The intent is a list of *parts*, each a set of payments with its fee and the ids of every
//! transfer signed to carry it (`paid_by`, at most [`MAX_VERSIONS`]: a replaced version can still
//! be mined from a stale template, so a part is paid when the chain confirms any of them), and
//! `current`, the one transfer signed to pay all parts together. A transfer spends the sender's
//! whole balance at the tip, so any credit to the wallet or a replacement invalidates it; the
//! intent then signs the unpaid parts again on the new tip.
//!
//! - A new payment becomes a new part next to the still-pending ones (or next to the pool's
//!   restored transfer of ours); the fees add up and an update pays at least 1 coin more, so it
//!   replaces the old version everywhere. How many payments one transfer can carry is the
//!   network's `max_outputs` (100 by default), enforced when signing.
//! - Signing first asks which `paid_by` the chain confirms and leaves those parts out (remembering
//!   them as mined), so no part is ever paid twice; a stale account at submission (balance or
//!   nonce moved) is looked up again, at most [`MAX_SIGN_ATTEMPTS`] times.
//! - A connected block holding `current` moves the intent to the mined payments (at most
//!   [`MAX_REMEMBERED_PAYMENTS`]); a reorganisation that disconnects mined payments the new branch
//!   lacks turns each into a part again (not yet signed) and asks for a keep-alive check.
//! - When the pool drops `current`, a keep-alive check follows: mined, nothing to do; taken back
//!   by the pool, nothing to do; otherwise the unpaid parts are signed again. Every part the
//!   check finds paid (also in its signing round, when a block lands meanwhile) is remembered as
//!   mined, whether the check signs again, finds nothing left to sign, or gives up.
//!
//! The owner runs one operation at a time: after an event that starts one (a payment request or
//! a keep-alive check) it feeds only the answers the operation asks for, until it ends with
//! [`Action::Signed`] or [`Action::Refuse`] (a request), [`Action::Settled`] or
//! [`Action::GiveUp`] (a keep-alive check). Chain and pool events wait until then (the node's
//! `WalletActor` handles requests and checks as atomic responses); an answer that does not fit
//! the operation in flight is ignored.

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::TxId;
use crate::state::Account;
use crate::transaction::{Transfer, TxOutput};
use crate::wallet::WalletError;
use std::collections::VecDeque;

/// How many signed versions of one part are remembered.
pub const MAX_VERSIONS: usize = 64;
/// How many times the wallet signs again when the tip moves under a payment.
pub const MAX_SIGN_ATTEMPTS: u32 = 8;
/// How many mined wallet payments are remembered for reorganisations.
pub const MAX_REMEMBERED_PAYMENTS: usize = 32;

/// Payments the wallet was asked for together (one request, or payments mined together in one
/// transfer that a reorganisation dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Recipients and amounts (none is the wallet itself).
    pub payments: Vec<TxOutput>,
    /// The fee this part adds.
    pub fee: Amount,
    /// Every transfer signed to carry this part, newest last (at most [`MAX_VERSIONS`]), or the
    /// transfer the pool took back after a reorganisation.
    pub paid_by: Vec<TxId>,
}

/// What the chain and pool said about the wallet, looked up by the owner for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipView {
    /// The wallet's account at the tip.
    pub account: Account,
    /// Whether the transfer asked about (the intent's [`Intent::current`]) is confirmed.
    pub current_confirmed: bool,
    /// The wallet's transfer in the pool, if any.
    pub pending: Option<Transfer>,
}

/// Something the owner observed or was asked to find out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `POST /transact`: pay `amount` to `recipient` with `fee`; `tip` was looked up with
    /// [`Intent::current`]. Starts an operation.
    PaymentRequested {
        /// Who receives.
        recipient: Address,
        /// How much.
        amount: Amount,
        /// The fee for this payment.
        fee: Amount,
        /// The tip's view, asked about [`Intent::current`].
        tip: TipView,
    },
    /// The answer to [`Action::KeepAlive`]: the tip's view, asked about `of`. Starts an operation.
    KeepAliveChecked {
        /// The transfer the check is about.
        of: TxId,
        /// The tip's view, asked about `of`.
        tip: TipView,
    },
    /// The answer to [`Action::CheckConfirmed`]: those of the ids the best chain confirms.
    ConfirmedAmong(Vec<TxId>),
    /// The answer to [`Action::LookUpAccount`].
    AccountLookedUp(Account),
    /// The answer to [`Action::SignAndSubmit`]: the pool took the transfer with this id.
    Submitted(TxId),
    /// The answer to [`Action::SignAndSubmit`]: the pool refused it because the balance or the
    /// nonce moved under it.
    Stale,
    /// An action failed for any other reason (a look-up, signing, the pool's refusal).
    Failed,
    /// The best chain changed: the ids of every transaction in the connected and disconnected
    /// blocks, and whether it was a reorganisation.
    ChainSwitched {
        /// Transactions of the connected blocks.
        connected: Vec<TxId>,
        /// Transactions of the disconnected blocks.
        disconnected: Vec<TxId>,
        /// Whether blocks were disconnected.
        reorg: bool,
    },
    /// Transfers left the pool unmined (dropped, replaced, invalidated) or mined.
    MempoolRemoved(Vec<TxId>),
}

/// Why a payment request was not signed.
#[derive(Debug)]
pub enum Refusal {
    /// The payment itself is wrong ([`WalletError::ZeroAmount`] or [`WalletError::Overflow`]).
    Payment(WalletError),
    /// The fees of the parts add up past 64 bits.
    FeeOverflow,
    /// The chain holds every part already (a request; a keep-alive check settles instead).
    AlreadyPaid,
    /// An action failed ([`Event::Failed`]); the owner knows why.
    Failed,
}

/// What the owner must do.
#[derive(Debug)]
pub enum Action {
    /// Ask the chain which of these ids it confirms; answer [`Event::ConfirmedAmong`].
    CheckConfirmed(Vec<TxId>),
    /// Look up the wallet's account at the tip; answer [`Event::AccountLookedUp`].
    LookUpAccount,
    /// Sign one transfer paying `payments` and `fee` from `account` and submit it; answer
    /// [`Event::Submitted`], [`Event::Stale`] or [`Event::Failed`].
    SignAndSubmit {
        /// How many versions this intent has signed before (0 for the first).
        version: u64,
        /// The payments, merged by recipient.
        payments: Vec<TxOutput>,
        /// The total fee.
        fee: Amount,
        /// The account to spend.
        account: Account,
    },
    /// Later (after what is already queued), look up the tip asking about this transfer and
    /// answer [`Event::KeepAliveChecked`].
    KeepAlive(TxId),
    /// The request is answered: this transfer pays it (and every other pending part).
    Signed(TxId),
    /// The request is refused; the intent is as it was (less what the chain showed paid).
    Refuse(Refusal),
    /// The keep-alive check ended with nothing (more) to sign, or with the parts signed again
    /// as this transfer.
    Settled(Option<TxId>),
    /// The keep-alive check could not sign the parts again; the intent is dropped.
    GiveUp(Refusal),
}

/// The pending payments: the parts and the transfer signed to pay them all.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    parts: Vec<Part>,
    current: TxId,
    /// False while `current` is only a name for payments revived after a reorganisation, not yet
    /// signed together.
    signed: bool,
}

/// Who started the operation in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Request,
    KeepAlive,
}

/// The operation in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// A keep-alive check waiting for [`Event::ConfirmedAmong`] before signing again.
    Check { parts: Vec<Part>, account: Account },
    /// Signing: waiting for the answer to `stage`.
    Sign { parts: Vec<Part>, paid: Vec<Part>, attempt: u32, account: Account, purpose: Purpose, stage: Stage },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Confirmed,
    Submitted,
    Account,
}

/// The node wallet's payment intent and its recently mined payments.
#[derive(Debug, Clone)]
pub struct Intent {
    me: Address,
    pending: Option<Pending>,
    /// Recently mined payments, newest last.
    mined: VecDeque<Part>,
    op: Option<Op>,
    versions: u64,
}

impl Intent {
    /// Returns an empty intent of the wallet whose address is `me`.
    pub fn new(me: Address) -> Intent {
        Intent { me, pending: None, mined: VecDeque::new(), op: None, versions: 0 }
    }

    /// Returns the transfer meant to pay the pending parts, if any.
    pub fn current(&self) -> Option<TxId> {
        self.pending.as_ref().map(|p| p.current)
    }

    /// Returns the pending parts.
    pub fn parts(&self) -> &[Part] {
        self.pending.as_ref().map(|p| p.parts.as_slice()).unwrap_or_default()
    }

    /// Returns whether [`Intent::current`] was signed (false for payments revived after a
    /// reorganisation and not yet signed again).
    pub fn is_signed(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.signed)
    }

    /// Returns the remembered mined payments, oldest first.
    pub fn mined(&self) -> impl Iterator<Item = &Part> {
        self.mined.iter()
    }

    /// Returns whether an operation waits for an answer.
    pub fn is_busy(&self) -> bool {
        self.op.is_some()
    }

    /// Applies one event and returns what the owner must do, in order.
    pub fn on(&mut self, event: Event) -> Vec<Action> {
        match event {
            Event::PaymentRequested { recipient, amount, fee, tip } => self.requested(recipient, amount, fee, tip),
            Event::KeepAliveChecked { of, tip } => self.keep_alive(of, tip),
            Event::ConfirmedAmong(confirmed) => self.confirmed_among(&confirmed),
            Event::AccountLookedUp(account) => match self.op.take() {
                Some(Op::Sign { parts, paid, attempt, purpose, stage: Stage::Account, .. }) => {
                    self.sign_loop(parts, paid, attempt, account, purpose)
                }
                other => {
                    self.op = other;
                    Vec::new()
                }
            },
            Event::Submitted(id) => self.submitted(id),
            Event::Stale => match self.op.take() {
                Some(Op::Sign { parts, paid, attempt, account, purpose, stage: Stage::Submitted })
                    if attempt < MAX_SIGN_ATTEMPTS =>
                {
                    self.op = Some(Op::Sign { parts, paid, attempt, account, purpose, stage: Stage::Account });
                    vec![Action::LookUpAccount]
                }
                Some(Op::Sign { paid, purpose, .. }) => self.fail(purpose, paid, Refusal::Failed),
                other => {
                    self.op = other;
                    Vec::new()
                }
            },
            Event::Failed => match self.op.take() {
                Some(Op::Sign { paid, purpose, .. }) => self.fail(purpose, paid, Refusal::Failed),
                // A keep-alive check whose look-up failed leaves the intent as it is.
                Some(Op::Check { .. }) => vec![Action::Settled(None)],
                None => Vec::new(),
            },
            Event::ChainSwitched { connected, disconnected, reorg } => {
                self.chain_switched(&connected, &disconnected, reorg)
            }
            Event::MempoolRemoved(ids) => match &self.pending {
                Some(p) if ids.contains(&p.current) => vec![Action::KeepAlive(p.current)],
                _ => Vec::new(),
            },
        }
    }

    fn requested(&mut self, recipient: Address, amount: Amount, fee: Amount, tip: TipView) -> Vec<Action> {
        // The update rule: start from what is still waiting to be paid.
        let mut parts = match self.pending.clone() {
            Some(p) if p.signed && tip.current_confirmed => {
                self.pending = None;
                self.remember_mined(p);
                Vec::new()
            }
            Some(p) => p.parts,
            None => match &tip.pending {
                Some(t) if t.input.nonce == tip.account.nonce && t.input.amount == tip.account.balance => {
                    let payments = t.outputs.iter().filter(|o| o.address != self.me).copied().collect();
                    vec![Part { payments, fee: t.input.fee, paid_by: vec![t.id] }]
                }
                _ => Vec::new(),
            },
        };
        let mut payments = Vec::new();
        if let Err(e) = add_payment(self.me, &mut payments, recipient, amount) {
            return vec![Action::Refuse(Refusal::Payment(e))];
        }
        // An update must pay more than what it replaces.
        let fee = if parts.is_empty() { fee } else { fee.max(Amount(1)) };
        parts.push(Part { payments, fee, paid_by: Vec::new() });
        self.sign_loop(parts, Vec::new(), 0, tip.account, Purpose::Request)
    }

    fn keep_alive(&mut self, of: TxId, tip: TipView) -> Vec<Action> {
        let Some(pending) = self.pending.clone().filter(|p| p.current == of) else {
            return vec![Action::Settled(None)];
        };
        if pending.signed {
            if tip.current_confirmed {
                self.pending = None;
                self.remember_mined(pending);
                return vec![Action::Settled(None)];
            }
            if tip.pending.as_ref().is_some_and(|p| p.id == of) {
                // The pool took it back by itself (after a reorganisation): nothing to do.
                return vec![Action::Settled(None)];
            }
        }
        // Leave out what the chain shows paid (remembering it), sign the rest again.
        let ids = paid_by_ids(&pending.parts);
        if ids.is_empty() {
            return self.checked(pending.parts, tip.account, &[]);
        }
        self.op = Some(Op::Check { parts: pending.parts, account: tip.account });
        vec![Action::CheckConfirmed(ids)]
    }

    fn checked(&mut self, parts: Vec<Part>, account: Account, confirmed: &[TxId]) -> Vec<Action> {
        let (unpaid, paid) = split_paid(parts, confirmed);
        for part in paid {
            self.remember_paid(part);
        }
        if unpaid.is_empty() {
            self.pending = None;
            return vec![Action::Settled(None)];
        }
        self.sign_loop(unpaid, Vec::new(), 0, account, Purpose::KeepAlive)
    }

    fn confirmed_among(&mut self, confirmed: &[TxId]) -> Vec<Action> {
        match self.op.take() {
            Some(Op::Check { parts, account }) => self.checked(parts, account, confirmed),
            Some(Op::Sign { parts, mut paid, attempt, account, purpose, stage: Stage::Confirmed }) => {
                let (unpaid, now_paid) = split_paid(parts, confirmed);
                paid.extend(now_paid);
                self.merge_and_sign(unpaid, paid, attempt, account, purpose)
            }
            other => {
                self.op = other;
                Vec::new()
            }
        }
    }

    /// One round of signing: first asks which versions the chain holds (never pay a part twice).
    fn sign_loop(
        &mut self,
        parts: Vec<Part>,
        paid: Vec<Part>,
        attempt: u32,
        account: Account,
        purpose: Purpose,
    ) -> Vec<Action> {
        let attempt = attempt + 1;
        let ids = paid_by_ids(&parts);
        if ids.is_empty() {
            return self.merge_and_sign(parts, paid, attempt, account, purpose);
        }
        self.op = Some(Op::Sign { parts, paid, attempt, account, purpose, stage: Stage::Confirmed });
        vec![Action::CheckConfirmed(ids)]
    }

    fn merge_and_sign(
        &mut self,
        parts: Vec<Part>,
        paid: Vec<Part>,
        attempt: u32,
        account: Account,
        purpose: Purpose,
    ) -> Vec<Action> {
        if parts.is_empty() {
            return match purpose {
                Purpose::Request => self.fail(purpose, paid, Refusal::AlreadyPaid),
                // A block mined the last unpaid parts while the check ran.
                Purpose::KeepAlive => {
                    self.op = None;
                    self.drop_pending(paid);
                    vec![Action::Settled(None)]
                }
            };
        }
        let (payments, fee) = match merge_parts(self.me, &parts) {
            Ok(merged) => merged,
            Err(refusal) => return self.fail(purpose, paid, refusal),
        };
        let version = self.versions;
        self.op = Some(Op::Sign { parts, paid, attempt, account, purpose, stage: Stage::Submitted });
        vec![Action::SignAndSubmit { version, payments, fee, account }]
    }

    fn submitted(&mut self, id: TxId) -> Vec<Action> {
        let Some(Op::Sign { mut parts, paid, purpose, stage: Stage::Submitted, .. }) = self.op.take() else {
            return Vec::new();
        };
        self.versions += 1;
        for part in &mut parts {
            part.paid_by.push(id);
            if part.paid_by.len() > MAX_VERSIONS {
                part.paid_by.remove(0);
            }
        }
        for part in paid {
            self.remember_paid(part);
        }
        self.pending = Some(Pending { parts, current: id, signed: true });
        match purpose {
            Purpose::Request => vec![Action::Signed(id)],
            Purpose::KeepAlive => vec![Action::Settled(Some(id))],
        }
    }

    /// Ends the operation in flight without a new transfer: a request leaves the pending parts
    /// as they were; a keep-alive check drops them. `paid`, the parts the signing round found on
    /// the chain, are remembered as mined unless the pending parts still hold them (a request
    /// while parts are pending; without, `paid` is the pool's transfer of ours, mined meanwhile).
    fn fail(&mut self, purpose: Purpose, paid: Vec<Part>, refusal: Refusal) -> Vec<Action> {
        self.op = None;
        match purpose {
            Purpose::Request => {
                if self.pending.is_none() {
                    for part in paid {
                        self.remember_paid(part);
                    }
                }
                vec![Action::Refuse(refusal)]
            }
            Purpose::KeepAlive => {
                self.drop_pending(paid);
                vec![Action::GiveUp(refusal)]
            }
        }
    }

    /// Drops the pending parts at the end of a keep-alive check, remembering `paid` (the parts
    /// the chain showed paid) for reorganisations that drop them again.
    fn drop_pending(&mut self, paid: Vec<Part>) {
        self.pending = None;
        for part in paid {
            self.remember_paid(part);
        }
    }

    fn chain_switched(&mut self, connected: &[TxId], disconnected: &[TxId], reorg: bool) -> Vec<Action> {
        if let Some(pending) = self.pending.take() {
            if pending.signed && connected.contains(&pending.current) {
                // Mined: remember it a while in case a reorganisation drops it again.
                self.remember_mined(pending);
            } else {
                self.pending = Some(pending);
            }
        }
        if !reorg {
            return Vec::new();
        }
        // Every payment of ours that the new branch does not contain is ours to keep alive:
        // with what is still pending, it is signed again as one transfer.
        let (dropped, kept): (Vec<Part>, Vec<Part>) = std::mem::take(&mut self.mined).into_iter().partition(|m| {
            m.paid_by.iter().any(|id| disconnected.contains(id)) && !m.paid_by.iter().any(|id| connected.contains(id))
        });
        self.mined = kept.into();
        if dropped.is_empty() {
            return Vec::new();
        }
        let (mut parts, current) = match self.pending.take() {
            Some(p) => (p.parts, Some(p.current)),
            None => (Vec::new(), None),
        };
        let first_dropped = dropped.iter().find_map(|m| m.paid_by.last().copied());
        parts.extend(dropped);
        match current.or(first_dropped) {
            Some(current) => {
                self.pending = Some(Pending { parts, current, signed: false });
                vec![Action::KeepAlive(current)]
            }
            None => Vec::new(),
        }
    }

    /// Remembers a mined payment transfer (for reorganisations that drop it).
    fn remember_mined(&mut self, pending: Pending) {
        let Ok((payments, fee)) = merge_parts(self.me, &pending.parts) else { return };
        self.remember_paid(Part { payments, fee, paid_by: vec![pending.current] });
    }

    /// Remembers a part the chain shows paid (for reorganisations that drop its transfer).
    fn remember_paid(&mut self, part: Part) {
        self.mined.push_back(part);
        if self.mined.len() > MAX_REMEMBERED_PAYMENTS {
            self.mined.pop_front();
        }
    }
}

fn paid_by_ids(parts: &[Part]) -> Vec<TxId> {
    parts.iter().flat_map(|p| p.paid_by.iter().copied()).collect()
}

/// Splits the parts into those none of whose versions is `confirmed`, and the others.
fn split_paid(parts: Vec<Part>, confirmed: &[TxId]) -> (Vec<Part>, Vec<Part>) {
    parts.into_iter().partition(|p| !p.paid_by.iter().any(|id| confirmed.contains(id)))
}

/// Adds `amount` for `recipient` to `payments` (see [`crate::wallet::Wallet::add_payment`]).
pub(crate) fn add_payment(
    me: Address,
    payments: &mut Vec<TxOutput>,
    recipient: Address,
    amount: Amount,
) -> Result<(), WalletError> {
    if amount == Amount::ZERO {
        return Err(WalletError::ZeroAmount);
    }
    if recipient == me {
        return Ok(());
    }
    match payments.iter_mut().find(|o| o.address == recipient) {
        Some(o) => o.amount = o.amount.checked_add(amount).ok_or(WalletError::Overflow)?,
        None => payments.push(TxOutput { address: recipient, amount }),
    }
    Ok(())
}

/// The parts as one: outputs merged by recipient, fees added.
fn merge_parts(me: Address, parts: &[Part]) -> Result<(Vec<TxOutput>, Amount), Refusal> {
    let mut payments = Vec::new();
    let mut fee = Amount::ZERO;
    for part in parts {
        for o in &part.payments {
            add_payment(me, &mut payments, o.address, o.amount).map_err(Refusal::Payment)?;
        }
        fee = fee.checked_add(part.fee).ok_or(Refusal::FeeOverflow)?;
    }
    Ok((payments, fee))
}

#[cfg(test)]
#[path = "intent_tests.rs"]
mod tests;
