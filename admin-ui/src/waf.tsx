// Operations › WAF events: recent blocks and detections (rule, where it matched, an excerpt for path, query
// and header findings) from /api/admin/waf/events. Each detection offers the narrowest exclusion that stops
// it (this route, method, parameter and rule; or this collection field): added at once with one click
// (POST /api/admin/waf/exclusions), or as a `waf.exclusions` entry to paste into strata.yaml.
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { ExclusionTable, whereOf, type ExclusionList } from './waf-exclusions.js';
import { Grid } from './grid.js';

interface Detection {
  detector: string;
  rule: string;
  severity: string;
  score: number;
  message: string;
  location?: string;
  name?: string;
  excerpt?: string;
  field?: string;
}

interface WafEvent {
  id: string;
  time: string;
  action: 'blocked' | 'detected';
  method: string;
  path: string;
  route?: string;
  ip: string;
  score: number;
  threshold: number;
  detections: Detection[];
}

const PARAM_LOCATIONS: Record<string, string> = { query: 'query', 'query-name': 'query', body: 'body', 'body-name': 'body', header: 'header', cookie: 'cookie', path: 'path', filename: 'filename' };

const yamlString = (s: string) => JSON.stringify(s);

/** The narrowest exclusion of this one rule: this route, method and parameter. */
export function routeExclusion(e: WafEvent, d: Detection): { route: string; methods: string[]; parameter?: string; rules: string[] } {
  const loc = d.location ? PARAM_LOCATIONS[d.location] : undefined;
  const parameter = loc === 'path' ? 'path:' : loc && d.name ? `${loc}:${d.name}` : '';
  return { route: e.route ?? e.path, methods: [e.method], ...(parameter ? { parameter } : {}), rules: [d.rule] };
}

/** For a finding in a record field (`posts.title`): this rule on that field, on every records route. */
export function fieldExclusion(d: Detection): { collection: string; field: string; rules: string[] } | undefined {
  const dot = d.field ? d.field.indexOf('.') : -1;
  return d.field && dot > 0 ? { collection: d.field.slice(0, dot), field: d.field.slice(dot + 1), rules: [d.rule] } : undefined;
}

/** The strata.yaml entry that skips this one rule for this route, method and parameter only. */
export function exclusionFor(e: WafEvent, d: Detection): string {
  const parameter = routeExclusion(e, d).parameter;
  return [
    'waf:',
    '  exclusions:',
    `    - route: ${yamlString(e.route ?? e.path)}`,
    `      methods: [${yamlString(e.method)}]`,
    ...(parameter ? [`      parameter: ${yamlString(parameter)}`] : []),
    `      rules: [${yamlString(d.rule)}]`,
    '',
  ].join('\n');
}

export function WafEvents() {
  const [items, setItems] = useState<WafEvent[]>();
  const [error, setError] = useState<string>();
  const [action, setAction] = useState('');
  const [open, setOpen] = useState<string>();
  const [copied, setCopied] = useState<string>();
  const [exclusions, setExclusions] = useState<ExclusionList>();
  const [note, setNote] = useState<string>();
  const loadExclusions = () => api<ExclusionList>('GET', '/api/admin/waf/exclusions').then(setExclusions, (e) => setError(messageOf(e)));
  const load = () => {
    void loadExclusions();
    return api<{ items: WafEvent[] }>('GET', `/api/admin/waf/events?limit=200${action ? `&action=${action}` : ''}`).then(
      (r) => {
        setItems(r.items);
        setError(undefined);
      },
      (e) => setError(messageOf(e)),
    );
  };
  const add = (body: Parameters<typeof whereOf>[0]) =>
    api('POST', '/api/admin/waf/exclusions', body).then(
      () => {
        setError(undefined);
        setNote(`Exclusion added: rule ${body.rules.join(', ')} no longer counts at ${whereOf(body)}.`);
        void loadExclusions();
      },
      (e) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, [action]);
  return (
    <section aria-labelledby="waf-h">
      <div class="bar">
        <h1 id="waf-h">WAF events</h1>
        <label class="check">
          Show{' '}
          <select value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">all</option>
            <option value="blocked">blocked</option>
            <option value="detected">detected only</option>
          </select>
        </label>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {note && <p class="notice" role="status">{note}</p>}
      <ExclusionTable
        list={exclusions}
        onError={setError}
        onChange={(n) => {
          setError(undefined);
          setNote(n);
          void loadExclusions();
        }}
      />
      <h2>Events</h2>
      {items && items.length === 0 && <p>No WAF events since the server started.</p>}
      {items && items.length > 0 && (
        <Grid label="WAF events" columns={['Time', 'Action', 'Request', 'Client', 'Rule · where · excerpt']}>
          {items.map((e) => (
            <tr key={e.id} data-event={e.id}>
              <td class="mono">{e.time}</td>
              <td class={e.action === 'blocked' ? 'danger' : ''}>
                {e.action} ({e.score}/{e.threshold})
              </td>
              <td class="mono">
                {e.method} {e.path}
                {e.route && e.route !== e.path ? <span class="hint"> ({e.route})</span> : null}
              </td>
              <td class="mono">{e.ip}</td>
              <td>
                {e.detections.map((d, i) => {
                  const key = `${e.id}/${i}`;
                  const onField = fieldExclusion(d);
                  return (
                    <div class="detection" data-rule={d.rule}>
                      <strong>{d.rule}</strong> {d.detector} · {d.location ?? '?'}
                      {d.name ? `:${d.name}` : ''}
                      {d.field ? ` (${d.field})` : ''} <span class="hint">{d.message}</span>
                      {d.excerpt && <code class="excerpt">{d.excerpt}</code>}{' '}
                      <button type="button" class="secondary" aria-expanded={open === key} onClick={() => setOpen(open === key ? undefined : key)}>
                        Exclusion
                      </button>
                      {open === key && (
                        <div class="exclusion">
                          <p>
                            <button type="button" onClick={() => add(routeExclusion(e, d))}>
                              Exclude here now
                            </button>{' '}
                            {onField && (
                              <button type="button" class="secondary" onClick={() => add(onField)}>
                                Exclude on {d.field} now
                              </button>
                            )}
                          </p>
                          <p class="hint">Or add to strata.yaml (then restart) to stop this rule here, and only here:</p>
                          <pre aria-label="Exclusion for strata.yaml">{exclusionFor(e, d)}</pre>
                          <button
                            type="button"
                            onClick={() =>
                              navigator.clipboard.writeText(exclusionFor(e, d)).then(
                                () => setCopied(key),
                                () => setCopied(undefined),
                              )
                            }
                          >
                            {copied === key ? 'Copied' : 'Copy'}
                          </button>
                        </div>
                      )}
                    </div>
                  );
                })}
              </td>
            </tr>
          ))}
        </Grid>
      )}
    </section>
  );
}
