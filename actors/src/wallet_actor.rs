//! [`WalletActor`]: owns the node's wallet (its key, loaded from `<data_dir>/wallet.key`) and runs
//! its payment intent ([`bitcoin_rust_core::wallet::intent::Intent`], the pure state machine of
//! `POST /transact`): it feeds the intent the requests, the chain's and the pool's events and the
//! answers to the look-ups the intent asks for, and carries out its actions (look up, sign,
//! submit to the pool). Operations run strictly one at a time (`AtomicResponse`). The look-ups
//! read the chain from its read side ([`ChainReader`], one store snapshot each), never through
//! the chain actor's mailbox.

use crate::api_error::ApiError;
use crate::chain_actor::ChainEvent;
use crate::chain_reader::{ChainReader, ReaderError};
use crate::mempool_actor::{GetPendingOf, MempoolActor, MempoolEvent, SubmitError, SubmitTransfer, TxOrigin};
use actix::prelude::*;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::chain::read;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::mempool::MempoolError;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::state::{Account, TipState};
use bitcoin_rust_core::transaction::{CheckedTransfer, Transaction, TxError};
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::intent::{Action, Event, Intent, Refusal, TipView};
use bitcoin_rust_core::wallet::Wallet;
use std::future::Future;
use std::sync::Arc;

/// Sends coins from the node's wallet (the first prototype's `POST /transact`).
#[derive(Message)]
#[rtype(result = "Result<Transfer, ApiError>")]
pub struct Transact {
    /// Who receives.
    pub recipient: Address,
    /// How much.
    pub amount: Amount,
    /// The fee for this payment (an update adds it to the pending transfer's fee).
    pub fee: Amount,
}

/// Returns the wallet's address.
#[derive(Message)]
#[rtype(result = "Address")]
pub struct GetWalletAddress;

/// Signs the wallet's payments again after its pending transfer left the pool unconfirmed, or
/// after a reorganisation dropped mined ones (sent to itself).
#[derive(Message)]
#[rtype(result = "()")]
struct KeepIntentAlive(TxId);

/// What the chain's read side knows of the wallet's address, at the tip of one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountAtTip {
    /// Balance and nonce.
    pub account: Account,
    /// The tip they are at.
    pub tip: BlockHash,
    /// Whether the asked transaction id is confirmed.
    pub confirmed: bool,
}

/// Reads `address`'s account, and whether `txid` is confirmed, from one snapshot of the chain's
/// read side (on a blocking thread).
fn account_at_tip(
    reader: &ChainReader,
    address: Address,
    txid: Option<TxId>,
) -> impl Future<Output = Result<AccountAtTip, ReaderError>> + 'static {
    reader.read(move |s| {
        let (view, tip) = read::accounts_at_tip(s, &[address], txid)?;
        let confirmed = txid.is_some_and(|id| view.is_confirmed(&id));
        Ok(AccountAtTip { account: view.account(&address), tip, confirmed })
    })
}

/// How an operation of the intent ended.
enum Done {
    /// A request was answered with this transfer.
    Signed(Transfer),
    /// A request was refused.
    Refused(ApiError),
    /// A keep-alive check ended.
    Settled,
}

/// The actor owning the node's wallet and its payment intent.
pub struct WalletActor {
    wallet: Wallet,
    intent: Intent,
    params: Arc<NetworkParams>,
    reader: ChainReader,
    mempool: Addr<MempoolActor>,
    /// The transfer last submitted (what [`Action::Signed`] names).
    submitted: Option<Transfer>,
    /// Why the last action failed (what [`Refusal::Failed`] stands for).
    error: Option<ApiError>,
}

impl WalletActor {
    /// Returns the actor for `wallet`, reading the chain through `reader`.
    pub fn new(
        wallet: Wallet,
        params: Arc<NetworkParams>,
        reader: ChainReader,
        mempool: Addr<MempoolActor>,
    ) -> WalletActor {
        let intent = Intent::new(wallet.address());
        WalletActor { wallet, intent, params, reader, mempool, submitted: None, error: None }
    }

    fn refusal(&mut self, refusal: Refusal) -> ApiError {
        match refusal {
            Refusal::Payment(e) => e.into(),
            Refusal::FeeOverflow => ApiError::rule("output_sum_overflow", "the fee overflows"),
            Refusal::AlreadyPaid => ApiError::conflict("already_paid", "the chain already holds these payments"),
            Refusal::Failed => {
                self.error.take().unwrap_or_else(|| ApiError::internal("the wallet's operation failed".to_string()))
            }
        }
    }

    /// Feeds `event` to the intent and carries out what it asks.
    fn feed(&mut self, event: Event, ctx: &mut Context<Self>) -> ResponseActFuture<Self, Done> {
        let actions = self.intent.on(event);
        self.drive(actions, ctx)
    }

    /// Carries out the intent's actions: the look-ups and submissions are awaited and their
    /// answers fed back, until the operation ends.
    fn drive(&mut self, actions: Vec<Action>, ctx: &mut Context<Self>) -> ResponseActFuture<Self, Done> {
        let mut done = Done::Settled;
        for action in actions {
            match action {
                Action::CheckConfirmed(ids) => {
                    let ask = self.reader.read(move |s| read::filter_confirmed(s, &ids));
                    return Box::pin(ask.into_actor(self).then(|answer, act, ctx| {
                        let event = match answer {
                            Ok(confirmed) => Event::ConfirmedAmong(confirmed),
                            Err(e) => act.failed(e.into()),
                        };
                        act.feed(event, ctx)
                    }));
                }
                Action::LookUpAccount => {
                    let ask = account_at_tip(&self.reader, self.wallet.address(), None);
                    return Box::pin(ask.into_actor(self).then(|answer, act, ctx| {
                        let event = match answer {
                            Ok(answer) => Event::AccountLookedUp(answer.account),
                            Err(e) => act.failed(e.into()),
                        };
                        act.feed(event, ctx)
                    }));
                }
                Action::SignAndSubmit { payments, fee, account, .. } => {
                    let checked = match self.sign(account, &payments, fee) {
                        Ok(checked) => checked,
                        Err(e) => {
                            let event = self.failed(e);
                            return self.feed(event, ctx);
                        }
                    };
                    let tx = checked.transfer().clone();
                    let ask = self.mempool.send(SubmitTransfer { tx: checked, origin: TxOrigin::Wallet });
                    // The payment is reported signed once the journal holds it.
                    let ask = async move {
                        let accepted = ask.await?;
                        Ok::<_, MailboxError>(match accepted {
                            Ok(accepted) => {
                                accepted.journaled.await;
                                Ok(accepted.added)
                            }
                            Err(e) => Err(e),
                        })
                    };
                    return Box::pin(ask.into_actor(self).then(move |answer, act, ctx| {
                        let event = match answer {
                            Ok(Ok(_)) => {
                                let id = tx.id;
                                act.submitted = Some(tx);
                                Event::Submitted(id)
                            }
                            // A block credited or debited the wallet between our look-up and the
                            // pool's check (perhaps paying one of the parts): sign again on the
                            // new tip (the intent decides whether to try again).
                            Ok(Err(
                                e @ SubmitError::Refused(MempoolError::Invalid(
                                    TxError::BalanceMismatch { .. } | TxError::BadNonce { .. },
                                )),
                            )) => {
                                act.error = Some(e.into());
                                Event::Stale
                            }
                            Ok(Err(e)) => act.failed(e.into()),
                            Err(e) => act.failed(e.into()),
                        };
                        act.feed(event, ctx)
                    }));
                }
                Action::KeepAlive(id) => ctx.address().do_send(KeepIntentAlive(id)),
                Action::Signed(id) => match self.submitted.take() {
                    Some(tx) if tx.id == id => done = Done::Signed(tx),
                    _ => done = Done::Refused(ApiError::internal("the signed transfer was lost".to_string())),
                },
                Action::Refuse(refusal) => done = Done::Refused(self.refusal(refusal)),
                Action::Settled(Some(id)) => {
                    tracing::info!(new = %id, parts = self.intent.parts().len(), "signed the wallet's payments again on the new tip");
                }
                Action::Settled(None) => {}
                Action::GiveUp(refusal) => {
                    let e = self.refusal(refusal);
                    tracing::warn!(error = %e, "the wallet's pending payments could not be signed again");
                }
            }
        }
        Box::pin(actix::fut::ready(done))
    }

    /// Carries out the actions of an event outside an operation (a chain switch, a transfer
    /// leaving the pool): only keep-alive checks, queued behind what is in the mailbox.
    fn schedule(&mut self, actions: Vec<Action>, ctx: &mut Context<Self>) {
        for action in actions {
            match action {
                Action::KeepAlive(id) => ctx.address().do_send(KeepIntentAlive(id)),
                other => {
                    tracing::warn!(action = ?other, "the wallet's intent asked for an action outside an operation")
                }
            }
        }
    }

    fn failed(&mut self, e: ApiError) -> Event {
        self.error = Some(e);
        Event::Failed
    }

    /// Signs one transfer paying `payments` and `fee` from `account`, checked against the rules.
    fn sign(&self, account: Account, payments: &[TxOutput], fee: Amount) -> Result<CheckedTransfer, ApiError> {
        let tx = self.wallet.pay_many(
            &self.params.network_id,
            self.params.max_outputs,
            account,
            payments,
            fee,
            crate::chain_actor::now_ms(),
        )?;
        Ok(CheckedTransfer::check(tx, &self.params)?)
    }
}

impl Actor for WalletActor {
    type Context = Context<Self>;
}

impl Handler<GetWalletAddress> for WalletActor {
    type Result = MessageResult<GetWalletAddress>;
    fn handle(&mut self, _: GetWalletAddress, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.wallet.address())
    }
}

impl Handler<Transact> for WalletActor {
    // One at a time: two concurrent sends must both land in the one pending transfer.
    type Result = AtomicResponse<Self, Result<Transfer, ApiError>>;
    fn handle(&mut self, msg: Transact, _: &mut Context<Self>) -> Self::Result {
        let me = self.wallet.address();
        let account = account_at_tip(&self.reader, me, self.intent.current());
        let pending = self.mempool.send(GetPendingOf(me));
        let fut = async move { (account.await, pending.await) };
        AtomicResponse::new(Box::pin(fut.into_actor(self).then(move |(account, pending), act, ctx| {
            let (account, pending) = match (account, pending) {
                (Ok(a), Ok(p)) => (a, p),
                (Err(e), _) => return Box::pin(actix::fut::ready(Err(e.into()))) as ResponseActFuture<Self, _>,
                (_, Err(e)) => return Box::pin(actix::fut::ready(Err(e.into()))) as ResponseActFuture<Self, _>,
            };
            let tip = TipView { account: account.account, current_confirmed: account.confirmed, pending };
            let event = Event::PaymentRequested { recipient: msg.recipient, amount: msg.amount, fee: msg.fee, tip };
            Box::pin(act.feed(event, ctx).map(|done, _, _| match done {
                Done::Signed(tx) => Ok(tx),
                Done::Refused(e) => Err(e),
                Done::Settled => Err(ApiError::internal("the payment request ended unanswered".to_string())),
            })) as ResponseActFuture<Self, Result<Transfer, ApiError>>
        })))
    }
}

impl Handler<KeepIntentAlive> for WalletActor {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, msg: KeepIntentAlive, _: &mut Context<Self>) -> Self::Result {
        let me = self.wallet.address();
        let query = account_at_tip(&self.reader, me, Some(msg.0));
        let pending = self.mempool.send(GetPendingOf(me));
        let fut = async move { (query.await, pending.await) };
        AtomicResponse::new(Box::pin(fut.into_actor(self).then(move |(answer, pending), act, ctx| {
            let (answer, pending) = match (answer, pending) {
                (Ok(a), Ok(p)) => (a, p),
                (Err(e), _) => {
                    tracing::warn!(of = %msg.0, error = %e, "the wallet could not read its account to keep its payments alive");
                    return Box::pin(actix::fut::ready(())) as ResponseActFuture<Self, ()>;
                }
                // The pool is gone: the node is shutting down.
                (_, Err(_)) => return Box::pin(actix::fut::ready(())) as ResponseActFuture<Self, ()>,
            };
            tracing::debug!(of = %msg.0, tip = %answer.tip, confirmed = answer.confirmed, "keep-alive check of the wallet's payments");
            let tip = TipView { account: answer.account, current_confirmed: answer.confirmed, pending };
            Box::pin(act.feed(Event::KeepAliveChecked { of: msg.0, tip }, ctx).map(|_, _, _| ()))
        })))
    }
}

impl Handler<ChainEvent> for WalletActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, ctx: &mut Context<Self>) {
        let s = &event.switch;
        let ids = |blocks: &[bitcoin_rust_core::block::Block]| -> Vec<TxId> {
            blocks.iter().flat_map(|b| b.transactions.iter().map(Transaction::id)).collect()
        };
        let event = Event::ChainSwitched {
            connected: ids(&s.connected),
            disconnected: ids(&s.disconnected),
            reorg: s.is_reorg(),
        };
        let actions = self.intent.on(event);
        if actions.iter().any(|a| matches!(a, Action::KeepAlive(_))) {
            tracing::info!(
                payments = self.intent.parts().len(),
                "a reorganisation dropped payments of the wallet: paying them again"
            );
        }
        self.schedule(actions, ctx);
    }
}

impl Handler<MempoolEvent> for WalletActor {
    type Result = ();
    fn handle(&mut self, event: MempoolEvent, ctx: &mut Context<Self>) {
        if let MempoolEvent::Removed { ids, .. } = event {
            let actions = self.intent.on(Event::MempoolRemoved(ids));
            self.schedule(actions, ctx);
        }
    }
}
