import { useNode } from '../node';
import { useAsync } from '../hooks';
import { defaultNodeUrl, fetchStatusOf } from '../api';
import { Badge, Loading, PageTitle } from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { hostOf, NodeCell } from '../components/nodes';
import { ApiTokenSetting } from '../components/ApiToken';
import { UrlConnectRow } from '../components/forms';
import { formatInt, shortHash } from '../format';
import { normaliseNodeUrl } from '../validate';

const RECENT_KEY = 'bitcoin_rust.dashboard.recent-nodes';

function recentNodes(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function rememberNode(url: string) {
  try {
    const list = [url, ...recentNodes().filter((u) => u !== url)].slice(0, 8);
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // Storage unavailable.
  }
}

interface Candidate {
  url: string;
  why: string;
}

/** Whether a node answers, and its tip. */
function CandidateState({ url }: { url: string }) {
  const st = useAsync((signal) => fetchStatusOf(url, signal), [url]);
  return (
    <>
      {st.loading && !st.data && <span className="muted">checking…</span>}
      {st.data && (
        <>
          <Badge tone="ok">reachable</Badge> height {formatInt(st.data.height)} · tip{' '}
          <code title={st.data.tip}>{shortHash(st.data.tip)}</code>
        </>
      )}
      {st.error && <Badge tone="bad">{st.error.message}</Badge>}
    </>
  );
}

function candidateColumns(current: string, onPick: (url: string) => void): Column<Candidate>[] {
  return [
    { header: 'Node', cell: (c) => <NodeCell name={c.url} sub={c.why} /> },
    { header: 'State', cell: (c) => <CandidateState url={c.url} /> },
    {
      header: <span className="sr-only">Action</span>,
      cell: (c) =>
        c.url === current ? (
          <Badge tone="info">current</Badge>
        ) : (
          <button type="button" onClick={() => onPick(c.url)}>
            Use this node
          </button>
        ),
    },
  ];
}

export function NodePage() {
  const { base, setNode, api, epoch } = useNode();
  const peers = useAsync((signal) => api.peers(signal), [base, epoch]);

  const pick = (url: string) => {
    rememberNode(url);
    setNode(url === defaultNodeUrl() ? null : url);
  };

  const candidates: Candidate[] = [];
  const add = (url: string | null | undefined, why: string) => {
    const u = url ? normaliseNodeUrl(url) : null;
    if (u && !candidates.some((c) => c.url === u)) candidates.push({ url: u, why });
  };
  add(defaultNodeUrl(), 'the node serving this dashboard');
  add(base, 'current choice');
  for (const p of peers.data?.peers ?? []) add(p.http_url, `peer ${p.node_id} of the current node`);
  for (const u of recentNodes()) add(u, 'used before');

  // Switch only to a node that answers.
  const connect = async (typed: string) => {
    const u = normaliseNodeUrl(typed)!;
    await fetchStatusOf(u);
    pick(u);
  };

  return (
    <>
      <PageTitle sub="Every page talks to the node chosen here; the choice is remembered in this browser.">
        Choose a node
      </PageTitle>
      <section className="card" aria-labelledby="cur-h">
        <h2 id="cur-h">Current node</h2>
        <p>
          <code data-testid="current-node">{base}</code>{' '}
          {base !== defaultNodeUrl() && (
            <button type="button" onClick={() => setNode(null)}>
              Back to {hostOf(defaultNodeUrl())}
            </button>
          )}
        </p>
        <ApiTokenSetting base={base} />
      </section>
      <section className="card" aria-labelledby="cand-h">
        <h2 id="cand-h">Known nodes</h2>
        {peers.loading && !peers.data && <Loading what="Loading the current node’s peers" />}
        <DataTable
          rows={candidates}
          columns={candidateColumns(base, pick)}
          rowKey={(c) => c.url}
          rowAttributes={(c) => ({ 'data-node-url': c.url })}
          testid="node-candidates"
        />
      </section>
      <section className="card" aria-labelledby="typed-h">
        <h2 id="typed-h">Another node</h2>
        <UrlConnectRow
          id="node-url"
          label="Node HTTP address"
          placeholder="http://127.0.0.1:3002"
          validate={(v) => (normaliseNodeUrl(v) ? null : 'Type a node’s HTTP address, such as http://127.0.0.1:3002.')}
          buttonText="Connect"
          busyText="Checking…"
          errorTitle="That node did not answer"
          action={connect}
        />
      </section>
    </>
  );
}
