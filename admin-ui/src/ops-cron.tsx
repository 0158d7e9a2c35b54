// Operations › Cron: the functions' schedules with pattern, time zone, next run and the last run of the
// handler on this instance with its outcome (GET /api/admin/cron).
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { Grid } from './grid.js';

interface CronJob {
  name: string;
  schedule: string;
  timezone?: string;
  next: string | null;
  last: { tick: string; at: string; outcome: 'success' | 'failure'; error?: string; durationMs: number } | null;
}

export function OpsCron() {
  const [items, setItems] = useState<CronJob[]>();
  const [error, setError] = useState<string>();
  const load = () => api<{ items: CronJob[] }>('GET', '/api/admin/cron').then((r) => setItems(r.items), (e) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <div>
      <div class="bar">
        <h2>Cron jobs</h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {items && items.length === 0 && <p>No cron jobs (defineCron in the functions folder).</p>}
      {items && items.length > 0 && (
        <Grid label="Cron jobs" columns={['Name', 'Schedule', 'Next run', 'Last run (this instance)', 'Outcome']}>
          {items.map((c) => (
            <tr key={c.name} data-cron={c.name}>
              <td class="mono">{c.name}</td>
              <td class="mono">
                {c.schedule}
                {c.timezone ? <span class="hint"> ({c.timezone})</span> : null}
              </td>
              <td class="mono">{c.next ?? '—'}</td>
              <td class="mono">{c.last ? `${c.last.tick} (${c.last.durationMs} ms)` : 'not run yet'}</td>
              <td class={c.last?.outcome === 'failure' ? 'danger' : ''}>{c.last ? (c.last.error ? `${c.last.outcome}: ${c.last.error}` : c.last.outcome) : '—'}</td>
            </tr>
          ))}
        </Grid>
      )}
    </div>
  );
}
