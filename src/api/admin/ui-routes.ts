// The admin UI at /_/: the HTML shell (no-cache) and its content-hashed assets (immutable), precompressed
// (RFC 9110 §8.4 content codings br/gzip chosen from Accept-Encoding), under a strict CSP with no inline
// script or style and `frame-ancestors 'none'`. The UI talks only to the public APIs (/api/admin, records,
// auth, realtime); serving it needs no credentials, everything it shows does.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/index.js';
import { buildUi, UI_ASSET_PREFIX, type UiAsset, type UiBundle } from './ui-build.js';

/** The admin UI's Content-Security-Policy: same-origin files and connections only. */
export const ADMIN_UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface AdminUiOptions {
  /** Builds the bundle (tests pass their own); called once, on the first request. */
  build?: () => Promise<UiBundle>;
}

function encodingFor(req: FastifyRequest): 'br' | 'gzip' | undefined {
  const ae = String(req.headers['accept-encoding'] ?? '');
  const accepts = (coding: string) => new RegExp(`(^|[\\s,])${coding}(?![\\w-])(?!\\s*;\\s*q=0(\\.0*)?(\\s|,|$))`, 'i').test(ae);
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return undefined;
}

function send(req: FastifyRequest, reply: FastifyReply, a: UiAsset, cacheControl: string) {
  reply.header('content-security-policy', ADMIN_UI_CSP).header('x-frame-options', 'DENY').header('cache-control', cacheControl).header('vary', 'Accept-Encoding').header('etag', a.etag);
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  const enc = encodingFor(req);
  const body = enc === 'br' ? a.br : enc === 'gzip' ? a.gzip : a.body;
  if (enc) reply.header('content-encoding', enc);
  return reply.type(a.type).header('content-length', String(body.length)).send(body);
}

/**
 * GET /_/ (the shell), GET /_ (301 to /_/), GET /_/assets/:file (hashed, immutable).
 *
 * @example
 * await app.register(adminUiRoutes());
 */
export function adminUiRoutes(opts: AdminUiOptions = {}): FastifyPluginAsync {
  const build = opts.build ?? (() => buildUi());
  let bundle: Promise<UiBundle> | undefined;
  const ui = () => {
    bundle ??= build().catch((e: unknown) => {
      bundle = undefined; // a failed build is retried on the next request
      throw e;
    });
    return bundle;
  };
  return async (app) => {
    app.get('/_/', async (req, reply) => send(req, reply, (await ui()).index, 'no-cache'));
    // `/_` (typed without the slash) is the same place; the query string goes along.
    app.get('/_', async (req, reply) => {
      const qs = (req.raw.url ?? '').indexOf('?');
      return reply.header('content-security-policy', ADMIN_UI_CSP).redirect(`/_/${qs >= 0 ? (req.raw.url ?? '').slice(qs) : ''}`, 301);
    });
    app.get(`${UI_ASSET_PREFIX}:file`, async (req, reply) => {
      const a = (await ui()).assets.get((req.params as { file: string }).file);
      if (!a) throw new NotFoundError('No such admin UI asset.');
      return send(req, reply, a, 'public, max-age=31536000, immutable');
    });
  };
}
