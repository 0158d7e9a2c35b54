// Operations › Webhooks: the subscriptions (GET /api/admin/webhooks; secrets are never shown) and, per
// subscription, its recent delivery attempts with status, error and duration (…/{id}/deliveries); a retry
// is a later attempt of the same event.
import { useEffect, useState } from 'preact/hooks';
import { api, enc, messageOf } from './api.js';
import { Grid } from './grid.js';

interface Hook {
  id: string;
  topics: string;
  url: string;
  enabled: boolean;
}
interface Delivery {
  eventId: string;
  attempt: number;
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

export function OpsWebhooks() {
  const [hooks, setHooks] = useState<Hook[]>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();
  const [deliveries, setDeliveries] = useState<Delivery[]>();
  const load = () => api<{ items: Hook[] }>('GET', '/api/admin/webhooks').then((r) => setHooks(r.items), (e) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  const show = (id: string) => {
    setOpen(id);
    setDeliveries(undefined);
    api<{ items: Delivery[] }>('GET', `/api/admin/webhooks/${enc(id)}/deliveries?limit=100`).then((r) => setDeliveries(r.items), (e) => setError(messageOf(e)));
  };
  return (
    <div>
      <div class="bar">
        <h2>Webhooks</h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {hooks && hooks.length === 0 && <p>No webhook subscriptions.</p>}
      {hooks && hooks.length > 0 && (
        <Grid label="Webhook subscriptions" columns={['Topics', 'URL', 'Enabled', '']}>
          {hooks.map((h) => (
            <tr key={h.id} data-webhook={h.id}>
              <td class="mono">{h.topics}</td>
              <td class="mono">{h.url}</td>
              <td>{h.enabled ? 'yes' : 'no'}</td>
              <td>
                <button type="button" class="secondary" aria-expanded={open === h.id} onClick={() => show(h.id)}>
                  Deliveries
                </button>
              </td>
            </tr>
          ))}
        </Grid>
      )}
      {open && deliveries && (
        <div class="scroll">
          <h3>Deliveries of {hooks?.find((h) => h.id === open)?.url ?? open}</h3>
          {deliveries.length === 0 ? (
            <p>No delivery attempts yet.</p>
          ) : (
            <table class="grid" aria-label="Deliveries">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Error</th>
                  <th scope="col">ms</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={`${d.eventId}/${d.attempt}`} data-attempt={d.attempt}>
                    <td class="mono">{d.at}</td>
                    <td class="mono">{d.eventId}</td>
                    <td>{d.attempt}</td>
                    <td class={d.status !== undefined && d.status < 300 ? '' : 'danger'}>{d.status ?? '—'}</td>
                    <td>{d.error ?? ''}</td>
                    <td>{d.durationMs}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
