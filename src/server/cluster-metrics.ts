// Cluster-wide /metrics: a scrape reaching any worker returns the sum over
// all workers. The worker asks the primary over IPC; the primary collects
// each worker's registry as JSON and merges them with prom-client's
// AggregatorRegistry.aggregate (counters and histograms summed).
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

type Msg =
  | { type: 'strata:metrics-request'; id: string }
  | { type: 'strata:metrics-result'; id: string; text?: string; error?: string }
  | { type: 'strata:metrics-collect'; id: string }
  | { type: 'strata:metrics-part'; id: string; json: MetricObjectWithValues<MetricValue<string>>[] };

const TIMEOUT_MS = 3000;

/** Worker side: answers the primary's collection requests; returns a renderer for /metrics. */
export function workerMetrics(registry: Registry): () => Promise<string> {
  const pending = new Map<string, (m: Extract<Msg, { type: 'strata:metrics-result' }>) => void>();
  process.on('message', (m: Msg) => {
    if (m?.type === 'strata:metrics-collect') {
      registry.getMetricsAsJSON().then((json) => process.send?.({ type: 'strata:metrics-part', id: m.id, json } satisfies Msg));
    } else if (m?.type === 'strata:metrics-result') {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = randomUUID();
      const t = setTimeout(() => {
        pending.delete(id);
        reject(new Error('cluster metrics timed out'));
      }, TIMEOUT_MS + 1000);
      pending.set(id, (m) => {
        clearTimeout(t);
        if (m.text !== undefined) resolve(m.text);
        else reject(new Error(m.error ?? 'cluster metrics failed'));
      });
      process.send?.({ type: 'strata:metrics-request', id } satisfies Msg);
    });
}

/** Primary side: serves a worker's request by collecting from every live worker. */
export function primaryMetrics(): (worker: Worker, m: unknown) => void {
  return (asker, raw) => {
    const m = raw as Msg;
    if (m?.type !== 'strata:metrics-request') return;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w && w.isConnected()));
    const id = randomUUID();
    const parts: MetricObjectWithValues<MetricValue<string>>[][] = [];
    let done = false;
    const finish = async (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const w of workers) w.off('message', onPart);
      if (!asker.isConnected()) return;
      if (error && parts.length === 0) return asker.send({ type: 'strata:metrics-result', id: m.id, error } satisfies Msg);
      const text = await AggregatorRegistry.aggregate(parts).metrics();
      asker.send({ type: 'strata:metrics-result', id: m.id, text } satisfies Msg);
    };
    const onPart = (p: Msg) => {
      if (p?.type !== 'strata:metrics-part' || p.id !== id) return;
      parts.push(p.json);
      if (parts.length === workers.length) void finish();
    };
    // A worker that dies mid-scrape must not hang it: answer with what came in.
    const timer = setTimeout(() => void finish('timed out'), TIMEOUT_MS);
    for (const w of workers) {
      w.on('message', onPart);
      w.send({ type: 'strata:metrics-collect', id } satisfies Msg);
    }
  };
}
