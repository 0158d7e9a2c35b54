// Operations › WAF events › Runtime exclusions: the exclusions added from this page (GET/DELETE
// /api/admin/waf/exclusions), kept in the database and applied without a restart, each removable; the
// count of the read-only `waf.exclusions` of strata.yaml beside them.
import { api, enc, messageOf } from './api.js';
import { Grid } from './grid.js';

export interface RuntimeExclusion {
  id: string;
  rules: string[];
  route?: string;
  methods?: string[];
  parameter?: string;
  collection?: string;
  field?: string;
  note?: string;
  createdAt: string;
}

export interface ExclusionList {
  items: RuntimeExclusion[];
  configured: unknown[];
}

/** Where an exclusion applies, in words: `GET /api/… · query:q` or `field posts.title`. */
export function whereOf(x: Omit<RuntimeExclusion, 'id' | 'createdAt'>): string {
  const at = x.collection ? `field ${x.collection}${x.field ? `.${x.field}` : ''}` : `${x.methods?.length ? `${x.methods.join(',')} ` : ''}${x.route ?? ''}`;
  return x.parameter ? `${at} · ${x.parameter}` : at;
}

export function ExclusionTable(props: { list?: ExclusionList; onChange: (note: string) => void; onError: (e: string) => void }) {
  const { list } = props;
  if (!list) return null;
  const remove = (x: RuntimeExclusion) =>
    api('DELETE', `/api/admin/waf/exclusions/${enc(x.id)}`).then(
      () => props.onChange(`Exclusion removed: rule ${x.rules.join(', ')} applies again at ${whereOf(x)}.`),
      (e) => props.onError(messageOf(e)),
    );
  return (
    <section aria-labelledby="wafx-h">
      <h2 id="wafx-h">Runtime exclusions</h2>
      <p class="hint">
        Added here, kept in the database and applied at once (no restart). {list.configured.length} more from <code>waf.exclusions</code> in strata.yaml.
      </p>
      {list.items.length === 0 ? (
        <p>No runtime exclusions.</p>
      ) : (
        <Grid label="Runtime exclusions" columns={['Rules', 'Where', 'Note', 'Added', '']}>
          {list.items.map((x) => (
            <tr key={x.id} data-exclusion={x.id}>
              <td class="mono">{x.rules.join(', ')}</td>
              <td class="mono">{whereOf(x)}</td>
              <td>{x.note ?? ''}</td>
              <td class="mono">{x.createdAt}</td>
              <td>
                <button type="button" class="secondary" onClick={() => remove(x)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </Grid>
      )}
    </section>
  );
}
