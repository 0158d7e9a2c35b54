// Downloads at GET /api/files/:collection/:record/:name (RFC 9110: ETag, Range, conditional requests)
// behind the collection's view rule, and POST /api/files/token for short-lived file tokens.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import rangeParser from 'range-parser';
import { NotFoundError, StrataError, UnauthorizedError, type Principal } from '../../core/index.js';
import { FILE_NAME, ID_PATTERN, type RecordAccess, type RecordsService } from '../../data/index.js';
import { StorageNotFoundError, type BlobStore } from '../../storage/index.js';
import { downloadType } from './content-type.js';
import { fileKey } from './file-names.js';
import type { FileTokenGrant, FileTokens } from './file-token.js';
import { namesIn } from './upload-values.js';
import { thumbable, thumbKey, thumbnail } from './thumbs.js';

export interface FilesRoutesDeps {
  store: () => BlobStore;
  records: () => RecordsService;
  access: () => RecordAccess;
  principal: (req: FastifyRequest) => Principal | null;
  tokens: FileTokens;
  /** The credential of a request, recorded in the file tokens issued to it. */
  grant?: (req: FastifyRequest) => FileTokenGrant | undefined;
  /** Whether a file token's credential still stands (not logged out or revoked); without it, tokens stand until they expire. */
  current?: (p: Principal, grant: FileTokenGrant | undefined) => Promise<boolean>;
  /** Active types served inline as themselves (config files.inlineTypes). */
  inlineTypes: readonly string[];
}

interface Params {
  collection: string;
  record: string;
  filename: string;
}

const YEAR = 31_536_000;

/**
 * @example
 * await app.register(filesRoutes({ store: () => store, records: () => data.records, access: () => recordAccess, principal, tokens, inlineTypes: [] }));
 */
export function filesRoutes(deps: FilesRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/files/token', async (req, reply) => {
      const p = deps.principal(req);
      if (!p) throw new UnauthorizedError('A file token is issued to a signed-in caller.');
      return reply.header('cache-control', 'no-store').send(deps.tokens.issue(p, deps.grant?.(req)));
    });

    app.get('/api/files/:collection/:record/:filename', async (req, reply: FastifyReply) => {
      const { collection, record, filename: name } = req.params as Params;
      const missing = new NotFoundError('No such file.');
      if (!ID_PATTERN.test(record) || !FILE_NAME.test(name)) throw missing;
      const c = deps.records().collections.get(collection);
      if (!c) throw missing;
      const q = req.query as Record<string, unknown>;
      let p = deps.principal(req);
      if (q.token !== undefined) {
        const t = typeof q.token === 'string' ? deps.tokens.verify(q.token) : undefined;
        if (!t || (deps.current && !(await deps.current(t, t.grant)))) throw new UnauthorizedError('The file token is invalid, expired or its sign-in has ended.');
        const { grant: _g, ...principal } = t;
        p = principal;
      }
      // The view rule as the caller: what they cannot see is not there.
      let rec: Awaited<ReturnType<RecordAccess['get']>>;
      try {
        rec = await deps.access().get(p, c.name, record, { query: q });
      } catch (e) {
        throw e instanceof StrataError && (e.status === 404 || e.status === 403) ? missing : e;
      }
      const field = c.fields.find((f) => f.type === 'file' && namesIn(rec.record[f.name]).includes(name));
      if (!field) throw missing;
      if (field.file!.protected && !p) throw new UnauthorizedError('This file is protected: sign in, or add ?token= from POST /api/files/token.');
      const original = fileKey(c.name, record, name);
      let key = original;
      let info = await deps.store().head(original);
      if (!info) throw missing;
      // A declared thumbnail size of an image: the thumbnail (made once); any other ?thumb= gets the file itself.
      const size = typeof q.thumb === 'string' ? q.thumb : '';
      if (size && thumbable(name, size, field.file!.thumbs)) {
        key = thumbKey(c.name, record, size, name);
        info = await thumbnail(deps.store(), original, key, size).catch(() => undefined);
        if (!info) {
          key = original;
          info = (await deps.store().head(original)) ?? undefined;
          if (!info) throw missing;
        }
      }
      const etag = `"${info.bytes.toString(36)}-${info.modified.getTime().toString(36)}"`;
      const { type, inline } = downloadType(name, deps.inlineTypes);
      const shared = !field.file!.protected && c.rules.view === '';
      reply
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', shared ? `public, max-age=${YEAR}, immutable` : field.file!.protected ? 'private, no-store' : `private, max-age=${YEAR}, immutable`)
        .header('content-disposition', `${inline && q.download === undefined ? 'inline' : 'attachment'}; filename="${name}"`)
        .type(type);
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) return reply.code(304).send();
      let range: { start: number; end: number } | undefined;
      const h = req.headers.range;
      const ifRange = req.headers['if-range'];
      if (h && (ifRange === undefined || ifRange === etag)) {
        const r = rangeParser(info.bytes, h, { combine: true });
        if (r === -1) return reply.code(416).header('content-range', `bytes */${info.bytes}`).send();
        // One range is served as 206; several (rare) get the whole file (RFC 9110 allows ignoring Range).
        if (r !== -2 && r.type === 'bytes' && r.length === 1) range = r[0];
      }
      const body = await deps
        .store()
        .get(key, range)
        .catch((e: unknown) => {
          throw e instanceof StorageNotFoundError ? missing : e;
        });
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.bytes}`).header('content-length', range.end - range.start + 1);
      else reply.header('content-length', info.bytes);
      return reply.send(body);
    });
  };
}
