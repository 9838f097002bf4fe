// The dev-chain card of the overview: mine N blocks now and, with the faucet on, pay coins from the
// node's wallet (`POST /dev/mine`, `POST /dev/faucet`). Shown only when GET /status says
// `dev.enabled` (README "Dev chain"); the usual node never shows it.
import { useRef, useState, type FormEvent } from 'react';
import { useNode } from '../node';
import { Link } from '../router';
import { ApiError } from '../api';
import { ErrorBox, Hash } from '../components/common';
import { FormField } from '../components/forms';
import { formatDuration, formatInt } from '../format';
import { checkFaucet, DEV_MINE_MAX, parseBlockCount } from '../validate';
import { useCheckedForm } from '../hooks';
import type { DevMined, DevStatus, Transfer } from '../types';

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(String(e), 'error', 0));

/** "mines on every transfer · a block every 2.0 s · fixed difficulty", or on demand only. */
export function devSettingsText(dev: DevStatus): string {
  const parts: string[] = [];
  if (dev.mine_on_transaction) parts.push('mines on every transfer');
  if (dev.block_interval_ms > 0) parts.push(`a block every ${formatDuration(dev.block_interval_ms)}`);
  if (parts.length === 0) parts.push('blocks only on demand');
  parts.push(dev.fixed_difficulty ? 'fixed difficulty' : 'difficulty retargets');
  return parts.join(' · ');
}

function MineForm() {
  const { api, refreshStatus } = useNode();
  const [count, setCount] = useState('1');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState<DevMined | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const n = parseBlockCount(count);
    if (!n.ok) {
      setInvalid(n.error);
      input.current?.focus();
      return;
    }
    setInvalid(null);
    setBusy(true);
    try {
      setResult(await api.devMine(n.value));
      refreshStatus();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate data-testid="dev-mine-form">
      <FormField
        id="dev-mine-count"
        label={`Mine blocks now (1 to ${formatInt(DEV_MINE_MAX)})`}
        error={invalid}
        ref={input}
        type="number"
        min={1}
        max={DEV_MINE_MAX}
        step={1}
        inputMode="numeric"
        value={count}
        onChange={(e) => {
          setCount(e.target.value);
          setInvalid(null);
        }}
        actions={
          <button type="submit" className="primary" disabled={busy} data-testid="dev-mine-button">
            {busy ? 'Mining…' : `Mine ${parseBlockCount(count).ok ? count.trim() : 'N'} block${count.trim() === '1' ? '' : 's'}`}
          </button>
        }
      />
      <div aria-live="polite">
        {result && (
          <p className="ok-message" data-testid="dev-mine-ok">
            Mined {formatInt(result.mined)} block{result.mined === 1 ? '' : 's'}, height{' '}
            <Link to={`/blocks/${result.tip}`}>#{formatInt(result.height)}</Link>.
          </p>
        )}
        <ErrorBox error={error} title="The node refused" />
      </div>
    </form>
  );
}

function FaucetForm({ max }: { max: number }) {
  const { api, refreshStatus } = useNode();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState<Transfer | null>(null);
  const form = useCheckedForm(
    { address: '', amount: '' },
    ['address', 'amount'] as const,
    (v) => checkFaucet(v, max),
    () => {
      setError(null);
      setSent(null);
    },
  );
  const { check } = form;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.attempt()) return;
    if (check.amount === null) {
      form.focus('amount');
      return;
    }
    setBusy(true);
    try {
      setSent(await api.devFaucet(form.values.address.trim(), check.amount));
      form.reset({ amount: '' });
      refreshStatus();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate data-testid="dev-faucet-form">
      <h3>Faucet</h3>
      <FormField
        {...form.field('address')}
        id="faucet-address"
        label="Address to pay"
        hint="Paid from the node’s wallet with fee 1, like a send from the wallet page."
        placeholder="02… or 03… (66 hex digits)"
        spellCheck={false}
        className="mono"
      />
      <FormField
        {...form.field('amount')}
        id="faucet-amount"
        label={`Amount (1 to ${formatInt(max)} coins)`}
        inputMode="numeric"
        placeholder="100"
      />
      <div className="actions">
        <button type="submit" disabled={busy} data-testid="dev-faucet-button">
          {busy ? 'Requesting…' : 'Request coins'}
        </button>
      </div>
      <div aria-live="polite">
        {sent && (
          <p className="ok-message" data-testid="dev-faucet-ok">
            Transfer <Hash value={sent.id} kind="tx" /> is pending.
          </p>
        )}
        <ErrorBox error={error} title="The node refused" />
      </div>
    </form>
  );
}

/** The dev-chain card, or nothing when the node is not a dev chain. */
export function DevChainPanel() {
  const { status } = useNode();
  const dev = status?.dev;
  if (!dev?.enabled) return null;
  return (
    <section className="card" aria-labelledby="dev-h" data-testid="dev-panel">
      <h2 id="dev-h">Dev chain</h2>
      <p className="muted small" data-testid="dev-settings">
        {devSettingsText(dev)}
      </p>
      <MineForm />
      {dev.faucet && <FaucetForm max={dev.faucet_max_amount} />}
      <p className="muted small">
        <Link to="/network/forks">Fork lab</Link>: isolate this node for a while to make a fork, and watch the block tree.
      </p>
    </section>
  );
}
