// Operations › Cache: the application cache's counters (per tier when tiered; GET /api/admin/cache), a
// purge of its keys and tags (POST /api/admin/cache/app/purge), and a purge of the gateway's response
// cache by URL, path prefix or tag (POST /api/admin/cache/purge).
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { Grid } from './grid.js';

interface Counters {
  bytes?: number;
  entries?: number;
  evictions: number;
}
interface CacheState {
  store: string | null;
  stats: (Counters & { hits: number; misses: number; tiers?: Array<Counters & { name: string }> }) | null;
}

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
const n = (v: number | undefined) => (v === undefined ? '—' : String(v));

export function OpsCache() {
  const [state, setState] = useState<CacheState>();
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const [keys, setKeys] = useState('');
  const [tags, setTags] = useState('');
  const [urls, setUrls] = useState('');
  const [prefixes, setPrefixes] = useState('');
  const [gwTags, setGwTags] = useState('');
  const [host, setHost] = useState('');
  const load = () => api<CacheState>('GET', '/api/admin/cache').then(setState, (e) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  const run = (path: string, body: Record<string, unknown>, done: (r: Record<string, unknown>) => string) =>
    api('POST', path === 'app' ? '/api/admin/cache/app/purge' : '/api/admin/cache/purge', body).then(
      (r) => {
        setError(undefined);
        setNote(done(r));
        void load();
      },
      (e) => {
        setNote(undefined);
        setError(messageOf(e));
      },
    );
  const s = state?.stats;
  return (
    <div>
      <div class="bar">
        <h2>Application cache {state?.store ? <span class="hint">({state.store})</span> : null}</h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {note && <p class="notice" role="status">{note}</p>}
      {s && (
        <Grid label="Cache counters" columns={['Tier', 'Entries', 'Bytes', 'Evictions', 'Hits', 'Misses']}>
          <tr data-tier="all">
            <td>all</td>
            <td>{n(s.entries)}</td>
            <td>{n(s.bytes)}</td>
            <td>{s.evictions}</td>
            <td>{s.hits}</td>
            <td>{s.misses}</td>
          </tr>
          {(s.tiers ?? []).map((t) => (
            <tr key={t.name} data-tier={t.name}>
              <td>{t.name}</td>
              <td>{n(t.entries)}</td>
              <td>{n(t.bytes)}</td>
              <td>{t.evictions}</td>
              <td />
              <td />
            </tr>
          ))}
        </Grid>
      )}
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run('app', { ...(list(keys).length ? { keys: list(keys) } : {}), ...(list(tags).length ? { tags: list(tags) } : {}) }, (r) => `Purged: ${String(r.deleted)} key(s) deleted, ${String(r.tagsInvalidated)} tag(s) invalidated.`);
        }}
      >
        <h3>Purge the application cache</h3>
        <label>
          Keys (space or comma separated)
          <input value={keys} onInput={(e) => setKeys(e.currentTarget.value)} />
        </label>
        <label>
          Tags
          <input value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
        <button type="submit">Purge keys and tags</button>
      </form>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = {};
          if (list(urls).length) body.urls = list(urls);
          if (list(prefixes).length) body.prefixes = list(prefixes);
          if (list(gwTags).length) body.tags = list(gwTags);
          if (host.trim()) body.host = host.trim();
          void run('gateway', body, (r) => `Gateway cache: ${r.purged === null ? 'purged' : `${String(r.purged)} response(s) purged`}.`);
        }}
      >
        <h3>Purge the gateway's response cache</h3>
        <label>
          URLs
          <input value={urls} onInput={(e) => setUrls(e.currentTarget.value)} />
        </label>
        <label>
          Path prefixes
          <input value={prefixes} onInput={(e) => setPrefixes(e.currentTarget.value)} />
        </label>
        <label>
          Tags (Cache-Tag, Surrogate-Key)
          <input value={gwTags} onInput={(e) => setGwTags(e.currentTarget.value)} />
        </label>
        <label>
          Host (for relative URLs and prefixes)
          <input value={host} onInput={(e) => setHost(e.currentTarget.value)} />
        </label>
        <button type="submit">Purge responses</button>
      </form>
    </div>
  );
}
