// Resumable uploads into file fields with the tus protocol 1.0 (creation, expiration, termination)
// through @tus/server: bytes are staged (upload-staging.ts: the data directory, or the S3 bucket so any
// instance continues any upload), so an interrupted upload resumes where it stopped; when the last byte
// arrives the file is sniffed, streamed into file storage (local or S3) and attached to its record in
// one write, as the caller and under the rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Server as TusServer } from '@tus/server';
import type { UploadStaging } from './upload-staging.js';
import { NotFoundError, StrataError, UnauthorizedError, ValidationError, type Principal } from '../../core/index.js';
import { ID_PATTERN, newRecordId, type Collection, type Field, type RecordAccess, type RecordsService } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';
import { sniff, SNIFF_BYTES, typeAllowed } from './content-type.js';
import { FileTooLargeError, FileUploadError } from './errors.js';
import { fileKey, storedName } from './file-names.js';
import { namesIn } from './upload-values.js';
import type { QuotaCheck } from './file-quota.js';

/** Where the tus endpoint answers: POST here creates an upload, HEAD/PATCH/DELETE `<path>/<id>` use it. */
export const UPLOADS_PATH = '/api/files/uploads';
const UPLOAD_ID = /^[a-f0-9]{32}$/;
/** A stored-name look-alike used when the create rule is tried before the file exists. */
const PLACEHOLDER = 'upload_0000000000';

export interface TusUploadsDeps {
  staging: () => UploadStaging;
  store: () => BlobStore;
  records: () => RecordsService;
  access: () => RecordAccess;
  principal: (req: FastifyRequest) => Principal | null;
  /** Per-collection quotas (files.quotas): tried at creation with the upload's size, checked again at the end. */
  quota?: QuotaCheck;
  /** Called after a record's file changed (old files to delete once the write committed). */
  dropFiles: (c: Collection, id: string, names: string[]) => Promise<void>;
}

/** What a creation request asked for, kept in the upload's metadata (server-set keys start with `strata-`). */
interface Target {
  collection: string;
  field: string;
  filename: string;
  record: string;
  action: 'create' | 'update';
  data: Record<string, unknown>;
}

class Rollback extends Error {}

const ownerOf = (p: Principal | null) => (p ? `${p.collection}:${p.id}` : '');

/** `key base64,key base64` (tus Upload-Metadata) → values; undefined when malformed. */
export function parseUploadMetadata(h: string | undefined): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (!h) return out;
  for (const pair of h.split(',')) {
    const [k, v, extra] = pair.trim().split(' ');
    if (!k || extra !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(k)) return undefined;
    if (v !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined;
    out.set(k, v ? Buffer.from(v, 'base64').toString('utf8') : '');
  }
  return out;
}

function problemOf(e: unknown): { status_code: number; headers: Record<string, string>; body: string } {
  const err = e instanceof StrataError ? e : new StrataError(500, 'strata/internal', 'Internal Server Error', 'The upload could not be attached.');
  return { status_code: err.status, headers: { 'content-type': 'application/problem+json; charset=utf-8' }, body: JSON.stringify(err.toProblem()) };
}

function fileFieldOf(c: Collection, name: string): Field {
  const f = c.fields.find((x) => x.name === name && x.type === 'file');
  if (!f) throw new FileUploadError(`"${name}" is not a file field of ${c.name}.`, [{ field: name, message: 'is not a file field of this collection' }]);
  return f;
}

/**
 * @example
 * await app.register(tusUploads({ staging: () => files.staging(), store: () => files.store(), records, access, principal, dropFiles }));
 */
export function tusUploads(deps: TusUploadsDeps): FastifyPluginAsync {
  // The caller of each request handed to tus, keyed by the raw request (tus hooks see a web Request wrapping it).
  const callers = new WeakMap<IncomingMessage, { principal: Principal | null; target?: Target }>();
  const nodeReq = (req: { runtime?: { node?: { req?: IncomingMessage } } }) => req.runtime?.node?.req;

  /** Tries the write the finished upload will do, then rolls it back: the rule is checked at creation. */
  async function tryWrite(p: Principal | null, c: Collection, f: Field, t: Target): Promise<void> {
    if (t.action === 'create') {
      await deps.access().create(p, c.name, { ...t.data, id: t.record, [f.name]: f.multiple ? [PLACEHOLDER] : PLACEHOLDER }, { dryRun: true });
      return;
    }
    const old = (await deps.records().get(c.name, t.record)).record;
    await deps
      .access()
      .update(p, c.name, t.record, { [f.name]: old[f.name] ?? (f.multiple ? [] : null) }, { inTx: () => Promise.reject(new Rollback()) })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
  }

  /** The key a finished upload replaces (a single field's file on update), which a quota does not count. */
  async function replaced(c: Collection, f: Field, action: string, record: string): Promise<Set<string>> {
    if (action !== 'update' || f.multiple) return new Set();
    return new Set(namesIn((await deps.records().get(c.name, record)).record[f.name]).map((n) => fileKey(c.name, record, n)));
  }

  async function creation(req: FastifyRequest): Promise<Target> {
    const meta = parseUploadMetadata(req.headers['upload-metadata'] as string | undefined);
    if (!meta) throw new FileUploadError('Upload-Metadata is malformed.', [{ field: 'Upload-Metadata', message: 'must be comma-separated "key base64" pairs' }]);
    if (req.headers['upload-defer-length'] !== undefined) throw new FileUploadError('Give the file\'s size in Upload-Length (deferred lengths are not taken).', [{ field: 'Upload-Length', message: 'is required' }]);
    const size = Number(req.headers['upload-length']);
    if (!/^\d{1,15}$/.test(String(req.headers['upload-length'] ?? '')) || !Number.isSafeInteger(size)) throw new FileUploadError('Upload-Length must be the file\'s size in bytes.', [{ field: 'Upload-Length', message: 'must be a whole number of bytes' }]);
    const missing = ['collection', 'field', 'filename'].filter((k) => !meta.get(k));
    if (missing.length > 0) throw new FileUploadError(`Upload-Metadata needs ${missing.join(', ')}.`, missing.map((k) => ({ field: k, message: 'is required in Upload-Metadata' })));
    const c = deps.records().collections.get(meta.get('collection')!);
    if (!c || c.name.startsWith('_')) throw new NotFoundError('No such collection.');
    const f = fileFieldOf(c, meta.get('field')!);
    if (size === 0) throw new FileUploadError(`A file for "${f.name}" is empty.`, [{ field: f.name, message: 'is empty' }]);
    if (size > f.file!.maxSize) throw new FileTooLargeError(f.name, f.file!.maxSize);
    let data: Record<string, unknown> = {};
    const json = meta.get('data');
    if (json) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FileUploadError('The "data" metadata must be a JSON object.', [{ field: 'data', message: 'must be a JSON object' }]);
      data = parsed as Record<string, unknown>;
    }
    const record = meta.get('record');
    const t: Target = { collection: c.name, field: f.name, filename: meta.get('filename')!.slice(0, 255), record: record || newRecordId(), action: record ? 'update' : 'create', data };
    if (!ID_PATTERN.test(t.record)) throw new ValidationError('Invalid record id.', [{ field: 'record', message: 'must be 5-32 lower-case letters or digits' }]);
    if (t.action === 'create' && c.auth) throw new ValidationError('Files of an auth record are uploaded to the record once it exists (give its id as "record").', [{ field: 'record', message: 'is required for an auth collection' }]);
    if (t.action === 'create' && typeof data.id === 'string') {
      if (!ID_PATTERN.test(data.id)) throw new ValidationError('Invalid record id.', [{ field: 'id', message: 'must be 5-32 lower-case letters or digits' }]);
      t.record = data.id;
    }
    await tryWrite(deps.principal(req), c, f, t);
    await deps.quota?.(c, { bytes: size, files: 1 }, await replaced(c, f, t.action, t.record));
    return t;
  }

  /** The finished upload: sniffed, put in file storage, attached to its record; the staged bytes go either way. */
  async function finish(p: Principal | null, id: string, meta: Record<string, string | null>): Promise<{ status_code: number; headers: Record<string, string>; body: string }> {
    const staging = deps.staging();
    let key: string | undefined;
    try {
      const c = deps.records().collections.get(meta['strata-collection'] ?? '');
      if (!c) throw new NotFoundError('No such collection.');
      const f = fileFieldOf(c, meta['strata-field'] ?? '');
      const record = meta['strata-record'] ?? '';
      const filename = meta['strata-filename'] ?? 'file';
      const head = await staging.head(id, SNIFF_BYTES);
      const type = await sniff(head, filename);
      if (!typeAllowed(type.mime, f.file!.mimeTypes)) throw new FileUploadError(`The file is ${type.mime} by its content.`, [{ field: f.name, message: `is ${type.mime} by its content; allowed: ${f.file!.mimeTypes.join(', ')}` }]);
      const name = storedName(filename, type.ext);
      key = fileKey(c.name, record, name);
      await deps.store().put(key, await staging.body(id), { contentType: type.mime });
      await deps.quota?.(c, { bytes: 0, files: 0 }, await replaced(c, f, meta['strata-action'] ?? '', record), [key]);
      let out;
      let dropped: string[] = [];
      if (meta['strata-action'] === 'create') {
        const data = JSON.parse(meta['strata-data'] || '{}') as Record<string, unknown>;
        out = await deps.access().create(p, c.name, { ...data, id: record, [f.name]: f.multiple ? [name] : name });
      } else {
        const old = namesIn((await deps.records().get(c.name, record)).record[f.name]);
        if (f.multiple && old.length >= f.file!.maxSelect) throw new FileUploadError(`"${f.name}" holds ${f.file!.maxSelect} files already.`, [{ field: f.name, message: `must hold at most ${f.file!.maxSelect} files` }]);
        out = await deps.access().update(p, c.name, record, { [f.name]: f.multiple ? [...old, name] : name });
        dropped = f.multiple ? [] : old;
      }
      key = undefined; // attached: it stays
      if (dropped.length > 0) await deps.dropFiles(c, record, dropped);
      return { status_code: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(out.record) };
    } catch (e) {
      if (key) await deps.store().delete(key).catch(() => undefined);
      return problemOf(e);
    } finally {
      await staging.remove(id);
    }
  }

  return async (app) => {
    const maxSize = () => Math.max(1, ...[...deps.records().collections.values()].flatMap((c) => c.fields.map((f) => f.file?.maxSize ?? 0)));
    const options: ConstructorParameters<typeof TusServer>[0] = {
      path: UPLOADS_PATH,
      datastore: deps.staging().datastore,
      relativeLocation: true,
      maxSize,
      namingFunction: () => newUploadId(),
      async onUploadCreate(req, upload) {
        const raw = nodeReq(req as never);
        const ctx = raw ? callers.get(raw) : undefined;
        if (!ctx?.target) throw { status_code: 500, body: 'no upload target\n' };
        const t = ctx.target;
        // What the client sent stays; the server's own keys (who, where) cannot be set by the client.
        return {
          metadata: {
            ...Object.fromEntries(Object.entries(upload.metadata ?? {}).filter(([k]) => !k.startsWith('strata-'))),
            'strata-owner': ownerOf(ctx.principal),
            'strata-collection': t.collection,
            'strata-field': t.field,
            'strata-filename': t.filename,
            'strata-record': t.record,
            'strata-action': t.action,
            'strata-data': JSON.stringify(t.data),
          },
        };
      },
      async onUploadFinish(req, upload) {
        const raw = nodeReq(req as never);
        return finish(raw ? (callers.get(raw)?.principal ?? null) : null, upload.id, upload.metadata ?? {});
      },
    };
    // @tus/server is loaded on the first upload, not at start-up (about 0.1 s of CPU for every process otherwise).
    let tus: Promise<TusServer> | undefined;
    const tusServer = () => (tus ??= import('@tus/server').then(({ Server }) => new Server(options)));

    // tus bodies are application/offset+octet-stream, streamed by tus itself: left unread here.
    app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null, undefined));
    const hand = async (req: FastifyRequest, reply: FastifyReply, ctx: { principal: Principal | null; target?: Target }) => {
      callers.set(req.raw, ctx);
      // Headers set before the handler (security headers, RateLimit) go out with tus's answer too.
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) reply.raw.setHeader(k, v as string | number | string[]);
      reply.hijack();
      observeClientClose(reply.raw);
      await (await tusServer()).handle(req.raw, reply.raw);
    };

    app.post(UPLOADS_PATH, async (req, reply) => {
      const target = await creation(req);
      await hand(req, reply, { principal: deps.principal(req), target });
    });

    app.route({
      method: ['HEAD', 'PATCH', 'DELETE'],
      url: `${UPLOADS_PATH}/:id`,
      handler: async (req, reply) => {
        const { id } = req.params as { id: string };
        const gone = new NotFoundError('No such upload.');
        if (!UPLOAD_ID.test(id)) throw gone;
        const upload = await deps.staging().datastore.getUpload(id).catch(() => undefined);
        if (!upload) throw gone;
        const p = deps.principal(req);
        // Only its creator continues an upload (an anonymous one: whoever holds its unguessable URL).
        if ((upload.metadata?.['strata-owner'] ?? '') !== ownerOf(p)) {
          if (!p && upload.metadata?.['strata-owner']) throw new UnauthorizedError('Sign in as the caller who created this upload.');
          throw gone;
        }
        await hand(req, reply, { principal: p });
      },
    });
  };
}

/** nginx's status for a request whose client closed the connection before the answer was complete. */
export const CLIENT_CLOSED = 499;

/**
 * A client that goes away mid-PATCH (what resumable uploads are for) closes the response without its
 * 'finish', and Fastify runs the onResponse hooks (the edge's access line and HTTP metrics) only on the
 * response's 'finish' or 'error': such a close is handed to them as an 'error', with the status 499 when
 * no answer had started (the status already sent otherwise), so every tus request is logged and counted once.
 */
function observeClientClose(res: ServerResponse): void {
  res.once('close', () => {
    // Fastify's listener is gone once the response finished (or errored): nothing to report then.
    if (res.writableFinished || res.listenerCount('error') === 0) return;
    if (!res.headersSent) res.statusCode = CLIENT_CLOSED;
    res.emit('error', new Error('the client closed the connection before the answer was complete'));
  });
}

function newUploadId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
}

/**
 * Deletes staged uploads created more than `ttlMs` ago: unfinished ones a client gave up on, and any a
 * crash left between the last byte and the attach. Returns how many.
 */
export async function sweepStagedUploads(staging: UploadStaging, ttlMs: number, now = Date.now()): Promise<number> {
  return staging.sweep(ttlMs, now);
}
