// Create or edit one record: an input per field type (text, number, checkbox, date picker, select values,
// JSON editor, relation picker searching the target collection); a document collection edits its JSON.
// The server is the one validator (noValidate): its errors appear beside their field.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, enc, messageOf, q, type FieldError } from './api.js';
import type { Definition, Field, Rec } from './types.js';

const SYSTEM = new Set(['id', 'created', 'updated', 'collectionName', 'expand']); // expand: related records the table asked for

/** ISO 8601 → the value of an <input type="datetime-local"> (UTC). */
const toLocalInput = (v: unknown) => (typeof v === 'string' && v ? v.replace(/Z$/, '').slice(0, 16) : '');

function RelationPicker(props: { field: Field; value: unknown; onChange: (v: unknown) => void; id: string }) {
  const [search, setSearch] = useState('');
  const [options, setOptions] = useState<Rec[]>([]);
  const target = props.field.collection ?? '';
  useEffect(() => {
    const t = setTimeout(() => {
      api<{ items: Rec[] }>('GET', `/api/collections/${enc(target)}/records${q({ perPage: 20, filter: search ? `id ~ '${search.replace(/['\\]/g, '')}'` : undefined })}`).then(
        (r) => setOptions(r.items),
        () => setOptions([]),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [search, target]);
  const label = (r: Rec) => {
    const text = Object.entries(r).find(([k, v]) => !SYSTEM.has(k) && typeof v === 'string' && v);
    return text ? `${r.id} · ${String(text[1]).slice(0, 40)}` : r.id;
  };
  const multiple = !!props.field.multiple;
  const value = multiple ? ((props.value as string[] | undefined) ?? []) : [String(props.value ?? '')].filter(Boolean);
  return (
    <div class="relation">
      <input type="search" placeholder={`Search ${target} by id`} aria-label={`Search ${target}`} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      <select
        id={props.id}
        multiple={multiple}
        onChange={(e) => {
          const chosen = Array.from(e.currentTarget.selectedOptions).map((o) => o.value).filter(Boolean);
          props.onChange(multiple ? chosen : (chosen[0] ?? null));
        }}
      >
        {!multiple && <option value="">(none)</option>}
        {value
          .filter((v) => !options.some((o) => o.id === v))
          .map((v) => (
            <option value={v} selected>
              {v}
            </option>
          ))}
        {options.map((o) => (
          <option value={o.id} selected={value.includes(o.id)}>
            {label(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

function FieldInput(props: { field: Field; value: unknown; onChange: (v: unknown) => void; id: string; describedBy: string }) {
  const { field: f, value, onChange, id } = props;
  const common = { id, name: f.name, required: !!f.required && f.type !== 'boolean', 'aria-describedby': props.describedBy };
  switch (f.type) {
    case 'boolean':
      return <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />;
    case 'number':
    case 'integer':
      return <input {...common} type="number" step={f.type === 'integer' ? 1 : 'any'} value={value === null || value === undefined ? '' : String(value)} onInput={(e) => onChange(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))} />;
    case 'date':
      return <input {...common} type="datetime-local" value={toLocalInput(value)} onInput={(e) => onChange(e.currentTarget.value ? `${e.currentTarget.value}:00Z` : null)} />;
    case 'select':
      return (
        <select {...common} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value || null)}>
          <option value="">(none)</option>
          {(f.values ?? []).map((v) => (
            <option value={v}>{v}</option>
          ))}
        </select>
      );
    case 'json':
      return <JsonInput {...common} value={value} onChange={onChange} />;
    case 'relation':
      return <RelationPicker field={f} value={value} onChange={onChange} id={id} />;
    default:
      return <input {...common} type={(f.type === 'email' ? 'email' : f.type === 'url' ? 'url' : 'text') as 'text'} value={String(value ?? '')} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
}

function JsonInput(props: { id: string; name: string; value: unknown; onChange: (v: unknown) => void; 'aria-describedby': string }) {
  const [text, setText] = useState(() => (props.value === undefined ? '' : JSON.stringify(props.value, null, 2)));
  const [bad, setBad] = useState<string>();
  return (
    <>
      <textarea
        id={props.id}
        name={props.name}
        class="json"
        rows={4}
        spellcheck={false}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={props['aria-describedby']}
        value={text}
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          try {
            props.onChange(t.trim() === '' ? null : JSON.parse(t));
            setBad(undefined);
          } catch (err) {
            setBad((err as Error).message);
          }
        }}
      />
      {bad && <span class="field-error">Not valid JSON: {bad}</span>}
    </>
  );
}

export function RecordForm(props: { def: Definition; record?: Rec; onDone: () => void; onCancel: () => void }) {
  const { def, record } = props;
  const doc = def.type === 'document';
  const initial = () => {
    const v: Record<string, unknown> = {};
    if (record) for (const [k, x] of Object.entries(record)) if (!SYSTEM.has(k)) v[k] = x;
    return v;
  };
  const [values, setValues] = useState<Record<string, unknown>>(initial);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [general, setGeneral] = useState<string>();
  const [busy, setBusy] = useState(false);
  const fields = (def.fields ?? []).filter((f) => !(def.type === 'auth' && f.name === 'password'));

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    try {
      const base = `/api/collections/${enc(def.name)}/records`;
      const body: Record<string, unknown> = doc ? values : Object.fromEntries(fields.filter((f) => f.name in values).map((f) => [f.name, values[f.name]]));
      if (record) await api('PATCH', `${base}/${enc(record.id)}`, body);
      else await api('POST', base, body);
      props.onDone();
    } catch (e) {
      setErrors(e instanceof ApiError ? e.errors : []);
      setGeneral(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="record-form" noValidate onSubmit={submit} aria-label={record ? `Edit record ${record.id}` : 'New record'}>
      <h2>{record ? `Edit ${record.id}` : 'New record'}</h2>
      {doc ? (
        <label>
          Document (JSON)
          <JsonInput id="doc" name="document" value={values} aria-describedby="err-doc" onChange={(v) => setValues((v as Record<string, unknown>) ?? {})} />
        </label>
      ) : (
        fields.map((f) => {
          const id = `rf-${f.name}`;
          const errs = errors.filter((x) => x.field === f.name || x.field.startsWith(`${f.name}.`));
          return (
            <div class="form-row" key={f.name}>
              <label for={id}>
                {f.name}
                {f.required ? ' *' : ''} <span class="hint">({f.type})</span>
              </label>
              <FieldInput field={f} value={values[f.name]} id={id} describedBy={`err-${id}`} onChange={(v) => setValues((old) => ({ ...old, [f.name]: v }))} />
              {errs.length > 0 && (
                <span class="field-error" id={`err-${id}`} role="alert">
                  {errs.map((x) => x.message).join('; ')}
                </span>
              )}
            </div>
          );
        })
      )}
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {record ? 'Save' : 'Create'}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
