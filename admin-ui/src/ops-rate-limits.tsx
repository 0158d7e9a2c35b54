// Operations › Rate limits: the buckets refusing requests now on this instance, most refusals first
// (GET /api/admin/rate-limits); user ids and API keys appear hashed.
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { Grid } from './grid.js';

interface Limited {
  policy: string;
  key: string;
  refusals: number;
  until: string;
}

export function OpsRateLimits() {
  const [items, setItems] = useState<Limited[]>();
  const [error, setError] = useState<string>();
  const load = () => api<{ items: Limited[] }>('GET', '/api/admin/rate-limits').then((r) => setItems(r.items), (e) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <div>
      <div class="bar">
        <h2>Rate limits</h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {items && items.length === 0 && <p>No client is being limited right now.</p>}
      {items && items.length > 0 && (
        <Grid label="Limited now" columns={['Policy', 'Key', 'Refused', 'Until']}>
          {items.map((x) => (
            <tr key={`${x.policy}/${x.key}`} data-limited={x.key}>
              <td class="mono">{x.policy}</td>
              <td class="mono">{x.key}</td>
              <td>{x.refusals}</td>
              <td class="mono">{x.until}</td>
            </tr>
          ))}
        </Grid>
      )}
    </div>
  );
}
