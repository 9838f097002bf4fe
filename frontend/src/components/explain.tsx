// Explain views: a block's header, Merkle tree and a transaction's preimage, re-encoded and
// re-checked in the browser (protocol.ts: WebCrypto SHA-256, @noble/curves secp256k1), never by
// asking the node. The learner edits bytes and watches the checks turn from "verified" to "fails".
//
// Stable test ids (unit tests and the browser e2e look for these; the verdict elements' text is
// exactly "verified" or "fails", or "checking…" while a hash is computed; their data-state is
// "verified", "fails" or "checking"):
//
// Header (HeaderExplain):
//   explain-header-verdict            overall: hash equals the node's and (not genesis) is below the target
//   explain-header-hash-match         the recomputed hash equals the block's `hash`
//   explain-header-work               the hash is strictly below the target its bits encode (§5.1);
//                                     "not required" (data-state not-required) for genesis, never mined
//   explain-header-hash               the recomputed block hash (hex)
//   explain-header-target             the target decoded from the (edited) bits (hex)
//   explain-header-field-<key>        hex input of one field; keys: version height last_hash
//                                     merkle_root timestamp bits nonce
//   explain-header-byte-<offset>      one byte (button, 0–95): a click adds 1 to it
//   explain-header-reset              restores the block's bytes
// Merkle tree (MerkleExplain):
//   explain-merkle-verdict            the root of the (edited) ids equals the header's merkle_root
//   explain-merkle-root               the recomputed root (hex)
//   explain-merkle-select-<i>         chooses transaction i (its path is highlighted)
//   explain-merkle-txid               hex input: the chosen transaction's id
//   explain-merkle-path-verdict       folding the chosen transaction's path reaches the header's root
//   explain-merkle-tree               the drawn tree (nodes on the path have class `on-path`,
//                                     proof siblings `sibling`)
//   explain-merkle-txid-verdict-<i>   transaction i's id, recomputed from its content, equals the claimed id
//   explain-merkle-reset              restores the chosen transaction's id
// Transfer (TransferExplain):
//   explain-preimage-field-<key>      hex input of one preimage field; keys: domain_len domain
//                                     network_len network sender nonce timestamp amount fee
//                                     output_count output<i>_address output<i>_amount
//   explain-preimage-byte-<offset>    one preimage byte (button): a click adds 1 to it
//   explain-preimage-reset
//   explain-signature-field-r / explain-signature-field-s   hex inputs of the signature's halves
//   explain-signature-byte-<offset>, explain-signature-reset
//   explain-sighash                   SHA-256(preimage) (hex)
//   explain-txid                      SHA-256(preimage || signature) (hex)
//   explain-txid-verdict              the recomputed txid equals the transfer's `id`
//   explain-signature-verdict         the signature verifies (low-S) with the sender's key over the sighash
//   explain-signature-reason          why not: malformed_signature, high_s_signature or bad_signature
// Reward (RewardExplain):
//   explain-reward-field-<key>        keys: domain_len domain network_len network height miner amount data_len data
//   explain-reward-byte-<offset>, explain-reward-reset
//   explain-txid, explain-txid-verdict   as for a transfer: SHA-256(preimage) against the reward's `id`
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  bytesEqual,
  bytesToHex,
  decodeField,
  encodeHeader,
  encodeRewardPreimage,
  encodeTransferPreimage,
  fieldBytes,
  foldMerklePath,
  hex256,
  hexToBytes,
  meetsTarget,
  merklePath,
  merkleTree,
  parseHexOfSize,
  recomputeTxid,
  sha256,
  signatureBytes,
  targetFromBits,
  transferTxid,
  verifyTransferSignature,
  type ByteField,
  type Layout,
  type MerkleTree,
} from '../protocol';
import { Link } from '../router';
import type { Block, Reward, Transfer } from '../types';

// ---------------------------------------------------------------------------------------------
// Small pieces

/** An async value of `key`; null until it is computed (and again while a new key is). */
function useComputed<T>(key: string, compute: () => Promise<T>): T | null {
  const [state, setState] = useState<{ key: string; value: T } | null>(null);
  useEffect(() => {
    let live = true;
    compute().then(
      (value) => live && setState({ key, value }),
      () => live && setState(null),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state && state.key === key ? state.value : null;
}

function useSha256(bytes: Uint8Array): Uint8Array | null {
  return useComputed(bytesToHex(bytes), () => sha256(bytes));
}

/** "verified" / "fails" (or "checking…" while `ok` is null). */
export function Verdict({ ok, testid, title, live = true }: { ok: boolean | null; testid: string; title?: string; live?: boolean }) {
  const state = ok === null ? 'checking' : ok ? 'verified' : 'fails';
  return (
    <span
      className={`badge verdict badge-${ok === null ? 'muted' : ok ? 'ok' : 'bad'}`}
      data-testid={testid}
      data-state={state}
      title={title}
      aria-live={live ? 'polite' : undefined}
    >
      {ok === null ? 'checking…' : state}
    </span>
  );
}

function HexValue({ value, testid, changed }: { value: Uint8Array | string | null; testid?: string; changed?: boolean }) {
  const text = value === null ? '…' : typeof value === 'string' ? value : bytesToHex(value);
  return (
    <code className={`mono hex-value${changed ? ' changed' : ''}`} data-testid={testid}>
      {text}
    </code>
  );
}

function Check({ label, children }: { label: ReactNode; children: ReactNode }) {
  return (
    <div className="check">
      <div className="check-label">{label}</div>
      <div className="check-body">{children}</div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The byte editor: a field table (offset, size, encoding, hex input, decoded value) and the
// bytes themselves, each a button adding 1 to it.

/** A field's value for the table: hex fields shortened (they are the bytes themselves). */
function showValue(f: ByteField, bytes: Uint8Array): string {
  const v = decodeField(f, bytes);
  if (f.kind === 'hash' || f.kind === 'key' || f.kind === 'sig') return `${v.slice(0, 8)}…${v.slice(-6)}`;
  return v;
}

function ByteEditor({
  layout,
  bytes,
  setBytes,
  prefix,
  caption,
}: {
  layout: Layout;
  bytes: Uint8Array;
  setBytes: (b: Uint8Array) => void;
  prefix: string;
  caption: string;
}) {
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const edited = !bytesEqual(bytes, layout.bytes);
  const fieldOf = useMemo(() => {
    const out: number[] = new Array(layout.bytes.length);
    layout.fields.forEach((f, i) => out.fill(i, f.offset, f.offset + f.size));
    return out;
  }, [layout]);

  const setField = (f: ByteField, text: string) => {
    const parsed = parseHexOfSize(text, f.size);
    if (parsed) {
      const b = bytes.slice();
      b.set(parsed, f.offset);
      setBytes(b);
      setDrafts(({ [f.key]: _gone, ...rest }) => rest);
    } else setDrafts((d) => ({ ...d, [f.key]: text }));
  };
  const bump = (offset: number) => {
    const b = bytes.slice();
    b[offset] = (b[offset] + 1) & 0xff;
    setBytes(b);
    setDrafts({});
  };
  const reset = () => {
    setBytes(layout.bytes.slice());
    setDrafts({});
  };

  return (
    <div className="byte-editor">
      <div className="table-wrap">
        <table className="table compact explain-fields" data-testid={`${prefix}-fields`}>
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                Offset
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">Field</th>
              <th scope="col">Encoding</th>
              <th scope="col">Bytes (hex, editable)</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {layout.fields.map((f, i) => {
              const cur = fieldBytes(f, bytes);
              const changed = !bytesEqual(cur, fieldBytes(f, layout.bytes));
              const draft = drafts[f.key];
              const invalid = draft !== undefined;
              const id = `${prefix}-field-${f.key}`;
              return (
                <tr key={f.key} className={`${changed ? 'changed ' : ''}fc${i % 6}`}>
                  <td className="num">{f.offset}</td>
                  <td className="num">{f.size}</td>
                  <td>
                    <label htmlFor={id}>{f.label}</label>
                  </td>
                  <td className="muted small encoding">{f.encoding}</td>
                  <td>
                    <input
                      id={id}
                      className="mono hex-input"
                      data-testid={id}
                      value={invalid ? draft : bytesToHex(cur)}
                      size={Math.min(Math.max(f.size * 2, 4), 66)}
                      spellCheck={false}
                      autoComplete="off"
                      aria-invalid={invalid || undefined}
                      aria-describedby={invalid ? `${id}-err` : undefined}
                      onChange={(e) => setField(f, e.target.value)}
                    />
                    {invalid && (
                      <div className="field-error" id={`${id}-err`}>
                        Type exactly {f.size * 2} hex digits ({f.size} byte{f.size === 1 ? '' : 's'}); the checks use the last valid bytes.
                      </div>
                    )}
                  </td>
                  <td className="mono explain-value" title={decodeField(f, bytes)}>
                    {showValue(f, bytes)}
                    {changed && <span className="badge badge-warn">edited</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="byte-grid" role="group" aria-label={`${caption}: click a byte to add 1 to it`}>
        {Array.from(bytes, (x, o) => {
          const f = layout.fields[fieldOf[o]];
          const changed = x !== layout.bytes[o];
          return (
            <button
              type="button"
              key={o}
              className={`byte fc${fieldOf[o] % 6}${changed ? ' changed' : ''}`}
              data-testid={`${prefix}-byte-${o}`}
              title={`offset ${o}: ${f?.label ?? ''} (click: +1)`}
              aria-label={`Byte ${o} of ${f?.label ?? ''}: ${x.toString(16).padStart(2, '0')}; add 1`}
              onClick={() => bump(o)}
            >
              {x.toString(16).padStart(2, '0')}
            </button>
          );
        })}
      </div>
      <p className="actions">
        <button type="button" data-testid={`${prefix}-reset`} onClick={reset} disabled={!edited && Object.keys(drafts).length === 0}>
          Restore the original bytes
        </button>
        <span className="muted small">
          {bytes.length} bytes{edited ? ' · edited' : ''}. Edit a field’s hex or click a byte: every check below is recomputed in this browser.
        </span>
      </p>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// §4.1 header and §5.1 work

export function HeaderExplain({ block }: { block: Block }) {
  const layout = useMemo(() => encodeHeader(block), [block]);
  const [bytes, setBytes] = useState<Uint8Array>(() => layout.bytes.slice());
  const hash = useSha256(bytes);
  const bitsField = layout.fields.find((f) => f.key === 'bits')!;
  const bits = Number(BigInt('0x' + bytesToHex(fieldBytes(bitsField, bytes))));
  const target = targetFromBits(bits);
  const genesis = block.block_number === 0;
  const matches = hash === null ? null : bytesToHex(hash) === block.hash;
  const work = hash === null ? null : target !== null && meetsTarget(hash, target);
  const overall = hash === null ? null : !!matches && (genesis || !!work);

  return (
    <section className="card explain" aria-labelledby="explain-header-h">
      <h2 id="explain-header-h">
        Header: 96 bytes, hashed once with SHA-256 <Verdict ok={overall} testid="explain-header-verdict" />
      </h2>
      <p className="muted">
        PROTOCOL.md §4.1: every integer is unsigned big-endian; hashes are stored as they are written. The block hash is{' '}
        <code>SHA-256(header)</code> (a single SHA-256), computed here with WebCrypto. The header commits to the transactions only
        through the Merkle root.
      </p>
      <ByteEditor layout={layout} bytes={bytes} setBytes={setBytes} prefix="explain-header" caption="Header fields" />
      <div className="checks">
        <Check label="SHA-256(header), recomputed">
          <HexValue value={hash} testid="explain-header-hash" changed={matches === false} />
        </Check>
        <Check label="Block hash the node claims">
          <HexValue value={block.hash} />{' '}
          <Verdict ok={matches} testid="explain-header-hash-match" title="the recomputed hash equals the claimed one" />
        </Check>
        <Check label={`Target from bits 0x${bits.toString(16).padStart(8, '0')}`}>
          {target === null ? (
            <span className="badge badge-bad">invalid bits</span>
          ) : (
            <HexValue value={hex256(target)} testid="explain-header-target" />
          )}
        </Check>
        <Check label="Hash < target (as 256-bit big-endian numbers)">
          {genesis ? (
            <span className="badge badge-muted verdict" data-testid="explain-header-work" data-state="not-required">
              not required
            </span>
          ) : (
            <Verdict ok={work} testid="explain-header-work" />
          )}{' '}
          {genesis ? (
            <span className="muted small">
              Genesis is never mined (§4.4): its hash need not be below the target, so only the hash itself is checked.
            </span>
          ) : (
            <span className="muted small">
              Strictly below (§5.1): with {leadingZeroHexDigits(hash)} leading zero hex digits.
            </span>
          )}
        </Check>
      </div>
    </section>
  );
}

function leadingZeroHexDigits(hash: Uint8Array | null): string {
  if (!hash) return '…';
  const h = bytesToHex(hash);
  return String(h.length - h.replace(/^0+/, '').length);
}

// ---------------------------------------------------------------------------------------------
// §4.3 Merkle tree

const SHOW_ALL_UP_TO = 32;

function short(h: Uint8Array): string {
  const x = bytesToHex(h);
  return `${x.slice(0, 6)}…${x.slice(-4)}`;
}

function MerkleDrawing({ tree, index }: { tree: MerkleTree; index: number }) {
  const path = merklePath(tree, index);
  const levels = tree.levels.map((level, lv) => ({ level, lv })).reverse();
  return (
    <div className="merkle-tree" data-testid="explain-merkle-tree" role="img" aria-label={`Merkle tree of ${tree.levels[0].length} ids, the path of transaction ${index} highlighted`}>
      {levels.map(({ level, lv }) => {
        const on = path.positions[lv];
        const sib = path.siblings[lv];
        let shown = level.map((_, i) => i);
        if (level.length > SHOW_ALL_UP_TO) {
          const keep = new Set([0, level.length - 1, on, sib ?? on]);
          shown = [...keep].sort((a, b) => a - b);
        }
        const cells: ReactNode[] = [];
        shown.forEach((i, k) => {
          if (k > 0 && i > shown[k - 1] + 1) cells.push(<span key={`gap${i}`} className="merkle-gap">…</span>);
          const carried = lv > 0 && i === level.length - 1 && tree.levels[lv - 1].length % 2 === 1;
          const cls = ['merkle-node', i === on ? 'on-path' : '', i === sib ? 'sibling' : '', carried ? 'carried' : ''].filter(Boolean).join(' ');
          cells.push(
            <span key={i} className={cls} title={bytesToHex(level[i])} data-level={lv} data-index={i}>
              <span className="merkle-node-label">
                {lv === 0 ? `leaf ${i}` : lv === tree.levels.length - 1 ? 'root' : `node ${lv}.${i}`}
                {lv === 0 && tree.levels.length === 1 ? ' = root' : ''}
                {carried ? ' (carried up)' : ''}
              </span>
              <code className="mono">{short(level[i])}</code>
            </span>,
          );
        });
        return (
          <div key={lv} className="merkle-level">
            <span className="merkle-level-name muted small">{lv === 0 ? 'leaves' : `level ${lv}`}</span>
            {cells}
          </div>
        );
      })}
    </div>
  );
}

export function MerkleExplain({ block, network, initialIndex = 0 }: { block: Block; network: string; initialIndex?: number }) {
  const txs = block.data;
  const [index, setIndex] = useState(() => Math.min(Math.max(initialIndex, 0), Math.max(txs.length - 1, 0)));
  const [draft, setDraft] = useState<string | null>(null);
  const [edited, setEdited] = useState<Uint8Array | null>(null);

  const recomputed = useComputed(`${block.hash}/${network}`, () =>
    Promise.all(txs.map((t) => recomputeTxid(t, network).then(bytesToHex, () => null))),
  );
  // The ids the tree is built from: recomputed from the content (the claimed id where the content
  // does not encode), the chosen one as the learner edited it.
  const ids = useMemo(() => {
    if (!recomputed) return null;
    return recomputed.map((id, i) => (i === index && edited ? edited : hexToBytes(id ?? txs[i].tx.id)));
  }, [recomputed, edited, index, txs]);
  const tree = useComputed(ids ? ids.map(bytesToHex).join() : '', () => (ids ? merkleTree(ids) : Promise.reject(new Error('no ids'))));
  const rootOk = tree ? bytesToHex(tree.root) === block.merkle_root : null;
  const path = tree && tree.levels.length ? merklePath(tree, index) : null;
  const folded = useComputed(tree && ids && path ? `${bytesToHex(ids[index])}/${path.steps.map((s) => s.side + bytesToHex(s.hash)).join()}` : '', () =>
    tree && ids && path ? foldMerklePath(ids[index], path.steps) : Promise.reject(new Error('no path')),
  );
  const pathOk = folded ? bytesToHex(folded) === block.merkle_root : null;

  if (txs.length === 0) {
    return (
      <section className="card explain" aria-labelledby="explain-merkle-h">
        <h2 id="explain-merkle-h">Merkle root</h2>
        <p>
          This block holds no transactions. {block.block_number === 0 ? (
            <>In genesis the Merkle root field holds the <strong>genesis commitment</strong> instead: the SHA-256 of the network’s parameters (PROTOCOL.md §4.4).</>
          ) : (
            <>The root of an empty list is 32 zero bytes.</>
          )}
        </p>
      </section>
    );
  }

  const choose = (i: number) => {
    setIndex(i);
    setDraft(null);
    setEdited(null);
  };
  const chosenId = ids ? bytesToHex(ids[index]) : '';
  const original = recomputed ? recomputed[index] ?? txs[index].tx.id : '';

  return (
    <section className="card explain" aria-labelledby="explain-merkle-h">
      <h2 id="explain-merkle-h">
        Merkle tree of {txs.length} transaction id{txs.length === 1 ? '' : 's'} <Verdict ok={rootOk} testid="explain-merkle-verdict" />
      </h2>
      <p className="muted">
        PROTOCOL.md §4.3: <code>leaf(id) = SHA-256(00 || id)</code>, <code>node(l, r) = SHA-256(01 || l || r)</code>; an odd last
        element is carried up unchanged. Every id below is recomputed from the transaction’s content (§3.1, §3.2) on network{' '}
        <code>{network}</code>.
      </p>
      <div className="table-wrap">
        <table className="table compact" data-testid="explain-merkle-ids">
          <caption className="sr-only">Transaction ids</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">Kind</th>
              <th scope="col">Claimed id</th>
              <th scope="col">Recomputed id</th>
              <th scope="col">Path</th>
            </tr>
          </thead>
          <tbody>
            {txs.map((t, i) => {
              const r = recomputed ? recomputed[i] : null;
              return (
                <tr key={i} className={i === index ? 'selected' : undefined}>
                  <td className="num">{i}</td>
                  <td>{t.kind === 'Reward' ? 'reward' : 'transfer'}</td>
                  <td>
                    <Link to={`/tx/${t.tx.id}/explain`} className="mono" title={t.tx.id}>
                      {t.tx.id.slice(0, 10)}…{t.tx.id.slice(-6)}
                    </Link>
                  </td>
                  <td>
                    <Verdict ok={recomputed ? r === t.tx.id : null} testid={`explain-merkle-txid-verdict-${i}`} live={false} />{' '}
                    {r && r !== t.tx.id && <code className="mono small">{r}</code>}
                    {recomputed && r === null && <span className="muted small">cannot be encoded</span>}
                  </td>
                  <td>
                    <button type="button" data-testid={`explain-merkle-select-${i}`} aria-pressed={i === index} onClick={() => choose(i)}>
                      {i === index ? 'Path shown' : 'Show its path'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="form-row">
        <label htmlFor="explain-merkle-txid">Id of transaction {index} (edit it: the leaf, the path and the root change)</label>
        <input
          id="explain-merkle-txid"
          data-testid="explain-merkle-txid"
          className="mono hex-input"
          size={66}
          spellCheck={false}
          autoComplete="off"
          value={draft ?? chosenId}
          aria-invalid={draft !== null || undefined}
          onChange={(e) => {
            const b = parseHexOfSize(e.target.value, 32);
            if (b) {
              setEdited(bytesToHex(b) === original ? null : b);
              setDraft(null);
            } else setDraft(e.target.value);
          }}
        />
        {draft !== null && <div className="field-error">Type exactly 64 hex digits (32 bytes).</div>}
        <p className="actions">
          <button type="button" data-testid="explain-merkle-reset" disabled={!edited && draft === null} onClick={() => choose(index)}>
            Restore the id
          </button>
        </p>
      </div>
      {tree && <MerkleDrawing tree={tree} index={index} />}
      <div className="checks">
        <Check label="Root recomputed from the ids">
          <HexValue value={tree ? tree.root : null} testid="explain-merkle-root" changed={rootOk === false} />
        </Check>
        <Check label="Merkle root in the header">
          <HexValue value={block.merkle_root} />
        </Check>
        <Check label={`Inclusion proof of transaction ${index} (§4.3.1)`}>
          {path && (
            <ol className="proof-steps" data-testid="explain-merkle-path">
              {path.steps.length === 0 && <li className="muted">empty path: the only leaf is the root</li>}
              {path.steps.map((s, k) => (
                <li key={k}>
                  <code>{s.side}</code> <code className="mono">{bytesToHex(s.hash)}</code>
                </li>
              ))}
            </ol>
          )}
          <span className="muted small">Folding the path from leaf(id) reaches the header’s root: </span>
          <Verdict ok={pathOk} testid="explain-merkle-path-verdict" />
        </Check>
      </div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// §3.1 transfer

export function TransferExplain({ tx, network }: { tx: Transfer; network: string }) {
  const layout = useMemo(() => encodeTransferPreimage(tx, network), [tx, network]);
  const sigOriginal = useMemo(() => signatureBytes(tx), [tx]);
  const sigLayout = useMemo<Layout | null>(
    () =>
      sigOriginal && {
        bytes: sigOriginal,
        fields: [
          { key: 'r', label: 'r', offset: 0, size: 32, kind: 'sig', encoding: 'u256 big-endian scalar' },
          { key: 's', label: 's (must be ≤ n/2: low-S)', offset: 32, size: 32, kind: 'sig', encoding: 'u256 big-endian scalar' },
        ],
      },
    [sigOriginal],
  );
  const [bytes, setBytes] = useState<Uint8Array>(() => layout.bytes.slice());
  const [sig, setSig] = useState<Uint8Array>(() => (sigOriginal ?? new Uint8Array(0)).slice());
  const sighash = useSha256(bytes);
  const txid = useComputed(`${bytesToHex(bytes)}/${bytesToHex(sig)}`, () => transferTxid(bytes, sig));
  const senderField = layout.fields.find((f) => f.key === 'sender')!;
  const sender = fieldBytes(senderField, bytes);
  const checkKey = sighash ? `${bytesToHex(sighash)}/${bytesToHex(sig)}/${bytesToHex(sender)}` : '';
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const check = useMemo(() => (sighash ? verifyTransferSignature(sighash, sig, sender) : null), [checkKey]);
  const txidOk = txid ? bytesToHex(txid) === tx.id : null;
  const sighashChanged = !bytesEqual(bytes, layout.bytes);

  return (
    <section className="card explain" aria-labelledby="explain-transfer-h">
      <h2 id="explain-transfer-h">Transfer: signing preimage, sighash, txid and signature</h2>
      <p className="muted">
        PROTOCOL.md §3.1: the sender signs <code>sighash = SHA-256(preimage)</code> with ECDSA over secp256k1 (the 32 bytes as they
        are, not hashed again); the id is <code>SHA-256(preimage || signature)</code>. <code>short(x)</code> is a one-byte length
        then the bytes. The network id (<code>{network}</code>, from the node’s <code>GET /status</code>) is signed, so a transfer
        cannot be replayed on another network.
      </p>
      <h3>Preimage ({layout.bytes.length} bytes)</h3>
      <ByteEditor layout={layout} bytes={bytes} setBytes={setBytes} prefix="explain-preimage" caption="Signing preimage fields" />
      <h3>Signature (64 bytes r || s)</h3>
      {sigLayout ? (
        <ByteEditor layout={sigLayout} bytes={sig} setBytes={setSig} prefix="explain-signature" caption="Signature" />
      ) : (
        <p className="error-box">The signature is not 128 hex digits: it cannot be decoded.</p>
      )}
      <div className="checks">
        <Check label="sighash = SHA-256(preimage)">
          <HexValue value={sighash} testid="explain-sighash" changed={sighashChanged} />
        </Check>
        <Check label="Signature (secp256k1 ECDSA, low-S) over the sighash with the sender’s key">
          <Verdict ok={check ? check.ok : null} testid="explain-signature-verdict" />{' '}
          <span className="muted small" data-testid="explain-signature-reason">
            {check ? (check.ok ? 'checked in this browser with @noble/curves' : check.reason) : ''}
          </span>
        </Check>
        <Check label="txid = SHA-256(preimage || signature)">
          <HexValue value={txid} testid="explain-txid" changed={txidOk === false} />
        </Check>
        <Check label="Id the transfer claims">
          <HexValue value={tx.id} /> <Verdict ok={txidOk} testid="explain-txid-verdict" />
        </Check>
      </div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// §3.2 reward

export function RewardExplain({ tx, network }: { tx: Reward; network: string }) {
  const layout = useMemo(() => encodeRewardPreimage(tx, network), [tx, network]);
  const [bytes, setBytes] = useState<Uint8Array>(() => layout.bytes.slice());
  const id = useSha256(bytes);
  const ok = id ? bytesToHex(id) === tx.id : null;
  return (
    <section className="card explain" aria-labelledby="explain-reward-h">
      <h2 id="explain-reward-h">Reward: preimage and id</h2>
      <p className="muted">
        PROTOCOL.md §3.2: a reward is not signed; its id is <code>SHA-256(preimage)</code>. <code>var(x)</code> is a two-byte
        length then the bytes. The height is committed, so two rewards never share an id.
      </p>
      <ByteEditor layout={layout} bytes={bytes} setBytes={setBytes} prefix="explain-reward" caption="Reward preimage fields" />
      <div className="checks">
        <Check label="id = SHA-256(preimage)">
          <HexValue value={id} testid="explain-txid" changed={ok === false} />
        </Check>
        <Check label="Id the reward claims">
          <HexValue value={tx.id} /> <Verdict ok={ok} testid="explain-txid-verdict" />
        </Check>
      </div>
    </section>
  );
}
