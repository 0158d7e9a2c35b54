// Operations › queues: counts per state for every queue, the jobs of one queue by state, and its dead letters
// with retry and delete (one job or all), over /api/admin/queues.
import { useEffect, useState } from 'preact/hooks';
import { api, enc, messageOf } from './api.js';
import { href } from './route.js';

interface QueueRow {
  name: string;
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
  paused: boolean;
}

interface JobRow {
  id: string;
  attempt: number;
  maxAttempts: number;
  payload: unknown;
  runAt: number;
  state: string;
  lastError?: string;
}

const STATES = ['waiting', 'delayed', 'active', 'dead'] as const;

export function Queues() {
  const [rows, setRows] = useState<QueueRow[]>();
  const [backend, setBackend] = useState('');
  const [error, setError] = useState<string>();
  const load = () =>
    api<{ backend: string; items: QueueRow[] }>('GET', '/api/admin/queues').then(
      (r) => {
        setRows(r.items);
        setBackend(r.backend);
      },
      (e) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="queues-h">
      <div class="bar">
        <h1 id="queues-h">Queues</h1>
        <span class="hint">{backend && `backend: ${backend}`}</span>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {rows && rows.length === 0 && <p>No queues yet: a queue appears with its first job.</p>}
      {rows && rows.length > 0 && (
        <div class="scroll">
          <table class="grid" aria-label="Queues">
            <thead>
              <tr>
                <th scope="col">Queue</th>
                {STATES.map((s) => (
                  <th scope="col">{s}</th>
                ))}
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((q) => (
                <tr key={q.name} data-queue={q.name}>
                  <td>
                    <a href={href('queues', q.name)}>{q.name}</a>
                  </td>
                  {STATES.map((s) => (
                    <td data-col={s} class={s === 'dead' && q.dead > 0 ? 'danger' : ''}>
                      {q[s]}
                    </td>
                  ))}
                  <td>{q.paused ? 'paused' : 'running'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function QueueJobs(props: { name: string }) {
  const [state, setState] = useState<(typeof STATES)[number]>('dead');
  const [jobs, setJobs] = useState<JobRow[]>();
  const [counts, setCounts] = useState<QueueRow>();
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const base = `/api/admin/queues/${enc(props.name)}`;
  const load = async () => {
    try {
      const [c, j] = await Promise.all([api<QueueRow>('GET', base), api<{ items: JobRow[] }>('GET', `${base}/jobs?state=${state}&limit=100`)]);
      setCounts(c);
      setJobs(j.items);
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  useEffect(() => {
    void load();
  }, [props.name, state]);
  const act = async (what: 'retry' | 'purge', ids?: string[]) => {
    try {
      const r = await api<{ retried?: number; purged?: number }>('POST', `${base}/dead/${what}`, ids ? { ids } : {});
      await load(); // the list as it is now, then the note about it
      setNote(what === 'retry' ? `${r.retried ?? 0} job(s) sent back to the queue.` : `${r.purged ?? 0} job(s) deleted.`);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section aria-labelledby="queue-h">
      <div class="bar">
        <h1 id="queue-h">Queue {props.name}</h1>
        <a href={href('queues')}>All queues</a>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      <div class="tabs" role="group" aria-label="Job state">
        {STATES.map((s) => (
          <button type="button" class={s === state ? '' : 'secondary'} aria-pressed={s === state} onClick={() => setState(s)}>
            {s} ({counts ? counts[s] : '…'})
          </button>
        ))}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {note && <p class="notice" role="status">{note}</p>}
      {state === 'dead' && jobs && jobs.length > 0 && (
        <div class="bulk">
          <button type="button" onClick={() => act('retry')}>
            Retry all dead jobs
          </button>{' '}
          <button type="button" class="danger" onClick={() => act('purge')}>
            Delete all dead jobs
          </button>
        </div>
      )}
      {jobs && jobs.length === 0 && <p>No {state} jobs.</p>}
      {jobs && jobs.length > 0 && (
        <div class="scroll">
          <table class="grid" aria-label={`${state} jobs`}>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Attempt</th>
                <th scope="col">Payload</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} data-job={j.id}>
                  <td class="mono">{j.id}</td>
                  <td>
                    {j.attempt}/{j.maxAttempts}
                  </td>
                  <td class="mono">{JSON.stringify(j.payload).slice(0, 120)}</td>
                  <td>{j.lastError ?? ''}</td>
                  <td class="actions">
                    {state === 'dead' && (
                      <>
                        <button type="button" class="secondary" aria-label={`Retry job ${j.id}`} onClick={() => act('retry', [j.id])}>
                          Retry
                        </button>
                        <button type="button" class="secondary" aria-label={`Delete job ${j.id}`} onClick={() => act('purge', [j.id])}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
