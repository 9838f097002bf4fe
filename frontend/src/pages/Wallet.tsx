import { useEffect, useState, type FormEvent } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync, useCheckedForm, useThrottled } from '../hooks';
import { Link } from '../router';
import { ApiError } from '../api';
import {
  Badge,
  BlockLink,
  Coins,
  CopyButton,
  Empty,
  ErrorBox,
  Field,
  Hash,
  Loading,
  PageTitle,
  ShortAddress,
  Time,
  TxId,
} from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { FormField } from '../components/forms';
import { HistoryTable, PendingTransfer, payments } from '../components/transactions';
import { formatCoins, formatInt } from '../format';
import { checkSend, type SendForm as SendFormValues, type TransferPreview } from '../validate';
import type { AddressInfo, Transfer } from '../types';

/** One payment asked for from this page, followed until it is confirmed. */
export interface SentEntry {
  /** Every id the payment's transfer has had (it is re-signed when updated or the balance changes). */
  ids: string[];
  recipient: string;
  amount: number;
  fee: number;
  at: number;
  /** Remembered once seen, as the wallet's history only holds recent entries. */
  confirmed?: { id: string; height: number; blockHash: string };
}

export type SentState =
  | { kind: 'pending'; id: string; resigned: boolean }
  | { kind: 'confirmed'; id: string; height: number; blockHash: string }
  | { kind: 'unknown' };

/** Where a payment stands, from the wallet's address info (pending transfer and history). */
export function resolveSent(entry: SentEntry, info: AddressInfo): SentState {
  const recipient = entry.recipient.toLowerCase();
  for (const h of info.history) {
    if (h.transaction.kind === 'Normal' && entry.ids.includes(h.transaction.tx.id))
      return { kind: 'confirmed', id: h.transaction.tx.id, height: h.height, blockHash: h.block_hash };
  }
  if (entry.confirmed) return { kind: 'confirmed', ...entry.confirmed };
  const p = info.pending;
  if (p && entry.ids.includes(p.id)) return { kind: 'pending', id: p.id, resigned: p.id !== entry.ids[0] };
  if (p && p.outputs.some((o) => o.address.toLowerCase() === recipient))
    return { kind: 'pending', id: p.id, resigned: p.id !== entry.ids[0] };
  // Re-signed and already confirmed: a transfer of this wallet paying the recipient, signed after the send.
  for (const h of info.history) {
    const t = h.transaction;
    if (
      t.kind === 'Normal' &&
      t.tx.input.address.toLowerCase() === info.address.toLowerCase() &&
      t.tx.input.timestamp >= entry.at - 1000 &&
      t.tx.outputs.some((o) => o.address.toLowerCase() === recipient && o.amount >= entry.amount)
    )
      return { kind: 'confirmed', id: t.tx.id, height: h.height, blockHash: h.block_hash };
  }
  return { kind: 'unknown' };
}

type PreviewPayment = TransferPreview['payments'][number];

function PreviewBox({ preview, pending, balance }: { preview: TransferPreview; pending: Transfer | null; balance: number }) {
  const updating = preview.updating;
  const columns: (Column<PreviewPayment> | false)[] = [
    { header: 'Recipient', cell: (p) => <Hash value={p.address} copy={false} head={6} tail={4} /> },
    updating && { header: 'Pending now', num: true, cell: (p) => formatCoins(p.previous) },
    updating && { header: '+ this send', num: true, cell: (p) => (p.added ? `+${formatCoins(p.added)}` : '—') },
    { header: updating ? 'After update' : 'Amount', num: true, cell: (p) => formatCoins(p.amount) },
  ];
  return (
    <div className={`preview${updating ? ' preview-update' : ''}`} data-testid="send-preview" aria-live="polite">
      {updating ? (
        <p>
          <strong>This updates your pending transfer</strong> {pending && <TxId id={pending.id} />}{' '}
          instead of creating a second one. After sending, it will pay:
        </p>
      ) : (
        <p>
          <strong>A new transfer</strong> will pay:
        </p>
      )}
      <DataTable
        compact
        rows={preview.payments}
        columns={columns}
        rowKey={(p) => p.address}
        rowAttributes={(p) => ({ className: p.added ? 'changed' : undefined })}
        extraRows={
          <tr className="changed">
            <td>Fee</td>
            {updating && <td className="num">{formatCoins(preview.previousFee)}</td>}
            {updating && <td className="num">+{formatCoins(preview.fee - preview.previousFee)}</td>}
            <td className="num">{formatCoins(preview.fee)}</td>
          </tr>
        }
        footer={
          <tr>
            <th scope="row">Leaves the wallet</th>
            {updating && <td />}
            {updating && <td />}
            <td className="num">
              <strong>{formatCoins(preview.total)}</strong> of {formatCoins(balance)}
            </td>
          </tr>
        }
      />
    </div>
  );
}

function SendForm({
  me,
  info,
  onSent,
}: {
  me: string;
  info: AddressInfo;
  onSent: (tx: Transfer, recipient: string, amount: number, fee: number) => void;
}) {
  const { api } = useNode();
  const [busy, setBusy] = useState(false);
  const [nodeError, setNodeError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState<Transfer | null>(null);
  const form = useCheckedForm<keyof SendFormValues, ReturnType<typeof checkSend>>(
    { recipient: '', amount: '', fee: '1' },
    ['recipient', 'amount', 'fee'],
    (v) => checkSend(v, { balance: info.balance, me, pending: info.pending }),
    () => {
      setNodeError(null);
      setSent(null);
    },
  );
  const { check } = form;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.attempt()) return;
    if (check.errors.form || !check.preview) return;
    const amount = Number(form.values.amount.trim().replace(/[,_\s]/g, ''));
    const fee = Number((form.values.fee.trim() || '0').replace(/[,_\s]/g, ''));
    setBusy(true);
    try {
      const tx = await api.transact(form.values.recipient.trim(), amount, fee);
      setSent(tx);
      onSent(tx, form.values.recipient.trim(), amount, fee);
      form.reset({ amount: '' });
    } catch (err) {
      setNodeError(err instanceof ApiError ? err : new ApiError(String(err), 'error', 0));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="send-form" onSubmit={submit} noValidate data-testid="send-form">
      <FormField
        {...form.field('recipient')}
        id="recipient"
        label="Recipient address"
        hint="A compressed public key: 66 hex digits starting 02 or 03 (or 130 starting 04)."
        placeholder="02… or 03… (66 hex digits)"
        spellCheck={false}
        className="mono"
      />
      <div className="form-pair">
        <FormField {...form.field('amount')} id="amount" label="Amount (whole coins)" inputMode="numeric" placeholder="10" />
        <FormField
          {...form.field('fee')}
          id="fee"
          label="Fee (whole coins)"
          inputMode="numeric"
          hint={info.pending ? 'Adds to the pending fee (at least 1).' : 'Higher fees are mined first.'}
        />
      </div>
      {check.preview && <PreviewBox preview={check.preview} pending={info.pending} balance={info.balance} />}
      {(form.submitted || (form.touched.amount && form.touched.recipient)) && check.errors.form && (
        <p className="field-error" role="alert" data-testid="form-error">
          {check.errors.form}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="send-button">
          {busy ? 'Sending…' : info.pending ? 'Update pending transfer' : 'Send'}
        </button>
      </div>
      <div aria-live="polite">
        {nodeError && (
          <div data-testid="node-error">
            <ErrorBox error={nodeError} title="The node refused the transfer" />
          </div>
        )}
        {sent && (
          <p className="ok-message" data-testid="send-ok">
            Signed and submitted: transfer <Hash value={sent.id} kind="tx" /> is pending.
          </p>
        )}
      </div>
    </form>
  );
}

const SENT_KEY = 'bitcoin_rust.dashboard.sent';

function loadSent(base: string): SentEntry[] {
  try {
    const all = JSON.parse(sessionStorage.getItem(SENT_KEY) ?? '{}') as Record<string, SentEntry[]>;
    return Array.isArray(all[base]) ? all[base] : [];
  } catch {
    return [];
  }
}

function saveSent(base: string, list: SentEntry[]) {
  try {
    const all = JSON.parse(sessionStorage.getItem(SENT_KEY) ?? '{}') as Record<string, SentEntry[]>;
    all[base] = list.slice(0, 20);
    sessionStorage.setItem(SENT_KEY, JSON.stringify(all));
  } catch {
    // Storage unavailable: the list lasts for this page only.
  }
}

function SentStatus({ entry, state: s, height }: { entry: SentEntry; state: SentState; height: number | null }) {
  switch (s.kind) {
    case 'pending':
      return (
        <>
          <Badge tone="warn">pending</Badge> in <TxId id={s.id} />
          {s.resigned && <span className="muted"> (re-signed)</span>}
        </>
      );
    case 'confirmed':
      return (
        <>
          <Badge tone="ok">confirmed</Badge> in <BlockLink height={s.height} id={s.blockHash} prefix="block " />
          {height !== null && <> · {formatInt(height - s.height + 1)} conf.</>} · <TxId id={s.id} />
        </>
      );
    default:
      return (
        <>
          <Badge tone="muted">not found</Badge> <Link to={`/tx/${entry.ids[entry.ids.length - 1]}`}>look it up</Link>
        </>
      );
  }
}

type SentRow = { entry: SentEntry; state: SentState };

function SentList({ entries, info, height }: { entries: SentEntry[]; info: AddressInfo; height: number | null }) {
  if (entries.length === 0) return <Empty>Nothing sent from this page yet.</Empty>;
  const rows: SentRow[] = entries.map((entry) => ({ entry, state: resolveSent(entry, info) }));
  const columns: Column<SentRow>[] = [
    { header: 'Sent', cell: (r) => <Time ts={r.entry.at} /> },
    { header: 'To', cell: (r) => <ShortAddress address={r.entry.recipient} /> },
    { header: 'Amount', num: true, cell: (r) => <Coins n={r.entry.amount} /> },
    { header: 'Status', cell: (r) => <SentStatus entry={r.entry} state={r.state} height={height} /> },
  ];
  return (
    <DataTable
      rows={rows}
      columns={columns}
      rowKey={(r, i) => `${r.entry.at}-${i}`}
      rowAttributes={(r) => ({ 'data-recipient': r.entry.recipient, 'data-status': r.state.kind })}
      testid="sent-list"
    />
  );
}

export function WalletPage() {
  const { api, base, epoch, status } = useNode();
  const key = useAsync((signal) => api.publicKey(signal), [base]);
  const me = key.data?.public_key ?? null;
  const info = useAsync(
    (signal) => (me ? api.address(me, signal, 50) : new Promise<AddressInfo>(() => {})),
    [base, me, epoch],
  );
  const reload = useThrottled(info.reload, 500);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg' || e.type === 'transaction' || e.type === 'mempool') reload();
  });

  const [sent, setSent] = useState<SentEntry[]>(() => loadSent(base));
  useEffect(() => setSent(loadSent(base)), [base]);
  // Follow re-signed transfers (remember every id a payment's transfer has had) and remember
  // confirmations.
  useEffect(() => {
    const d = info.data;
    if (!d) return;
    setSent((list) => {
      let changed = false;
      const next = list.map((e) => {
        const s = resolveSent(e, d);
        if (s.kind === 'pending' && !e.ids.includes(s.id)) {
          changed = true;
          return { ...e, ids: [...e.ids, s.id] };
        }
        if (s.kind === 'confirmed' && e.confirmed?.id !== s.id) {
          changed = true;
          const { kind: _kind, ...c } = s;
          void _kind;
          return { ...e, confirmed: c, ids: e.ids.includes(s.id) ? e.ids : [...e.ids, s.id] };
        }
        return e;
      });
      if (changed) saveSent(base, next);
      return changed ? next : list;
    });
  }, [info.data, base]);

  const onSent = (tx: Transfer, recipient: string, amount: number, fee: number) => {
    setSent((list) => {
      const next = [{ ids: [tx.id], recipient, amount, fee, at: tx.input.timestamp || Date.now() }, ...list].slice(0, 20);
      saveSent(base, next);
      return next;
    });
    info.reload();
  };

  const d = info.data;
  const committed = d?.pending
    ? payments(d.pending).reduce((s, o) => s + o.amount, 0) + d.pending.input.fee
    : 0;

  return (
    <>
      <PageTitle sub="The node’s own wallet: its key signs what you send here.">Wallet</PageTitle>
      <ErrorBox error={key.error} title="Cannot load the wallet’s key" />
      {!me && key.loading && <Loading what="Loading the wallet" />}
      {me && (
        <section className="card" aria-labelledby="key-h">
          <h2 id="key-h">Address (public key)</h2>
          <p className="key-line">
            <code className="mono wrap" data-testid="wallet-address">
              {me}
            </code>{' '}
            <CopyButton text={me} label="Copy address" />
          </p>
          {status?.address === me && <p className="muted">Block rewards mined by this node are paid here.</p>}
          <ErrorBox error={info.error} title="Cannot load the balance" />
          {!d && info.loading && <Loading what="Loading the balance" />}
          {d && (
            <dl className="fields">
              <Field label="Balance">
                <strong data-testid="wallet-balance">
                  <Coins n={d.balance} />
                </strong>
              </Field>
              {d.pending && (
                <Field label="In the pending transfer">
                  <Coins n={committed} /> (payments and fee) · still free for another send:{' '}
                  <Coins n={Math.max(0, d.balance - committed - 1)} />
                </Field>
              )}
              <Field label="Nonce">{formatInt(d.nonce)}</Field>
              <Field label="History">
                <Link to={`/address/${me}`}>All transactions of this address</Link>
              </Field>
            </dl>
          )}
        </section>
      )}
      {me && d && (
        <div className="grid-2">
          <section className="card" aria-labelledby="send-h">
            <h2 id="send-h">Send coins</h2>
            <SendForm me={me} info={d} onSent={onSent} />
          </section>
          <section className="card" aria-labelledby="pending-h">
            <h2 id="pending-h">Pending transfer</h2>
            <div className="callout" data-testid="update-rule">
              <strong>The update rule.</strong> This wallet keeps at most one transfer waiting. Sending again while it
              is pending <em>updates</em> it: paying the same recipient again adds to that recipient’s amount, a new
              recipient becomes another output, and the fees add up (an update pays at least 1 coin more). The
              transfer is signed again, so its id changes.
            </div>
            {d.pending ? (
              <PendingTransfer tx={d.pending} me={me} />
            ) : (
              <Empty>No transfer is waiting: the next send starts a new one.</Empty>
            )}
          </section>
        </div>
      )}
      {me && d && (
        <section className="card" aria-labelledby="sent-h">
          <h2 id="sent-h">Sent from this page</h2>
          <SentList entries={sent} info={d} height={status?.height ?? null} />
        </section>
      )}
      {me && d && (
        <section className="card" aria-labelledby="whist-h">
          <h2 id="whist-h">Recent history</h2>
          <HistoryTable history={d.history.slice(0, 10)} />
        </section>
      )}
    </>
  );
}
