//! Tests of the payment intent: one per behaviour, and property tests that drive it through
//! random interleavings of requests, mined blocks, reorganisations (some dropping mined payments)
//! and pool evictions against a small simulated chain and pool: no payment is lost, none is paid
//! twice.

use super::*;
use crate::hash::Hash256;
use crate::testkit::{address, wallet};
use crate::wallet::Wallet;
use proptest::prelude::*;

fn txid(n: u64) -> TxId {
    TxId(Hash256::digest(&n.to_be_bytes()))
}

fn account(balance: u64, nonce: u64) -> Account {
    Account { balance: Amount(balance), nonce }
}

fn tip(balance: u64, confirmed: bool) -> TipView {
    TipView { account: account(balance, 0), current_confirmed: confirmed, pending: None }
}

fn me() -> Address {
    address(0)
}

fn request(intent: &mut Intent, to: u64, amount: u64, fee: u64, view: TipView) -> Vec<Action> {
    intent.on(Event::PaymentRequested { recipient: address(to), amount: Amount(amount), fee: Amount(fee), tip: view })
}

/// Requests a payment and lets the pool take it as `id`.
fn pay(intent: &mut Intent, to: u64, amount: u64, id: TxId) {
    let actions = request(intent, to, amount, 1, tip(1_000, false));
    let actions = match actions.as_slice() {
        [Action::CheckConfirmed(_)] => intent.on(Event::ConfirmedAmong(Vec::new())),
        _ => actions,
    };
    assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { .. }]), "{actions:?}");
    let done = intent.on(Event::Submitted(id));
    assert!(matches!(done.as_slice(), [Action::Signed(x)] if *x == id), "{done:?}");
}

#[test]
fn a_first_payment_is_signed_without_a_look_up() {
    let mut intent = Intent::new(me());
    let actions = request(&mut intent, 1, 10, 2, tip(100, false));
    match actions.as_slice() {
        [Action::SignAndSubmit { version: 0, payments, fee, account: a }] => {
            assert_eq!(payments, &vec![TxOutput { address: address(1), amount: Amount(10) }]);
            assert_eq!(*fee, Amount(2));
            assert_eq!(a.balance, Amount(100));
        }
        other => panic!("{other:?}"),
    }
    assert!(intent.is_busy());
    assert_eq!(intent.on(Event::Submitted(txid(1))).len(), 1);
    assert_eq!(intent.current(), Some(txid(1)));
    assert!(intent.is_signed());
    assert!(!intent.is_busy());
}

#[test]
fn sending_again_while_pending_merges_parts_and_adds_fees() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let actions = request(&mut intent, 1, 5, 0, tip(1_000, false));
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(ids)] if ids == &vec![txid(1)]));
    let actions = intent.on(Event::ConfirmedAmong(Vec::new()));
    match actions.as_slice() {
        [Action::SignAndSubmit { version: 1, payments, fee, .. }] => {
            // Same recipient: one output of 15; fee 1 + max(0, 1) = 2.
            assert_eq!(payments, &vec![TxOutput { address: address(1), amount: Amount(15) }]);
            assert_eq!(*fee, Amount(2));
        }
        other => panic!("{other:?}"),
    }
    intent.on(Event::Submitted(txid(2)));
    assert_eq!(intent.parts().len(), 2);
    assert_eq!(intent.parts()[0].paid_by, vec![txid(1), txid(2)]);
    assert_eq!(intent.parts()[1].paid_by, vec![txid(2)]);
}

#[test]
fn a_mined_intent_is_remembered_and_a_new_payment_starts_afresh() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let actions = request(&mut intent, 2, 5, 0, tip(1_000, true));
    // The old transfer is confirmed: the new payment alone, with its own fee (0).
    assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { fee: Amount(0), .. }]), "{actions:?}");
    assert_eq!(intent.mined().count(), 1);
}

#[test]
fn the_pools_restored_transfer_becomes_a_part() {
    let w = wallet(0);
    let restored = w
        .pay_many("t", 100, account(100, 3), &[TxOutput { address: address(1), amount: Amount(7) }], Amount(2), 1)
        .expect("pays");
    let mut intent = Intent::new(w.address());
    let view = TipView { account: account(100, 3), current_confirmed: false, pending: Some(restored.clone()) };
    let actions = request(&mut intent, 2, 5, 0, view);
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(ids)] if ids == &vec![restored.id]));
    match intent.on(Event::ConfirmedAmong(Vec::new())).as_slice() {
        [Action::SignAndSubmit { payments, fee, .. }] => {
            assert_eq!(payments.len(), 2);
            assert_eq!(*fee, Amount(3));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_zero_payment_is_refused_and_the_intent_kept() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let actions = request(&mut intent, 2, 0, 0, tip(1_000, false));
    assert!(matches!(actions.as_slice(), [Action::Refuse(Refusal::Payment(WalletError::ZeroAmount))]));
    assert_eq!(intent.current(), Some(txid(1)));
    assert!(!intent.is_busy());
}

#[test]
fn a_failed_submission_refuses_the_request_and_keeps_the_intent() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    request(&mut intent, 2, 3, 0, tip(1_000, false));
    intent.on(Event::ConfirmedAmong(Vec::new()));
    assert!(matches!(intent.on(Event::Failed).as_slice(), [Action::Refuse(Refusal::Failed)]));
    assert_eq!(intent.current(), Some(txid(1)));
    assert_eq!(intent.parts().len(), 1);
}

#[test]
fn a_stale_account_is_looked_up_again_at_most_eight_times() {
    let mut intent = Intent::new(me());
    let mut actions = request(&mut intent, 1, 10, 0, tip(100, false));
    let mut rounds = 0;
    loop {
        assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { .. }]), "{actions:?}");
        rounds += 1;
        actions = intent.on(Event::Stale);
        match actions.as_slice() {
            [Action::LookUpAccount] => actions = intent.on(Event::AccountLookedUp(account(100, 0))),
            [Action::Refuse(Refusal::Failed)] => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(rounds, MAX_SIGN_ATTEMPTS);
    assert_eq!(intent.current(), None);
}

#[test]
fn signing_leaves_out_parts_the_chain_shows_paid() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    request(&mut intent, 2, 5, 0, tip(1_000, false));
    // Version 1 got mined meanwhile (e.g. the chain event is still queued).
    match intent.on(Event::ConfirmedAmong(vec![txid(1)])).as_slice() {
        [Action::SignAndSubmit { payments, fee, .. }] => {
            assert_eq!(payments, &vec![TxOutput { address: address(2), amount: Amount(5) }]);
            assert_eq!(*fee, Amount(1));
        }
        other => panic!("{other:?}"),
    }
    intent.on(Event::Submitted(txid(2)));
    assert_eq!(intent.parts().len(), 1);
    assert_eq!(intent.mined().count(), 1);
}

#[test]
fn a_connected_block_with_the_current_transfer_moves_it_to_mined() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(9), txid(1)], disconnected: vec![], reorg: false });
    assert!(actions.is_empty());
    assert_eq!(intent.current(), None);
    assert_eq!(intent.mined().next().map(|p| p.paid_by.clone()), Some(vec![txid(1)]));
}

#[test]
fn a_reorganisation_dropping_a_mined_payment_revives_it() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    intent.on(Event::ChainSwitched { connected: vec![txid(1)], disconnected: vec![], reorg: false });
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(7)], disconnected: vec![txid(1)], reorg: true });
    assert!(matches!(actions.as_slice(), [Action::KeepAlive(id)] if *id == txid(1)));
    assert_eq!(intent.current(), Some(txid(1)));
    assert!(!intent.is_signed());
    assert_eq!(intent.mined().count(), 0);
    // Not signed: even if the pool holds it, the check signs the parts again.
    let view = TipView { account: account(1_000, 0), current_confirmed: false, pending: None };
    let actions = intent.on(Event::KeepAliveChecked { of: txid(1), tip: view });
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(_)]));
    let actions = intent.on(Event::ConfirmedAmong(vec![]));
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(_)]), "the signing round asks again");
    let actions = intent.on(Event::ConfirmedAmong(vec![]));
    assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { .. }]));
    assert!(matches!(intent.on(Event::Submitted(txid(2))).as_slice(), [Action::Settled(Some(_))]));
    assert_eq!(intent.current(), Some(txid(2)));
}

#[test]
fn a_reorganisation_that_mines_the_payment_again_revives_nothing() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    intent.on(Event::ChainSwitched { connected: vec![txid(1)], disconnected: vec![], reorg: false });
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(1)], disconnected: vec![txid(1)], reorg: true });
    assert!(actions.is_empty());
    assert_eq!(intent.mined().count(), 1);
}

#[test]
fn a_removed_current_transfer_asks_for_a_keep_alive_check() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    assert!(intent.on(Event::MempoolRemoved(vec![txid(5)])).is_empty());
    let actions = intent.on(Event::MempoolRemoved(vec![txid(5), txid(1)]));
    assert!(matches!(actions.as_slice(), [Action::KeepAlive(id)] if *id == txid(1)));
}

#[test]
fn keep_alive_checks_end_early_when_mined_taken_back_or_outdated() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let outdated = intent.on(Event::KeepAliveChecked { of: txid(9), tip: tip(1_000, false) });
    assert!(matches!(outdated.as_slice(), [Action::Settled(None)]));
    let w = wallet(0);
    let mut back = w.pay_many("t", 100, account(1_000, 0), &[], Amount(1), 1).expect("pays");
    back.id = txid(1);
    let view = TipView { account: account(1_000, 0), current_confirmed: false, pending: Some(back) };
    assert!(matches!(
        intent.on(Event::KeepAliveChecked { of: txid(1), tip: view }).as_slice(),
        [Action::Settled(None)]
    ));
    assert_eq!(intent.current(), Some(txid(1)));
    let mined = intent.on(Event::KeepAliveChecked { of: txid(1), tip: tip(1_000, true) });
    assert!(matches!(mined.as_slice(), [Action::Settled(None)]));
    assert_eq!(intent.current(), None);
    assert_eq!(intent.mined().count(), 1);
}

#[test]
fn a_keep_alive_check_signs_again_or_gives_up() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    let actions = intent.on(Event::KeepAliveChecked { of: txid(1), tip: tip(1_000, false) });
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(_)]));
    // A failed look-up leaves everything as it was.
    assert!(matches!(intent.on(Event::Failed).as_slice(), [Action::Settled(None)]));
    assert_eq!(intent.current(), Some(txid(1)));
    intent.on(Event::KeepAliveChecked { of: txid(1), tip: tip(1_000, false) });
    intent.on(Event::ConfirmedAmong(vec![]));
    intent.on(Event::ConfirmedAmong(vec![]));
    assert!(matches!(intent.on(Event::Failed).as_slice(), [Action::GiveUp(Refusal::Failed)]));
    assert_eq!(intent.current(), None);
}

#[test]
fn a_keep_alive_check_finding_everything_paid_drops_the_intent() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    intent.on(Event::KeepAliveChecked { of: txid(1), tip: tip(1_000, false) });
    assert!(matches!(intent.on(Event::ConfirmedAmong(vec![txid(1)])).as_slice(), [Action::Settled(None)]));
    assert_eq!(intent.current(), None);
    assert_eq!(intent.mined().count(), 1);
}

#[test]
fn a_keep_alive_signing_round_finding_everything_paid_remembers_it_as_mined() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    intent.on(Event::ChainSwitched { connected: vec![txid(1)], disconnected: vec![], reorg: false });
    intent.on(Event::ChainSwitched { connected: vec![txid(7)], disconnected: vec![txid(1)], reorg: true });
    let actions = intent.on(Event::KeepAliveChecked { of: txid(1), tip: tip(1_000, false) });
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(_)]));
    let actions = intent.on(Event::ConfirmedAmong(vec![]));
    assert!(matches!(actions.as_slice(), [Action::CheckConfirmed(_)]), "the signing round asks again");
    // Meanwhile a block mined the pool's restored transfer: nothing is left to sign.
    let actions = intent.on(Event::ConfirmedAmong(vec![txid(1)]));
    assert!(matches!(actions.as_slice(), [Action::Settled(None)]), "{actions:?}");
    assert_eq!(intent.current(), None);
    assert!(!intent.is_busy());
    assert_eq!(intent.mined().map(|p| p.paid_by.clone()).collect::<Vec<_>>(), vec![vec![txid(1)]]);
    // So a reorganisation dropping that block revives the payment once more.
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(8)], disconnected: vec![txid(1)], reorg: true });
    assert!(matches!(actions.as_slice(), [Action::KeepAlive(id)] if *id == txid(1)), "{actions:?}");
    assert_eq!(intent.parts().len(), 1);
}

#[test]
fn a_keep_alive_check_that_gives_up_remembers_the_parts_the_chain_shows_paid() {
    let mut intent = Intent::new(me());
    pay(&mut intent, 1, 10, txid(1));
    pay(&mut intent, 2, 5, txid(2));
    intent.on(Event::KeepAliveChecked { of: txid(2), tip: tip(1_000, false) });
    intent.on(Event::ConfirmedAmong(vec![]));
    // Version 1 (the first payment alone) is mined; the second payment fails to sign again.
    let actions = intent.on(Event::ConfirmedAmong(vec![txid(1)]));
    assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { .. }]), "{actions:?}");
    assert!(matches!(intent.on(Event::Failed).as_slice(), [Action::GiveUp(Refusal::Failed)]));
    assert_eq!(intent.current(), None);
    let mined: Vec<&Part> = intent.mined().collect();
    assert_eq!(mined.len(), 1);
    assert_eq!(mined[0].payments, vec![TxOutput { address: address(1), amount: Amount(10) }]);
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(8)], disconnected: vec![txid(1)], reorg: true });
    assert!(matches!(actions.as_slice(), [Action::KeepAlive(_)]), "{actions:?}");
}

#[test]
fn a_failed_request_remembers_the_pools_transfer_the_chain_shows_paid() {
    let w = wallet(0);
    let restored = w
        .pay_many("t", 100, account(100, 3), &[TxOutput { address: address(1), amount: Amount(7) }], Amount(2), 1)
        .expect("pays");
    let mut intent = Intent::new(w.address());
    let view = TipView { account: account(100, 3), current_confirmed: false, pending: Some(restored.clone()) };
    request(&mut intent, 2, 5, 0, view);
    // A block mined the pool's transfer; the new payment alone fails to sign.
    let actions = intent.on(Event::ConfirmedAmong(vec![restored.id]));
    assert!(matches!(actions.as_slice(), [Action::SignAndSubmit { .. }]), "{actions:?}");
    assert!(matches!(intent.on(Event::Failed).as_slice(), [Action::Refuse(Refusal::Failed)]));
    assert_eq!(intent.current(), None);
    assert_eq!(intent.mined().map(|p| p.paid_by.clone()).collect::<Vec<_>>(), vec![vec![restored.id]]);
    let actions =
        intent.on(Event::ChainSwitched { connected: vec![txid(8)], disconnected: vec![restored.id], reorg: true });
    assert!(matches!(actions.as_slice(), [Action::KeepAlive(id)] if *id == restored.id), "{actions:?}");
}

#[test]
fn at_most_64_versions_per_part_are_remembered() {
    let mut intent = Intent::new(me());
    for n in 0..70u64 {
        pay(&mut intent, 1, 1, txid(n));
    }
    assert_eq!(intent.parts()[0].paid_by.len(), MAX_VERSIONS);
    assert_eq!(intent.parts()[0].paid_by.last(), Some(&txid(69)));
    assert_eq!(intent.parts()[0].paid_by.first(), Some(&txid(6)));
}

#[test]
fn at_most_32_mined_payments_are_remembered() {
    let mut intent = Intent::new(me());
    for n in 0..40u64 {
        pay(&mut intent, 1, 1, txid(n));
        intent.on(Event::ChainSwitched { connected: vec![txid(n)], disconnected: vec![], reorg: false });
    }
    assert_eq!(intent.mined().count(), MAX_REMEMBERED_PAYMENTS);
    assert_eq!(intent.mined().next().map(|p| p.paid_by[0]), Some(txid(8)));
}

#[test]
fn paying_the_wallet_itself_adds_only_the_fee() {
    let mut intent = Intent::new(me());
    match request(&mut intent, 0, 10, 2, tip(100, false)).as_slice() {
        [Action::SignAndSubmit { payments, fee, .. }] => {
            assert!(payments.is_empty());
            assert_eq!(*fee, Amount(2));
        }
        other => panic!("{other:?}"),
    }
}

// ---- property tests: a simulated chain and pool ----

const START: u64 = 1_000_000;
const REWARD: u64 = 50;

/// One block: its transaction ids, whether its reward goes to the wallet, its wallet transfers.
#[derive(Debug, Clone)]
struct SimBlock {
    reward: TxId,
    reward_to_wallet: bool,
    transfers: Vec<Transfer>,
}

impl SimBlock {
    fn ids(&self) -> Vec<TxId> {
        std::iter::once(self.reward).chain(self.transfers.iter().map(|t| t.id)).collect()
    }
}

struct World {
    wallet: Wallet,
    chain: Vec<SimBlock>,
    pool: Option<Transfer>,
    intent: Intent,
    keep_alives: VecDeque<TxId>,
    clock: u64,
    /// Requests: recipient, amount, and whether the wallet answered with a transfer.
    requests: Vec<(Address, u64, bool)>,
    /// Before each look-up or submission of the operation in flight, whether a block (mining the
    /// pool's transfer) lands first: bit i for the i-th step.
    interrupts: u8,
    step: u32,
    /// Chain switches and pool removals that happened during the operation, delivered after it
    /// (the actor handles its mailbox only between operations).
    deferred: Vec<Event>,
}

impl World {
    fn new() -> World {
        let wallet = wallet(0);
        let intent = Intent::new(wallet.address());
        World {
            wallet,
            chain: Vec::new(),
            pool: None,
            intent,
            keep_alives: VecDeque::new(),
            clock: 0,
            requests: Vec::new(),
            interrupts: 0,
            step: 0,
            deferred: Vec::new(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn account(&self) -> Account {
        let mut a = account(START, 0);
        for b in &self.chain {
            if b.reward_to_wallet {
                a.balance = Amount(a.balance.0 + REWARD);
            }
            for t in &b.transfers {
                let change = t.outputs.iter().filter(|o| o.address == self.wallet.address()).map(|o| o.amount.0).sum();
                a = account(change, a.nonce + 1);
            }
        }
        a
    }

    fn confirmed(&self, id: &TxId) -> bool {
        self.chain.iter().any(|b| b.ids().contains(id))
    }

    fn valid(&self, t: &Transfer) -> bool {
        let a = self.account();
        t.input.nonce == a.nonce && t.input.amount == a.balance
    }

    fn view(&self, of: Option<TxId>) -> TipView {
        TipView {
            account: self.account(),
            current_confirmed: of.is_some_and(|id| self.confirmed(&id)),
            pending: self.pool.clone(),
        }
    }

    /// Carries out the intent's actions (the owner's job), feeding the answers back.
    fn drive(&mut self, first: Vec<Action>) -> Option<bool> {
        let mut queue: VecDeque<Action> = first.into();
        let mut outcome = None;
        while let Some(action) = queue.pop_front() {
            if matches!(action, Action::CheckConfirmed(_) | Action::LookUpAccount | Action::SignAndSubmit { .. }) {
                self.maybe_interrupt();
            }
            let next = match action {
                Action::CheckConfirmed(ids) => {
                    let confirmed = ids.into_iter().filter(|id| self.confirmed(id)).collect();
                    self.intent.on(Event::ConfirmedAmong(confirmed))
                }
                Action::LookUpAccount => {
                    let a = self.account();
                    self.intent.on(Event::AccountLookedUp(a))
                }
                Action::SignAndSubmit { payments, fee, account, .. } => {
                    let now = self.tick();
                    match self.wallet.pay_many("sim", 100, account, &payments, fee, now) {
                        Err(_) => self.intent.on(Event::Failed),
                        Ok(t) if !self.valid(&t) => self.intent.on(Event::Stale),
                        Ok(t) => {
                            let id = t.id;
                            let replaced = self.pool.replace(t).map(|old| old.id);
                            let mut next = self.intent.on(Event::Submitted(id));
                            if let Some(old) = replaced {
                                next.extend(self.intent.on(Event::MempoolRemoved(vec![old])));
                            }
                            next
                        }
                    }
                }
                Action::KeepAlive(id) => {
                    self.keep_alives.push_back(id);
                    Vec::new()
                }
                Action::Signed(_) => {
                    outcome = Some(true);
                    Vec::new()
                }
                Action::Refuse(_) => {
                    outcome = Some(false);
                    Vec::new()
                }
                Action::Settled(_) | Action::GiveUp(_) => Vec::new(),
            };
            queue.extend(next);
        }
        assert!(!self.intent.is_busy(), "an operation was left waiting");
        outcome
    }

    /// A block lands while the wallet waits for an answer (its events wait in the mailbox).
    fn maybe_interrupt(&mut self) {
        let bit = self.step;
        self.step += 1;
        if bit >= 8 || self.interrupts & (1 << bit) == 0 {
            return;
        }
        let b = self.block(true, bit % 2 == 1);
        self.deferred.push(Event::ChainSwitched { connected: b.ids(), disconnected: Vec::new(), reorg: false });
        self.chain.push(b);
        if let Some(t) = self.pool.take() {
            if !self.confirmed(&t.id) && self.valid(&t) {
                self.pool = Some(t);
            } else {
                self.deferred.push(Event::MempoolRemoved(vec![t.id]));
            }
        }
    }

    /// Delivers what waited in the mailbox during the operation.
    fn flush_deferred(&mut self) {
        for event in std::mem::take(&mut self.deferred) {
            let actions = self.intent.on(event);
            self.drive(actions);
        }
    }

    fn request(&mut self, amount: u64, fee: u64) {
        let recipient = address(1_000 + self.requests.len() as u64);
        let view = self.view(self.intent.current());
        let actions =
            self.intent.on(Event::PaymentRequested { recipient, amount: Amount(amount), fee: Amount(fee), tip: view });
        let signed = self.drive(actions) == Some(true);
        self.requests.push((recipient, amount, signed));
        self.interrupts = 0;
        self.flush_deferred();
    }

    /// After the best chain changed: the pool drops what is mined or no longer valid, and takes
    /// back `returned` transfers that are valid again (as the mempool actor does).
    fn pool_after_switch(&mut self, returned: Vec<Transfer>) {
        let mut removed = Vec::new();
        if let Some(t) = self.pool.take() {
            if !self.confirmed(&t.id) && self.valid(&t) {
                self.pool = Some(t);
            } else {
                removed.push(t.id);
            }
        }
        for t in returned {
            if self.pool.is_none() && !self.confirmed(&t.id) && self.valid(&t) {
                self.pool = Some(t);
            }
        }
        if !removed.is_empty() {
            let actions = self.intent.on(Event::MempoolRemoved(removed));
            self.drive(actions);
        }
    }

    fn block(&mut self, include_pool: bool, reward_to_wallet: bool) -> SimBlock {
        let reward = txid(u64::MAX - self.tick());
        let transfers = match &self.pool {
            Some(t) if include_pool && self.valid(t) => vec![t.clone()],
            _ => Vec::new(),
        };
        SimBlock { reward, reward_to_wallet, transfers }
    }

    fn mine(&mut self, include_pool: bool, reward_to_wallet: bool) {
        let b = self.block(include_pool, reward_to_wallet);
        let connected = b.ids();
        self.chain.push(b);
        let actions = self.intent.on(Event::ChainSwitched { connected, disconnected: Vec::new(), reorg: false });
        self.drive(actions);
        self.pool_after_switch(Vec::new());
    }

    fn reorg(&mut self, depth: usize, length: usize, remine: bool, include_pool: bool, rewards: u8) {
        let depth = depth.min(self.chain.len());
        if depth == 0 {
            return;
        }
        let old = self.chain.split_off(self.chain.len() - depth);
        let returned: Vec<Transfer> = old.iter().flat_map(|b| b.transfers.iter().cloned()).collect();
        let disconnected: Vec<TxId> = old.iter().flat_map(SimBlock::ids).collect();
        let mut connected = Vec::new();
        for i in 0..length.max(depth + 1) {
            let mut b = self.block(include_pool && i == 0, rewards & (1 << (i % 8)) != 0);
            if remine && i == 0 {
                // The new branch mines some of the same transfers again (as far as still valid).
                for t in &returned {
                    let mut trial = self.chain.clone();
                    trial.push(b.clone());
                    let world = World { chain: trial, ..World::new() };
                    let at = world.account();
                    if !b.transfers.iter().any(|x| x.id == t.id)
                        && t.input.nonce == at.nonce
                        && t.input.amount == at.balance
                    {
                        b.transfers.push(t.clone());
                    }
                }
            }
            connected.extend(b.ids());
            self.chain.push(b);
        }
        let actions = self.intent.on(Event::ChainSwitched { connected, disconnected, reorg: true });
        self.drive(actions);
        self.pool_after_switch(returned);
    }

    fn evict(&mut self) {
        if let Some(t) = self.pool.take() {
            let actions = self.intent.on(Event::MempoolRemoved(vec![t.id]));
            self.drive(actions);
        }
    }

    fn run_keep_alive(&mut self) {
        if let Some(of) = self.keep_alives.pop_front() {
            let view = self.view(Some(of));
            let actions = self.intent.on(Event::KeepAliveChecked { of, tip: view });
            self.drive(actions);
            self.interrupts = 0;
            self.flush_deferred();
        }
    }

    /// Lets everything settle: keep-alive checks run, blocks mine the pool.
    fn settle(&mut self) {
        for _ in 0..200 {
            if !self.keep_alives.is_empty() {
                self.run_keep_alive();
            } else if self.pool.is_some() {
                self.mine(true, false);
            } else {
                return;
            }
        }
        panic!("the world did not settle");
    }

    /// Carries out one step of a property test's interleaving.
    fn apply(&mut self, op: Op) {
        match op {
            Op::Request { amount, fee, interrupts } => {
                self.interrupts = interrupts;
                self.step = 0;
                self.request(amount, fee)
            }
            Op::Mine { include_pool, reward_to_wallet } => self.mine(include_pool, reward_to_wallet),
            Op::Reorg { depth, length, remine, include_pool, rewards } => {
                self.reorg(depth, length, remine, include_pool, rewards)
            }
            Op::Evict => self.evict(),
            Op::KeepAlive { interrupts } => {
                self.interrupts = interrupts;
                self.step = 0;
                self.run_keep_alive()
            }
        }
    }

    fn paid_to(&self, recipient: Address) -> u64 {
        self.chain
            .iter()
            .flat_map(|b| b.transfers.iter())
            .flat_map(|t| t.outputs.iter())
            .filter(|o| o.address == recipient)
            .map(|o| o.amount.0)
            .sum()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Request { amount: u64, fee: u64, interrupts: u8 },
    Mine { include_pool: bool, reward_to_wallet: bool },
    Reorg { depth: usize, length: usize, remine: bool, include_pool: bool, rewards: u8 },
    Evict,
    KeepAlive { interrupts: u8 },
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..100, 0u64..3, prop_oneof![Just(0u8), any::<u8>()])
            .prop_map(|(amount, fee, interrupts)| Op::Request { amount, fee, interrupts }),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(include_pool, reward_to_wallet)| Op::Mine { include_pool, reward_to_wallet }),
        2 => (1usize..4, 1usize..5, any::<bool>(), any::<bool>(), any::<u8>())
            .prop_map(|(depth, length, remine, include_pool, rewards)| Op::Reorg { depth, length, remine, include_pool, rewards }),
        1 => Just(Op::Evict),
        2 => prop_oneof![Just(0u8), any::<u8>()].prop_map(|interrupts| Op::KeepAlive { interrupts }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the interleaving of requests, blocks (also landing while the wallet waits for a
    /// look-up or a submission), reorganisations (including ones that disconnect mined
    /// payments), evictions and keep-alive checks, once the world settles every
    /// answered payment is on the chain exactly once and no refused one is.
    #[test]
    fn no_payment_is_lost_and_none_is_paid_twice(ops in prop::collection::vec(arb_op(), 1..40)) {
        let mut world = World::new();
        for op in ops {
            world.apply(op);
            // Never paid twice, at any moment.
            for (recipient, amount, _) in &world.requests {
                prop_assert!(world.paid_to(*recipient) <= *amount, "paid twice");
            }
        }
        world.settle();
        for (recipient, amount, signed) in &world.requests {
            let paid = world.paid_to(*recipient);
            if *signed {
                prop_assert_eq!(paid, *amount, "a payment was lost");
            } else {
                prop_assert_eq!(paid, 0);
            }
        }
        prop_assert_eq!(world.intent.current(), None);
    }
}

#[test]
fn simulated_reorganisation_dropping_a_mined_payment_pays_it_once() {
    let mut world = World::new();
    world.request(10, 1);
    world.mine(true, false);
    world.request(20, 1);
    assert_eq!(world.paid_to(world.requests[0].0), 10);
    // The block holding the first payment is replaced by two blocks crediting the wallet.
    world.reorg(1, 2, false, false, 0b11);
    assert_eq!(world.paid_to(world.requests[0].0), 0);
    assert_eq!(world.intent.parts().len(), 2, "the dropped payment is pending again");
    world.settle();
    assert_eq!(world.paid_to(world.requests[0].0), 10);
    assert_eq!(world.paid_to(world.requests[1].0), 20);
}

/// The shrunk input that `no_payment_is_lost_and_none_is_paid_twice` found (its seed is in
/// proptest-regressions/wallet/intent_tests.txt).
#[test]
fn a_payment_mined_while_its_keep_alive_check_signs_again_is_not_lost() {
    let mut world = World::new();
    world.apply(Op::Request { amount: 1, fee: 0, interrupts: 0 });
    // A block mines the first payment, then blocks credit the wallet while the second is signed.
    world.apply(Op::Request { amount: 1, fee: 0, interrupts: 91 });
    world.apply(Op::Mine { include_pool: true, reward_to_wallet: false });
    // The block holding the second payment goes; the new branch leaves the wallet's balance as
    // it was, so the pool takes the transfer back while the intent revives its payment.
    world.apply(Op::Reorg { depth: 3, length: 1, remine: false, include_pool: false, rewards: 97 });
    assert_eq!(world.paid_to(world.requests[1].0), 0);
    // The keep-alive check: a block mines the pool's transfer before the signing round asks
    // which versions the chain holds, so nothing is left to sign.
    world.apply(Op::KeepAlive { interrupts: 246 });
    assert_eq!(world.paid_to(world.requests[1].0), 1);
    assert_eq!(world.intent.mined().count(), 2, "both mined payments are remembered");
    // That block goes too, for one crediting the wallet: the transfer is no longer valid.
    world.apply(Op::Reorg { depth: 1, length: 1, remine: false, include_pool: false, rewards: 5 });
    world.settle();
    for (recipient, amount, signed) in &world.requests {
        assert!(signed);
        assert_eq!(world.paid_to(*recipient), *amount, "a payment was lost");
    }
    assert_eq!(world.intent.current(), None);
}
