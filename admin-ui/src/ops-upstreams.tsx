// Operations › Gateway upstreams: each pool's circuit and each target's health, passive ejection and
// requests in flight (GET /api/admin/gateway/upstreams; this instance's view).
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';

interface Target {
  id: string;
  weight: number;
  healthy: boolean;
  ejectedUntil: string | null;
  available: boolean;
  active: number;
  consecutiveFailures: number;
}
interface Pool {
  name: string;
  balancer: string;
  circuit: 'closed' | 'open' | 'half-open' | null;
  upstreams: Target[];
}

export function OpsUpstreams() {
  const [pools, setPools] = useState<Pool[]>();
  const [error, setError] = useState<string>();
  const load = () => api<{ pools: Pool[] }>('GET', '/api/admin/gateway/upstreams').then((r) => setPools(r.pools), (e) => setError(messageOf(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <div>
      <div class="bar">
        <h2>Gateway upstreams</h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {pools && pools.length === 0 && <p>No upstream pools (gateway.pools) are configured.</p>}
      {pools?.map((p) => (
        <div key={p.name} data-pool={p.name}>
          <h3>
            {p.name} <span class="hint">{p.balancer}</span>{' '}
            <span class={p.circuit === 'open' ? 'danger' : ''}>{p.circuit === null ? 'no circuit breaker' : `circuit ${p.circuit}`}</span>
          </h3>
          <div class="scroll">
            <table class="grid" aria-label={`Targets of ${p.name}`}>
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">State</th>
                  <th scope="col">Health check</th>
                  <th scope="col">Ejected until</th>
                  <th scope="col">Failures in a row</th>
                  <th scope="col">In flight</th>
                  <th scope="col">Weight</th>
                </tr>
              </thead>
              <tbody>
                {p.upstreams.map((u) => (
                  <tr key={u.id} data-target={u.id}>
                    <td class="mono">{u.id}</td>
                    <td class={u.available ? '' : 'danger'}>{u.available ? 'up' : 'down'}</td>
                    <td>{u.healthy ? 'passing' : 'failing'}</td>
                    <td class="mono">{u.ejectedUntil ?? '—'}</td>
                    <td>{u.consecutiveFailures}</td>
                    <td>{u.active}</td>
                    <td>{u.weight}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </div>
  );
}
