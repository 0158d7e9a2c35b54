// Collections: every collection (system ones and those declared in strata.yaml are read-only here; others are made over the API).
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { href } from './route.js';
import type { CollectionEntry } from './types.js';
import { Grid } from './grid.js';

export function Collections() {
  const [items, setItems] = useState<CollectionEntry[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ items: CollectionEntry[] }>('GET', '/api/admin/collections').then(
      (r) => setItems(r.items),
      (e) => setError(messageOf(e)),
    );
  }, []);
  return (
    <section aria-labelledby="collections-h">
      <div class="bar">
        <h1 id="collections-h">Collections</h1>
        <a class="button" href={href('collections', 'new')}>
          New collection
        </a>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!items && !error && <p class="loading">Loading…</p>}
      {items && items.length === 0 && <p>No collections yet.</p>}
      {items && items.length > 0 && (
        <Grid label="Collections" columns={['Name', 'Type', 'Fields', 'Source', '']}>
          {items.map((c) => (
            <tr key={c.name} data-collection={c.name}>
              <td>
                <a href={href('records', c.name)}>{c.name}</a>
              </td>
              <td>{c.definition.type ?? 'base'}</td>
              <td>{(c.definition.fields ?? []).map((f) => f.name).join(', ')}</td>
              <td data-col="source">{c.source === 'system' ? 'system (read-only)' : c.source === 'config' ? 'strata.yaml (read-only)' : 'admin API'}</td>
              <td class="actions">
                <a href={href('records', c.name)}>Records</a>
                <a href={href('collections', c.name, 'edit')}>{c.source === 'api' ? 'Edit' : 'View'}</a>
              </td>
            </tr>
          ))}
        </Grid>
      )}
    </section>
  );
}
