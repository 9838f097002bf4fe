import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, matchPath, navigate, useLocation } from './router';
import { useNode } from './node';
import { useNow } from './hooks';
import { formatDuration, plural, shortHash } from './format';
import { OverviewPage } from './pages/Overview';
import { ChartsPage } from './pages/Charts';
import { BlocksPage } from './pages/Blocks';
import { BlockPage } from './pages/Block';
import { TxPage } from './pages/Tx';
import { ExplainBlockPage, ExplainTxPage } from './pages/Explain';
import { AddressPage } from './pages/Address';
import { SearchPage } from './pages/Search';
import { WalletPage } from './pages/Wallet';
import { MempoolPage } from './pages/Mempool';
import { NetworkPage } from './pages/Network';
import { NodePage } from './pages/NodeSwitch';
import { ForkLabPage } from './pages/ForkLab';

const NAV: { to: string; label: string; match: (p: string) => boolean }[] = [
  { to: '/', label: 'Overview', match: (p) => p === '/' },
  { to: '/blocks', label: 'Blocks', match: (p) => p.startsWith('/blocks') },
  { to: '/charts', label: 'Charts', match: (p) => p.startsWith('/charts') },
  { to: '/mempool', label: 'Mempool', match: (p) => p.startsWith('/mempool') },
  { to: '/wallet', label: 'Wallet', match: (p) => p.startsWith('/wallet') },
  { to: '/network', label: 'Network', match: (p) => p.startsWith('/network') },
];

function Route() {
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <OverviewPage />;
  if (path === '/charts') return <ChartsPage />;
  if (path === '/blocks') return <BlocksPage />;
  if ((m = matchPath('/blocks/:id', path))) return <BlockPage id={m.id} />;
  if ((m = matchPath('/blocks/:id/explain', path))) return <ExplainBlockPage id={m.id} />;
  if ((m = matchPath('/tx/:id', path))) return <TxPage id={m.id} />;
  if ((m = matchPath('/tx/:id/explain', path))) return <ExplainTxPage id={m.id} />;
  if ((m = matchPath('/address/:addr', path))) return <AddressPage address={m.addr} />;
  if (path === '/search') return <SearchPage />;
  if (path === '/wallet') return <WalletPage />;
  if (path === '/mempool') return <MempoolPage />;
  if (path === '/network') return <NetworkPage />;
  if (path === '/network/forks') return <ForkLabPage />;
  if (path === '/node') return <NodePage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}

function SearchBox() {
  const { path, query } = useLocation();
  const [q, setQ] = useState(path === '/search' ? query.get('q') ?? '' : '');
  useEffect(() => {
    if (path === '/search') setQ(query.get('q') ?? '');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = q.trim();
    if (!v) return;
    navigate(`/search?q=${encodeURIComponent(v)}`);
  };
  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor="search-input" className="sr-only">
        Search by height, block hash, transaction id or address
      </label>
      <input
        id="search-input"
        type="search"
        placeholder="Height, block hash, tx id or address"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <button type="submit">Search</button>
    </form>
  );
}

/** The "node unreachable — reconnecting" banner and other connection notices. */
function ConnectionBanner() {
  const { stream, statusError, status, shutdown, retryNow, base, lastReorg } = useNode();
  const now = useNow(500);
  const wsDown = stream.kind === 'waiting';
  const httpDown = !!statusError && (statusError.unreachable || statusError.status >= 500);
  if (wsDown || httpDown || shutdown) {
    const wait = stream.kind === 'waiting' ? Math.max(0, stream.retryAt - now) : null;
    return (
      <div className="banner banner-bad" role="alert" data-testid="unreachable-banner">
        <strong>{shutdown ? 'Node shut down' : 'Node unreachable'} — reconnecting</strong>
        <span>
          {' '}
          to {base}
          {wait !== null && (wait > 0 ? ` in ${formatDuration(Math.ceil(wait / 1000) * 1000)}` : ' now')}
          {stream.kind === 'waiting' && ` (attempt ${stream.attempt})`}.
          {status && ' Data shown may be out of date.'}
        </span>
        <button type="button" onClick={retryNow}>
          Retry now
        </button>
      </div>
    );
  }
  if (stream.kind === 'connecting' && !status) {
    return (
      <div className="banner banner-info" role="status">
        Connecting to {base}…
      </div>
    );
  }
  if (lastReorg && now - lastReorg.at < 30_000) {
    return (
      <div className="banner banner-warn" role="status" data-testid="reorg-banner">
        Chain reorganisation at height {lastReorg.forkHeight}: {plural(lastReorg.disconnected, 'block')} replaced by{' '}
        {plural(lastReorg.connected, 'block')}; new tip <Link to={`/blocks/${lastReorg.newTip}`}>{shortHash(lastReorg.newTip)}</Link>.
      </div>
    );
  }
  return null;
}

export function App() {
  const { path } = useLocation();
  const { base, isDefault, stream, status } = useNode();
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  const [menuOpen, setMenuOpen] = useState(false);

  // Move focus to the new page's content on navigation (keyboard and screen-reader users).
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
  }, [path]);

  const live = stream.kind === 'open';
  const host = base.replace(/^https?:\/\//, '');
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <Link to="/" className="brand">
            <svg className="logo" aria-hidden="true" width="20" height="20" viewBox="0 0 20 20">
              <polygon points="10,1 18,5.5 18,14.5 10,19 2,14.5 2,5.5" fill="currentColor" />
              <polygon points="10,5 14.5,7.5 14.5,12.5 10,15 5.5,12.5 5.5,7.5" fill="var(--panel)" />
            </svg>
            bitcoin_rust
          </Link>
          <Link
            to="/node"
            className={`node-pill${isDefault ? '' : ' node-pill-other'}`}
            title={`Talking to ${base}${live ? ' (live)' : ''}. Choose another node.`}
            data-testid="node-pill"
          >
            <span className={`dot ${live ? 'dot-ok' : stream.kind === 'waiting' ? 'dot-bad' : 'dot-warn'}`} aria-hidden="true" />
            <span className="sr-only">{live ? 'Live: ' : 'Not live: '}</span>
            {host}
            {status && <span className="pill-height"> #{status.height}</span>}
          </Link>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            Menu
          </button>
        </div>
        <nav id="main-nav" className={`nav${menuOpen ? ' open' : ''}`} aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.match(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
          <SearchBox />
        </nav>
      </header>
      <ConnectionBanner />
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Route />
      </main>
      <footer className="footer">
        {status ? (
          <>
            {status.network} · node <span className="mono node-id">{status.node_id}</span> · v{status.version} · up{' '}
            {formatDuration(status.uptime_s * 1000)}
          </>
        ) : (
          'bitcoin_rust dashboard'
        )}
      </footer>
    </>
  );
}
