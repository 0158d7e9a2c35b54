// Operations: one page with a tab per part (#/ops/cache, #/ops/upstreams, #/ops/webhooks, #/ops/cron, #/ops/rate-limits), each read from
// the admin API and refreshed on demand.
import { href } from './route.js';
import { OpsCache } from './ops-cache.js';
import { OpsCron } from './ops-cron.js';
import { OpsRateLimits } from './ops-rate-limits.js';
import { OpsUpstreams } from './ops-upstreams.js';
import { OpsWebhooks } from './ops-webhooks.js';

const TABS = [
  ['cache', 'Cache'],
  ['upstreams', 'Gateway upstreams'],
  ['webhooks', 'Webhooks'],
  ['cron', 'Cron jobs'],
  ['rate-limits', 'Rate limits'],
] as const;

export function Ops(props: { tab?: string }) {
  const tab = TABS.some(([t]) => t === props.tab) ? props.tab : 'cache';
  return (
    <section aria-labelledby="ops-h">
      <h1 id="ops-h">Operations</h1>
      <nav class="tabs" aria-label="Operations">
        {TABS.map(([t, label]) => (
          <a key={t} class={t === tab ? 'button' : 'button secondary'} href={href('ops', t)} aria-current={t === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'rate-limits' ? <OpsRateLimits /> : tab === 'cron' ? <OpsCron /> : tab === 'upstreams' ? <OpsUpstreams /> : tab === 'webhooks' ? <OpsWebhooks /> : <OpsCache />}
    </section>
  );
}
