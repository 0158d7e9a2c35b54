// File fields in record writes: uploads stored before the write (under the record's id), the write's
// new names checked, and files the record no longer holds deleted only after the write commits; a failed
// write deletes what it uploaded. What a crash leaves between the two, the sweeper (file-sweeper.ts) reconciles.
import type { FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError } from '../../core/index.js';
import { ID_PATTERN, newRecordId, type Collection, type RecordData, type RecordsService } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';
import { fileKey } from './file-names.js';
import { parseUpload, type ParsedUpload, type UploadLimits } from './upload-parse.js';
import { inspectStreamedBody } from '../../waf/index.js';
import { fileChanges, textValues, type FileFieldChange } from './upload-values.js';
import type { QuotaCheck } from './file-quota.js';

const quoted = (v: string) => v.replace(/["\r\n]/g, (c) => (c === '"' ? '%22' : ' '));

/** The text parts and file names of a parsed upload as a multipart body in the request's boundary (file contents left out). */
function multipartText(contentType: string, parsed: ParsedUpload): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2] ?? 'strata-upload';
  const out: string[] = [];
  for (const [name, values] of parsed.text) for (const v of values) out.push(`--${b}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${v}\r\n`);
  for (const f of parsed.fileParts) out.push(`--${b}\r\nContent-Disposition: form-data; name="${quoted(f.part)}"; filename="${quoted(f.filename)}"\r\nContent-Type: ${f.mime.replace(/[\r\n]/g, ' ')}\r\n\r\n\r\n`);
  out.push(`--${b}--\r\n`);
  return out.join('');
}

/** A write's file side: the input to write, and what to do once it has committed or failed. */
export interface FileWrite {
  /** The WAF refused the upload's text parts or file names and answered (403): the handler stops. */
  answered?: boolean;
  input: Record<string, unknown>;
  committed(): Promise<void>;
  failed(): Promise<void>;
}

export interface RecordFiles {
  /** Whether the request body is multipart/form-data (then the records API leaves it unread for `prepare`). */
  isUpload(req: FastifyRequest): boolean;
  /**
   * The write's file side, or undefined when neither the body is an upload nor the collection has file
   * fields. `decode` reads a non-multipart body as the records API would.
   */
  prepare(req: FastifyRequest, c: Collection, action: 'create' | 'update', decode: () => unknown, id?: string): Promise<FileWrite | undefined>;
  /** After a record's delete committed: its files go. */
  deleted(c: Collection, id: string): Promise<void>;
}

export interface RecordFilesDeps {
  store: () => BlobStore;
  records: () => RecordsService;
  limits: UploadLimits;
  /** Per-collection quotas (files.quotas), checked once an upload's files are in storage. */
  quota?: QuotaCheck;
  log?: { warn(obj: object, msg: string): void };
}

const hasFiles = (c: Collection) => c.fields.some((f) => f.type === 'file');

/** Deletes named files of a record and their thumbnails (after the write that dropped them committed). */
export async function dropRecordFiles(store: BlobStore, c: Collection, id: string, names: string[], log?: RecordFilesDeps['log']): Promise<void> {
  if (names.length === 0) return;
  const thumbs = (await store.list(`${c.name}/${id}/thumbs/`).catch(() => [])).filter((b) => names.some((n) => b.key.endsWith(`_${n}`)));
  for (const k of [...names.map((n) => fileKey(c.name, id, n)), ...thumbs.map((b) => b.key)]) {
    await store.delete(k).catch((e: unknown) => log?.warn({ key: k, err: String(e) }, 'file delete failed; the sweeper will retry'));
  }
}

/**
 * @example
 * recordsRoutes({ ..., files: recordFiles({ store: () => store, records: () => data.records, limits }) });
 */
export function recordFiles(deps: RecordFilesDeps): RecordFiles {
  const isUpload = (req: FastifyRequest) => /^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '');
  const drop = async (keys: string[]) => {
    for (const k of keys) await deps.store().delete(k).catch((e: unknown) => deps.log?.warn({ key: k, err: String(e) }, 'file delete failed; the sweeper will retry'));
  };
  const oldRecord = async (c: Collection, id: string | undefined): Promise<RecordData | undefined> => {
    if (id === undefined) return undefined;
    return (await deps.records().get(c.name, id)).record;
  };
  const write = (c: Collection, id: string, input: Record<string, unknown>, changes: FileFieldChange[], uploaded: string[]): FileWrite => {
    for (const ch of changes) input[ch.field.name] = ch.value;
    return {
      input,
      committed: () => dropRecordFiles(deps.store(), c, id, changes.flatMap((ch) => ch.removed), deps.log),
      failed: () => drop(uploaded),
    };
  };
  return {
    isUpload,
    async prepare(req, c, action, decode, id) {
      if (!isUpload(req)) {
        if (!hasFiles(c)) return undefined;
        const body = decode();
        if (!body || typeof body !== 'object' || Array.isArray(body)) return { input: body as Record<string, unknown>, committed: async () => {}, failed: async () => {} };
        const input = { ...(body as Record<string, unknown>) };
        const keep = new Map<string, unknown>();
        for (const f of c.fields) if (f.type === 'file' && f.name in input) keep.set(f.name, input[f.name]);
        if (keep.size === 0) return { input, committed: async () => {}, failed: async () => {} };
        const old = await oldRecord(c, id);
        const rid = id ?? '';
        return write(c, rid, input, fileChanges(c, old, keep, new Map(), []), []);
      }
      if (c.type === 'document') throw new ValidationError('Document collections take no file uploads.', [{ field: '', message: 'multipart body on a document collection' }]);
      if (action === 'create' && c.auth) throw new ValidationError('Files of an auth record are uploaded with an update, once the server has made its id.', [{ field: '', message: 'multipart create on an auth collection' }]);
      const old = await oldRecord(c, id).catch((e: unknown) => {
        throw e instanceof NotFoundError ? new NotFoundError('No record with this id.') : e;
      });
      // The record's id comes before its files (they are stored under it): a client-given id comes as `?id=`.
      let rid = id;
      if (rid === undefined) {
        const given = (req.query as Record<string, unknown>).id;
        rid = typeof given === 'string' ? given : newRecordId();
      }
      const early = rid;
      if (!ID_PATTERN.test(early)) throw new ValidationError('Invalid record id.', [{ field: 'id', message: 'must be 5-32 lower-case letters or digits' }]);
      const parsed = await parseUpload(req.raw, c, deps.store(), early, deps.limits);
      const uploaded = parsed.files.map((f) => f.key);
      // The WAF sees the upload as it sees a buffered multipart body: text parts and file names.
      if (inspectStreamedBody(req, multipartText(req.headers['content-type'] ?? '', parsed)) === true) {
        await drop(uploaded);
        return { answered: true, input: {}, committed: async () => {}, failed: async () => {} };
      }
      try {
        const { input, keep, removes } = textValues(c, parsed.text);
        if (action === 'create') {
          if (input.id !== undefined && input.id !== early) throw new ValidationError('Give the id of an upload as ?id= (its files are stored under it).', [{ field: 'id', message: 'must match ?id=' }]);
          input.id = early;
        }
        const changes = fileChanges(c, old, keep, removes, parsed.files);
        // The upload's files are in storage already (counted); the files this write drops are not.
        if (deps.quota && uploaded.length > 0) await deps.quota(c, { bytes: 0, files: 0 }, new Set(changes.flatMap((ch) => ch.removed.map((n) => fileKey(c.name, early, n)))), uploaded);
        return write(c, early, input, changes, uploaded);
      } catch (e) {
        await drop(uploaded);
        throw e;
      }
    },
    async deleted(c, id) {
      if (!hasFiles(c)) return;
      const blobs = await deps.store().list(`${c.name}/${id}/`);
      await drop(blobs.map((b) => b.key));
    },
  };
}
