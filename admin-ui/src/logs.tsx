// Logs: #/logs/access, this instance's recent access lines (GET /api/admin/logs/access) filtered by time,
// status (404 or 4xx), method and path; #/logs/audit, the audit log (GET /api/admin/audit) filtered by
// actor, action and time, older pages by cursor.
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, q } from './api.js';
import { href } from './route.js';
import { Grid } from './grid.js';

interface AccessLine {
  at: string;
  reqId: string;
  ip: string | null;
  method: string;
  path: string;
  status: number;
  ms: number;
}
interface AuditItem {
  id: string;
  at: string;
  actor: { id: string; collection: string } | null;
  action: string;
  target: string | null;
  ip: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
}

/** A datetime-local value (the browser's local time) as an ISO instant for the API; '' stays unset. */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function TimeRange(props: { since: string; until: string; set: (k: 'since' | 'until', v: string) => void }) {
  return (
    <>
      <div>
        <label for="f-since">From</label>
        <input id="f-since" type="datetime-local" step="1" value={props.since} onInput={(e) => props.set('since', e.currentTarget.value)} />
      </div>
      <div>
        <label for="f-until">To</label>
        <input id="f-until" type="datetime-local" step="1" value={props.until} onInput={(e) => props.set('until', e.currentTarget.value)} />
      </div>
    </>
  );
}

function AccessLog() {
  const [f, setF] = useState({ since: '', until: '', status: '', method: '', path: '' });
  const [data, setData] = useState<{ enabled: boolean; size: number; held: number; items: AccessLine[] }>();
  const [error, setError] = useState<string>();
  const load = () =>
    api<NonNullable<typeof data>>('GET', `/api/admin/logs/access${q({ since: iso(f.since), until: iso(f.until), status: f.status.trim(), method: f.method, path: f.path.trim(), limit: 200 })}`).then(
      (r) => (setData(r), setError(undefined)),
      (e) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, []);
  const set = (k: keyof typeof f, v: string) => setF({ ...f, [k]: v });
  return (
    <div>
      <form
        class="row"
        aria-label="Access log filter"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <TimeRange since={f.since} until={f.until} set={set} />
        <div>
          <label for="f-status">Status</label>
          <input id="f-status" placeholder="404 or 4xx" value={f.status} onInput={(e) => set('status', e.currentTarget.value)} />
        </div>
        <div>
          <label for="f-method">Method</label>
          <select id="f-method" value={f.method} onChange={(e) => set('method', e.currentTarget.value)}>
            <option value="">any</option>
            {['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-path">Path contains</label>
          <input id="f-path" value={f.path} onInput={(e) => set('path', e.currentTarget.value)} />
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {data && !data.enabled && <p>No access lines are kept (<code>log.recent: 0</code>).</p>}
      {data?.enabled && (
        <>
          <p class="hint" role="status">
            {data.items.length} shown, newest first; this instance keeps its last {data.size} lines ({data.held} now). No query strings, headers or bodies.
          </p>
          <Grid label="Access log" columns={['Time', 'Method', 'Path', 'Status', 'ms', 'Client', 'Request id']}>
            {data.items.map((l) => (
              <tr key={l.reqId + l.at} data-access={`${l.method} ${l.path}`}>
                <td class="mono">{l.at}</td>
                <td class="mono">{l.method}</td>
                <td class="mono">{l.path}</td>
                <td class={l.status >= 500 ? 'danger' : ''}>{l.status}</td>
                <td class="mono">{l.ms}</td>
                <td class="mono">{l.ip ?? '—'}</td>
                <td class="mono">{l.reqId}</td>
              </tr>
            ))}
          </Grid>
        </>
      )}
    </div>
  );
}

function AuditLog() {
  const [f, setF] = useState({ since: '', until: '', actor: '', action: '' });
  const [items, setItems] = useState<AuditItem[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const load = (cursor?: string) =>
    api<{ items: AuditItem[]; nextCursor: string | null }>('GET', `/api/admin/audit${q({ since: iso(f.since), until: iso(f.until), actor: f.actor.trim(), action: f.action.trim(), limit: 50, cursor })}`).then(
      (r) => (setItems(cursor ? [...(items ?? []), ...r.items] : r.items), setNext(r.nextCursor), setError(undefined)),
      (e) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, []);
  const set = (k: keyof typeof f, v: string) => setF({ ...f, [k]: v });
  return (
    <div>
      <form
        class="row"
        aria-label="Audit log filter"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <TimeRange since={f.since} until={f.until} set={set} />
        <div>
          <label for="f-actor">Actor (account id)</label>
          <input id="f-actor" value={f.actor} onInput={(e) => set('actor', e.currentTarget.value)} />
        </div>
        <div>
          <label for="f-action">Action</label>
          <input id="f-action" placeholder="auth.login" value={f.action} onInput={(e) => set('action', e.currentTarget.value)} />
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {items && (
        <div class="scroll">
          <table class="grid" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Client</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-audit={a.action}>
                  <td class="mono">{a.at}</td>
                  <td class="mono">{a.action}</td>
                  <td class={a.outcome === 'failure' ? 'danger' : ''}>{a.outcome}</td>
                  <td class="mono">{a.actor ? `${a.actor.collection}/${a.actor.id}` : '—'}</td>
                  <td class="mono">{a.target ?? '—'}</td>
                  <td class="mono">{a.ip ?? '—'}</td>
                  <td class="mono">{a.details ? JSON.stringify(a.details) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p>No entries match.</p>}
        </div>
      )}
      {next && (
        <p class="pager">
          <button type="button" class="secondary" onClick={() => load(next)}>
            Older
          </button>
        </p>
      )}
    </div>
  );
}

export function Logs(props: { tab?: string }) {
  const tab = props.tab === 'audit' ? 'audit' : 'access';
  return (
    <section aria-labelledby="logs-h">
      <h1 id="logs-h">Logs</h1>
      <nav class="tabs" aria-label="Logs">
        {(
          [
            ['access', 'Access log'],
            ['audit', 'Audit log'],
          ] as const
        ).map(([t, label]) => (
          <a key={t} class={t === tab ? 'button' : 'button secondary'} href={href('logs', t)} aria-current={t === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'audit' ? <AuditLog /> : <AccessLog />}
    </section>
  );
}
