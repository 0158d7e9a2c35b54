// Create or change a collection: fields of every type with their options, full-text fields, indexes over
// several fields (unique or not), access rules per operation. Every edit is dry-run on the server (POST /api/admin/collections/plan) so errors appear inline
// beside the field or rule they concern, and the migration plan is shown before anything is applied;
// destructive steps must be confirmed explicitly (the API's ?allowDestructive=true).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, enc, messageOf, type FieldError } from './api.js';
import { go, href } from './route.js';
import { FIELD_TYPES, RULE_OPS, type CollectionEntry, type Definition, type Field, type FieldType, type Plan, type RuleOp } from './types.js';

const BASE = '/api/admin/collections';

/** The server names a field of the plan's body (`create.rules.list`) or of the whole schema (`collections.notes.rules.list`). */
const normalize = (e: FieldError): FieldError => ({ ...e, field: e.field.replace(/^collections\.[^.]+\./, '').replace(/^(create|changes)\./, '') });

function errorsFor(errors: FieldError[], prefix: string): string[] {
  return errors.filter((e) => e.field === prefix || e.field.startsWith(`${prefix}.`)).map((e) => e.message);
}

function Errors(props: { list: string[]; id: string }) {
  if (props.list.length === 0) return null;
  return (
    <span class="field-error" id={props.id} role="alert">
      {props.list.join('; ')}
    </span>
  );
}

/** What is sent: empty options dropped so the server's defaults apply. */
function cleanField(f: Field): Field {
  const out: Field = { name: f.name, type: f.type };
  for (const k of ['required', 'unique', 'indexed', 'encrypted'] as const) if (f[k]) out[k] = true;
  if (f.type === 'select') out.values = f.values ?? [];
  if (f.type === 'relation') {
    out.collection = f.collection ?? '';
    if (f.multiple) out.multiple = true;
  }
  for (const [k, v] of Object.entries(f)) if (!(k in out) && !['values', 'collection', 'multiple'].includes(k) && v !== undefined) out[k] = v;
  return out;
}

function cleanDefinition(d: Definition): Definition {
  const out: Definition = { ...d, fields: d.type === 'document' ? undefined : (d.fields ?? []).map(cleanField) };
  if (out.fields === undefined) delete out.fields;
  if (!out.fullText?.length) delete out.fullText;
  // An index being typed may have empty entries; the server checks the names.
  out.indexes = (d.indexes ?? []).map((ix) => ({ fields: ix.fields.filter(Boolean), ...(ix.unique ? { unique: true } : {}) }));
  return out;
}

export function CollectionEditor(props: { name?: string }) {
  const creating = props.name === undefined;
  const [def, setDef] = useState<Definition>({ name: '', type: 'base', fields: [{ name: 'title', type: 'text' }], rules: {} });
  const [source, setSource] = useState<CollectionEntry['source']>('api');
  const [loadError, setLoadError] = useState<string>();
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [general, setGeneral] = useState<string>();
  const [plan, setPlan] = useState<Plan>();
  const [confirmed, setConfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dropPlan, setDropPlan] = useState<Plan>();
  // An edit made before the stored definition arrives would be overwritten by it: the form waits.
  const [loaded, setLoaded] = useState(creating);
  const seq = useRef(0);
  const readOnly = source !== 'api';

  useEffect(() => {
    if (creating) return;
    api<CollectionEntry>('GET', `${BASE}/${enc(props.name!)}`).then(
      (c) => {
        setDef({ rules: {}, fields: [], ...c.definition });
        setSource(c.source);
        setLoaded(true);
      },
      (e) => setLoadError(messageOf(e)),
    );
  }, [props.name]);

  const body = () => {
    const d = cleanDefinition(def);
    if (creating) return { create: d };
    const { name: _n, ...changes } = d;
    return { update: props.name, changes };
  };

  // Dry run after each edit (debounced): the inline errors and the plan come from the server itself.
  useEffect(() => {
    if (readOnly || !loaded || (!creating && loadError)) return;
    if (creating && !def.name) {
      setPlan(undefined);
      setErrors([]);
      return;
    }
    const mine = ++seq.current;
    const t = setTimeout(async () => {
      try {
        const p = await api<Plan>('POST', `${BASE}/plan`, body());
        if (mine !== seq.current) return;
        setErrors([]);
        setGeneral(undefined);
        setPlan(p);
        setConfirmed(false);
      } catch (e) {
        if (mine !== seq.current) return;
        setPlan(undefined);
        if (e instanceof ApiError && e.errors.length) {
          const mapped = e.errors.map(normalize);
          setErrors(mapped);
          setGeneral(undefined);
        } else {
          setErrors([]);
          setGeneral(messageOf(e));
        }
      }
    }, 350);
    return () => clearTimeout(t);
  }, [def, readOnly, loaded]);

  const set = (patch: Partial<Definition>) => setDef({ ...def, ...patch });
  const fields = def.fields ?? [];
  const setField = (i: number, patch: Partial<Field>) => set({ fields: fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  const setRule = (op: RuleOp, v: string | null) => set({ rules: { ...(def.rules ?? {}), [op]: v } });

  const save = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    try {
      const qs = plan && plan.destructive.length ? '?allowDestructive=true' : '';
      if (creating) await api('POST', `${BASE}${qs}`, cleanDefinition(def));
      else {
        const { name: _n, ...changes } = cleanDefinition(def);
        await api('PATCH', `${BASE}/${enc(props.name!)}${qs}`, changes);
      }
      go('records', creating ? def.name : props.name!);
    } catch (e) {
      if (e instanceof ApiError && e.errors.length) setErrors(e.errors.map(normalize));
      setGeneral(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const askDrop = async () => {
    try {
      setDropPlan(await api<Plan>('POST', `${BASE}/plan`, { delete: props.name }));
    } catch (e) {
      setGeneral(messageOf(e));
    }
  };
  const drop = async () => {
    try {
      await api('DELETE', `${BASE}/${enc(props.name!)}?allowDestructive=true`);
      go('collections');
    } catch (e) {
      setGeneral(messageOf(e));
    }
  };

  if (loadError) return <p class="error" role="alert">{loadError}</p>;
  if (!loaded) return <p class="loading">Loading…</p>;
  const needsConfirm = !!plan && plan.destructive.length > 0;
  return (
    <section aria-labelledby="editor-h">
      <div class="bar">
        <h1 id="editor-h">{creating ? 'New collection' : `Collection ${props.name}`}</h1>
        {!creating && <a href={href('records', props.name!)}>Records</a>}
      </div>
      {source === 'config' && <p class="notice">Declared in strata.yaml: change it there (read-only here).</p>}
      {source === 'system' && <p class="notice">A system collection: it cannot be changed or deleted here.</p>}
      <form onSubmit={save} class="editor">
        <fieldset disabled={readOnly}>
          <div class="row">
            <label>
              Name
              <input name="name" value={def.name} disabled={!creating} required pattern="[a-z][a-z0-9_]{0,47}" aria-describedby="err-name" onInput={(e) => set({ name: e.currentTarget.value })} />
              <Errors list={errorsFor(errors, 'name')} id="err-name" />
            </label>
            <label>
              Type
              <select name="type" value={def.type ?? 'base'} disabled={!creating} onChange={(e) => set({ type: e.currentTarget.value as Definition['type'] })}>
                <option value="base">base</option>
                <option value="auth">auth</option>
                <option value="document">document</option>
              </select>
            </label>
          </div>
          {def.type !== 'document' && (
            <fieldset class="fields">
              <legend>Fields</legend>
              {fields.map((f, i) => (
                <div class="field-row" key={i} data-field={i}>
                  <label>
                    Field name
                    <input value={f.name} aria-describedby={`err-f${i}`} onInput={(e) => setField(i, { name: e.currentTarget.value })} />
                  </label>
                  <label>
                    Field type
                    <select value={f.type} onChange={(e) => setField(i, { type: e.currentTarget.value as FieldType })}>
                      {FIELD_TYPES.map((t) => (
                        <option value={t}>{t}</option>
                      ))}
                    </select>
                  </label>
                  {f.type === 'select' && (
                    <label>
                      Values (comma-separated)
                      <input value={(f.values ?? []).join(',')} onInput={(e) => setField(i, { values: e.currentTarget.value.split(',').map((v) => v.trim()).filter(Boolean) })} />
                    </label>
                  )}
                  {f.type === 'relation' && (
                    <>
                      <label>
                        Target collection
                        <input value={f.collection ?? ''} onInput={(e) => setField(i, { collection: e.currentTarget.value })} />
                      </label>
                      <label class="check">
                        <input type="checkbox" checked={!!f.multiple} onChange={(e) => setField(i, { multiple: e.currentTarget.checked })} /> multiple
                      </label>
                    </>
                  )}
                  {(['required', 'unique', 'indexed', 'encrypted'] as const).map((k) => (
                    <label class="check">
                      <input type="checkbox" checked={!!f[k]} onChange={(e) => setField(i, { [k]: e.currentTarget.checked })} /> {k}
                    </label>
                  ))}
                  <button type="button" class="secondary" aria-label={`Remove field ${f.name || i + 1}`} onClick={() => set({ fields: fields.filter((_, j) => j !== i) })}>
                    Remove
                  </button>
                  <Errors list={errorsFor(errors, `fields.${i}`)} id={`err-f${i}`} />
                </div>
              ))}
              <button type="button" class="secondary" onClick={() => set({ fields: [...fields, { name: '', type: 'text' }] })}>
                Add field
              </button>
              <Errors list={errors.filter((e) => e.field === 'fields').map((e) => e.message)} id="err-fields" />
              <label>
                Full-text fields (comma-separated)
                <input value={(def.fullText ?? []).join(',')} aria-describedby="err-fullText" onInput={(e) => set({ fullText: e.currentTarget.value.split(',').map((v) => v.trim()).filter(Boolean) })} />
                <Errors list={errorsFor(errors, 'fullText')} id="err-fullText" />
              </label>
            </fieldset>
          )}
          <fieldset class="indexes">
            <legend>Indexes</legend>
            <p class="hint">Each field marked indexed or unique above has its own index; here, indexes over several fields (in order).</p>
            {(def.indexes ?? []).map((ix, i) => (
              <div class="field-row" key={i} data-index={i}>
                <label>
                  Index fields (comma-separated)
                  <input value={ix.fields.join(',')} aria-describedby={`err-ix${i}`} onInput={(e) => set({ indexes: (def.indexes ?? []).map((x, j) => (j === i ? { ...x, fields: e.currentTarget.value.split(',').map((v) => v.trim()) } : x)) })} />
                </label>
                <label class="check">
                  <input type="checkbox" checked={!!ix.unique} onChange={(e) => set({ indexes: (def.indexes ?? []).map((x, j) => (j === i ? { ...x, unique: e.currentTarget.checked } : x)) })} /> unique
                </label>
                <button type="button" class="secondary" aria-label={`Remove index ${ix.fields.join(', ') || i + 1}`} onClick={() => set({ indexes: (def.indexes ?? []).filter((_, j) => j !== i) })}>
                  Remove
                </button>
                <Errors list={errorsFor(errors, `indexes.${i}`)} id={`err-ix${i}`} />
              </div>
            ))}
            <button type="button" class="secondary" onClick={() => set({ indexes: [...(def.indexes ?? []), { fields: [] }] })}>
              Add index
            </button>
            <Errors list={errors.filter((e) => e.field === 'indexes').map((e) => e.message)} id="err-indexes" />
          </fieldset>
          <fieldset class="rules">
            <legend>Access rules</legend>
            <p class="hint">Locked: superusers only. Empty: everyone. Otherwise an expression, e.g. <code>owner = @request.auth.id</code>.</p>
            {RULE_OPS.map((op) => {
              const v = def.rules?.[op];
              const locked = v === null || v === undefined;
              return (
                <div class="rule-row" key={op}>
                  <label class="check">
                    <input type="checkbox" checked={locked} aria-label={`${op} rule locked (superusers only)`} onChange={(e) => setRule(op, e.currentTarget.checked ? null : '')} /> locked
                  </label>
                  <label>
                    {op} rule
                    <input name={`rule-${op}`} value={locked ? '' : v} disabled={locked} placeholder={locked ? 'superusers only' : 'everyone'} aria-describedby={`err-rule-${op}`} onInput={(e) => setRule(op, e.currentTarget.value)} />
                  </label>
                  <Errors list={errorsFor(errors, `rules.${op}`)} id={`err-rule-${op}`} />
                </div>
              );
            })}
          </fieldset>
        </fieldset>
        {general && (
          <p class="error" role="alert">
            {general}
          </p>
        )}
        {!readOnly && (
          <section class="plan" aria-label="Migration plan" aria-live="polite">
            <h2>Migration plan</h2>
            {!plan && <p class="hint">{errors.length ? 'Fix the errors above to see the plan.' : 'The plan appears here as you edit.'}</p>}
            {plan && plan.plan.length === 0 && <p>No changes.</p>}
            {plan && plan.plan.length > 0 && (
              <ol class="steps">
                {plan.plan.map((s) => (
                  <li class={plan.destructive.includes(s) ? 'destructive' : ''}>{s}</li>
                ))}
              </ol>
            )}
            {needsConfirm && (
              <label class="check danger">
                <input type="checkbox" name="confirm-destructive" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} /> I understand these steps delete data: {plan!.destructive.join('; ')}
              </label>
            )}
            <button type="submit" disabled={busy || !plan || plan.plan.length === 0 || (needsConfirm && !confirmed)}>
              {creating ? 'Create collection' : 'Apply changes'}
            </button>
          </section>
        )}
      </form>
      {!creating && !readOnly && (
        <section class="danger-zone" aria-label="Delete collection">
          {!dropPlan ? (
            <button type="button" class="danger" onClick={askDrop}>
              Delete collection…
            </button>
          ) : (
            <>
              <p>This will: {dropPlan.plan.join('; ')}. Every record in {props.name} is lost.</p>
              <button type="button" class="danger" onClick={drop}>
                Delete {props.name} and all its records
              </button>
              <button type="button" class="secondary" onClick={() => setDropPlan(undefined)}>
                Cancel
              </button>
            </>
          )}
        </section>
      )}
    </section>
  );
}
