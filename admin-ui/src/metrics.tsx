// Metrics, live: per route family, requests a second, p50 and p99 latency and the 5xx rate, each with a
// small inline-SVG chart of the last few minutes, read every 3 s from GET /api/admin/metrics/live (this
// instance's HTTP metrics, sampled when read).
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';

interface Figures {
  family: string;
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errorRate: number | null;
  requests: number;
}
interface Live {
  enabled: boolean;
  families: string[];
  points: { at: string; seconds: number; families: Figures[] }[];
  total: Figures[];
  since: string | null;
}

const REFRESH_MS = 3000;

/** A sparkline of the values (null = no requests then): a polyline in a 120×32 box, scaled to the largest. */
function Spark(props: { values: (number | null)[]; label: string }) {
  const vs = props.values;
  const max = Math.max(0, ...vs.map((v) => v ?? 0));
  const step = vs.length > 1 ? 120 / (vs.length - 1) : 0;
  const y = (v: number | null) => (30 - (max > 0 ? ((v ?? 0) / max) * 28 : 0)).toFixed(1);
  // one interval so far: a level line across the box
  const pts = vs.length === 1 ? `0,${y(vs[0])} 120,${y(vs[0])}` : vs.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`).join(' ');
  return (
    <svg class="spark" viewBox="0 0 120 32" width="120" height="32" role="img" aria-label={props.label}>
      <line class="axis" x1="0" y1="30.5" x2="120" y2="30.5" />
      {vs.length > 0 && <polyline points={pts} />}
    </svg>
  );
}

const ms = (v: number | null) => (v === null ? '—' : `${v} ms`);
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)} %`);

export function Metrics() {
  const [live, setLive] = useState<Live>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api<Live>('GET', '/api/admin/metrics/live').then(
        (r) => !stopped && (setLive(r), setError(undefined)),
        (e) => !stopped && setError(messageOf(e)),
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const last = live?.points.at(-1);
  const of = (f: string) => (p: { families: Figures[] }) => p.families.find((x) => x.family === f);
  return (
    <section aria-labelledby="metrics-h">
      <div class="bar">
        <h1 id="metrics-h">Metrics</h1>
        <span class="live on">Every {REFRESH_MS / 1000} s</span>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {live && !live.enabled && <p>Metrics are off (<code>metrics.enabled: false</code>).</p>}
      {live?.enabled && (
        <>
          <p class="hint">
            This instance, per route family: the last interval ({last ? `${last.seconds.toFixed(1)} s` : 'waiting for a second sample'}) and the charts over the last {live.points.length} intervals; errors are 5xx answers. Since {live.since}.
          </p>
          <div class="scroll">
            <table class="grid metrics" aria-label="Metrics per route family">
              <thead>
                <tr>
                  <th scope="col">Family</th>
                  <th scope="col">Requests/s</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                  <th scope="col">Error rate</th>
                  <th scope="col">Requests (total)</th>
                </tr>
              </thead>
              <tbody>
                {live.families.map((f) => {
                  const now = last ? of(f)(last) : undefined;
                  const series = live.points.map(of(f));
                  const total = live.total.find((x) => x.family === f);
                  return (
                    <tr key={f} data-family={f}>
                      <th scope="row">{f}</th>
                      <td>
                        <span class="figure" data-figure="rps">{now ? now.rps : '—'}</span>
                        <Spark values={series.map((x) => x?.rps ?? 0)} label={`${f} requests a second`} />
                      </td>
                      <td>
                        <span class="figure" data-figure="p50">{ms(now?.p50Ms ?? null)}</span>
                        <Spark values={series.map((x) => x?.p50Ms ?? null)} label={`${f} p50 latency`} />
                      </td>
                      <td>
                        <span class="figure" data-figure="p99">{ms(now?.p99Ms ?? null)}</span>
                        <Spark values={series.map((x) => x?.p99Ms ?? null)} label={`${f} p99 latency`} />
                      </td>
                      <td>
                        <span class="figure" data-figure="errors">{pct(now?.errorRate ?? null)}</span>
                        <Spark values={series.map((x) => x?.errorRate ?? null)} label={`${f} error rate`} />
                      </td>
                      <td class="mono" data-figure="total">{total?.requests ?? 0}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
