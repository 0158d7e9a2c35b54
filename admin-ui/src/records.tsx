// Records of one collection: the REST list with the filter language (a syntax error is shown under the filter
// with a caret where it is), sort by column, pagination, a column chooser (kept per collection in
// localStorage), related records shown in relation cells (expand), export of the current filter and sort as
// CSV or JSON (paged through the records API), create/edit/delete and bulk delete; changes made by other
// clients arrive over realtime and the page re-reads itself.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, enc, messageOf, q } from './api.js';
import { toCsv, toJson } from './export-format.js';
import { RecordForm } from './record-form.js';
import { subscribeCollection } from './realtime.js';
import { href } from './route.js';
import type { CollectionEntry, Definition, Rec } from './types.js';

const PER_PAGE = 50;
/** Page size of an export (data.maxPerPage is 500 by default; a server set lower gets pages of 50). */
const EXPORT_PAGE = 500;

interface Page {
  items: Rec[];
  page: number;
  perPage?: number;
  totalPages?: number;
  totalItems?: number;
  nextCursor?: string | null;
}

/** Hidden columns per collection; a column not listed is shown (so new fields appear). */
const columnsKey = (name: string) => `strata-admin:hidden-columns:${name}`;
function loadHidden(name: string): Set<string> {
  try {
    const v = JSON.parse(localStorage.getItem(columnsKey(name)) ?? 'null') as unknown;
    if (Array.isArray(v)) return new Set(v.filter((x): x is string => typeof x === 'string'));
  } catch {
    // unreadable: the default
  }
  return new Set(['created']);
}

/** What a related record is shown as: a name-like field when it has one, else its id. */
function labelOf(r: unknown): { id: string; label: string } | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const o = r as Record<string, unknown>;
  const id = String(o.id ?? '');
  for (const k of ['name', 'title', 'label', 'email', 'username', 'slug']) if (typeof o[k] === 'string' && o[k]) return { id, label: o[k] as string };
  return { id, label: id };
}

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const cell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
};

export function Records(props: { name: string }) {
  const [def, setDef] = useState<Definition>();
  const [data, setData] = useState<Page>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState('');
  const [filterDraft, setFilterDraft] = useState('');
  const [filterError, setFilterError] = useState<{ message: string; position?: number }>();
  const [sort, setSort] = useState('-created');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Rec | 'new'>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState<string>();
  const [live, setLive] = useState(false);
  const [liveNote, setLiveNote] = useState<string>();
  const [hidden, setHidden] = useState<Set<string>>(() => loadHidden(props.name));
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string>();
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    api<CollectionEntry>('GET', `/api/admin/collections/${enc(props.name)}`).then(
      (c) => setDef(c.definition),
      (e) => setError(messageOf(e)),
    );
  }, [props.name]);

  const relations = (def?.type === 'document' ? [] : (def?.fields ?? [])).filter((f) => f.type === 'relation').map((f) => f.name);
  const expand = relations.join(',') || undefined;
  const load = async () => {
    if (!def) return;
    try {
      const r = await api<Page>('GET', `/api/collections/${enc(props.name)}/records${q({ filter, sort, page, perPage: PER_PAGE, totalItems: 'true', expand })}`);
      setData(r);
      setError(undefined);
      setFilterError(undefined);
    } catch (e) {
      if (e instanceof ApiError && e.errors.some((x) => x.field === 'filter')) {
        setFilterError({ message: e.detail, position: typeof e.body.position === 'number' ? e.body.position : undefined });
      } else if (e instanceof ApiError && e.errors.some((x) => x.field === 'sort')) {
        setError(e.detail);
        setSort('-created');
      } else setError(messageOf(e));
    }
  };
  reloadRef.current = load;
  useEffect(() => {
    void load();
  }, [props.name, filter, sort, page, def]);

  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const sub = subscribeCollection(
      props.name,
      (action, rec) => {
        setLiveNote(`${action} ${String(rec.id ?? '')}`);
        clearTimeout(t);
        t = setTimeout(() => reloadRef.current(), 100);
      },
      setLive,
    );
    return () => {
      clearTimeout(t);
      sub.close();
    };
  }, [props.name]);

  if (error && !def) return <p class="error" role="alert">{error}</p>;
  if (!def) return <p class="loading">Loading…</p>;
  const columns = def.type === 'document' ? ['data'] : (def.fields ?? []).map((f) => f.name);
  const allColumns = ['id', ...columns, 'created', 'updated'];
  const shown = allColumns.filter((c) => !hidden.has(c));
  const showColumn = (c: string, on: boolean) => {
    const h = new Set(hidden);
    if (on) h.delete(c);
    else h.add(c);
    setHidden(h);
    try {
      localStorage.setItem(columnsKey(props.name), JSON.stringify([...h]));
    } catch {
      // storage full or blocked: the choice lasts for this page only
    }
  };
  const dataOf = (r: Rec) => Object.fromEntries(Object.entries(r).filter(([k]) => !['id', 'created', 'updated', 'expand'].includes(k)));
  const relCell = (r: Rec, c: string) => {
    const ex = (r.expand as Record<string, unknown> | undefined)?.[c];
    const list = (Array.isArray(ex) ? ex : ex ? [ex] : []).map(labelOf).filter((x): x is { id: string; label: string } => !!x);
    if (list.length === 0) return cell(r[c]);
    return list.map((x, i) => (
      <>
        {i > 0 && ', '}
        <span class="rel" data-rel-id={x.id} title={x.id}>
          {x.label}
        </span>
      </>
    ));
  };

  /** Every record matching the current filter and sort, page by page (cursor when the sort allows one). */
  const exportAs = async (format: 'csv' | 'json') => {
    setExporting(true);
    setExported(undefined);
    setError(undefined);
    try {
      const rows: Rec[] = [];
      let perPage = EXPORT_PAGE;
      let cursor: string | undefined;
      for (let n = 1; ; ) {
        let r: Page;
        try {
          r = await api<Page>('GET', `/api/collections/${enc(props.name)}/records${q({ filter, sort, perPage, ...(cursor ? { cursor } : { page: n }) })}`);
        } catch (e) {
          if (perPage !== PER_PAGE && e instanceof ApiError && e.errors.some((x) => x.field === 'perPage')) {
            perPage = PER_PAGE;
            continue;
          }
          throw e;
        }
        rows.push(...r.items);
        if (r.nextCursor) cursor = r.nextCursor;
        else if (!cursor && r.items.length === perPage) n++;
        else break;
      }
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      if (format === 'json') download(`${props.name}-${stamp}.json`, 'application/json', toJson(rows));
      else download(`${props.name}-${stamp}.csv`, 'text/csv;charset=utf-8', toCsv(shown, def.type === 'document' ? rows.map((r) => ({ ...r, data: dataOf(r) })) : rows));
      setExported(`Exported ${rows.length} record(s) as ${format.toUpperCase()}.`);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setExporting(false);
    }
  };

  const sortBy = (col: string) => {
    setSort(sort === col ? `-${col}` : col);
    setPage(1);
  };
  const sortMark = (col: string) => (sort === col ? 'ascending' : sort === `-${col}` ? 'descending' : undefined);

  const remove = async (ids: string[]) => {
    try {
      for (const id of ids) await api('DELETE', `/api/collections/${enc(props.name)}/records/${enc(id)}`);
      setSelected(new Set());
      setConfirmDelete(undefined);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const toggle = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };

  return (
    <section aria-labelledby="records-h">
      <div class="bar">
        <h1 id="records-h">{props.name}</h1>
        <span class={live ? 'live on' : 'live'} role="status" title={liveNote}>
          {live ? 'Live' : 'Offline'}
        </span>
        <a href={href('collections', props.name, 'edit')}>Collection settings</a>
        <button type="button" onClick={() => setEditing('new')}>
          New record
        </button>
      </div>
      <div class="bar tools">
        <details class="columns">
          <summary>Columns</summary>
          <fieldset>
            <legend class="sr-only">Columns shown</legend>
            {allColumns.map((c) => (
              <label class="check" key={c}>
                <input type="checkbox" name={`col-${c}`} checked={!hidden.has(c)} onChange={(e) => showColumn(c, e.currentTarget.checked)} /> {c}
              </label>
            ))}
          </fieldset>
        </details>
        <button type="button" class="secondary" disabled={exporting} onClick={() => exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" class="secondary" disabled={exporting} onClick={() => exportAs('json')}>
          Export JSON
        </button>
        <span role="status" id="export-status">
          {exporting ? 'Exporting…' : exported}
        </span>
      </div>
      <form
        class="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          if (filterDraft === filter) void load();
          else setFilter(filterDraft);
        }}
      >
        <label for="filter">Filter</label>
        <input id="filter" name="filter" value={filterDraft} placeholder="e.g. title ~ 'hello' && views > 10" aria-invalid={filterError ? 'true' : undefined} aria-describedby="filter-error" onInput={(e) => setFilterDraft(e.currentTarget.value)} />
        <button type="submit">Apply</button>
        {filterError && (
          <div class="field-error" id="filter-error" role="alert">
            <span>{filterError.message}</span>
            {filterError.position !== undefined && (
              <pre class="caret" aria-hidden="true">
                {filter}
                {'\n'}
                {' '.repeat(filterError.position)}^
              </pre>
            )}
          </div>
        )}
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {editing && (
        <RecordForm
          def={def}
          record={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onDone={() => {
            setEditing(undefined);
            void load();
          }}
        />
      )}
      {selected.size > 0 && (
        <div class="bulk">
          {selected.size} selected{' '}
          {confirmDelete === '*' ? (
            <button type="button" class="danger" onClick={() => remove([...selected])}>
              Confirm: delete {selected.size}
            </button>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirmDelete('*')}>
              Delete selected
            </button>
          )}
        </div>
      )}
      {data && (
        <div class="scroll">
          <table class="grid records" aria-label={`Records of ${props.name}`}>
            <thead>
              <tr>
                <th scope="col">
                  <span class="sr-only">Select</span>
                </th>
                {shown.map((c) => (
                  <th scope="col" aria-sort={sortMark(c)} data-col={c}>
                    {c === 'data' ? (
                      'data'
                    ) : (
                      <button type="button" class="link" onClick={() => sortBy(c)}>
                        {c} {sortMark(c) === 'ascending' ? '▲' : sortMark(c) === 'descending' ? '▼' : ''}
                      </button>
                    )}
                  </th>
                ))}
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.id} data-id={r.id}>
                  <td>
                    <input type="checkbox" aria-label={`Select ${r.id}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                  </td>
                  {shown.map((c) =>
                    c === 'id' || c === 'created' || c === 'updated' ? (
                      <td class="mono" data-col={c}>
                        {cell(r[c])}
                      </td>
                    ) : (
                      <td data-col={c}>{c === 'data' ? cell(dataOf(r)) : relations.includes(c) ? relCell(r, c) : cell(r[c])}</td>
                    ),
                  )}
                  <td class="actions">
                    <button type="button" class="secondary" aria-label={`Edit ${r.id}`} onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    {confirmDelete === r.id ? (
                      <button type="button" class="danger" aria-label={`Confirm delete ${r.id}`} onClick={() => remove([r.id])}>
                        Confirm delete
                      </button>
                    ) : (
                      <button type="button" class="secondary" aria-label={`Delete ${r.id}`} onClick={() => setConfirmDelete(r.id)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.items.length === 0 && <p>No records{filter ? ' match the filter' : ''}.</p>}
        </div>
      )}
      {data && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {data.page}
            {data.totalPages !== undefined ? ` of ${Math.max(1, data.totalPages)}` : ''}
            {data.totalItems !== undefined ? ` · ${data.totalItems} records` : ''}
          </span>
          <button type="button" class="secondary" disabled={data.totalPages !== undefined ? page >= data.totalPages : data.items.length < PER_PAGE} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
