// The body side of the WAF plugin: one inspection for every body whoever reads it.
// Fastify-parsed bodies arrive in preValidation; bodies no route parser takes (no route
// at all, or a media type the route refuses) are read by a catch-all parser, inspected,
// then answered 404/415 as before; bodies of gateway routes (proxy, static, redirect),
// which Fastify never parses, go through the body gate: buffered up to
// `waf.limits.maxBodyBytes`, inspected, then handed back to be forwarded byte for byte.
import type { Readable } from 'node:stream';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import type { WafConfig } from './waf-plugin.js';
import type { BodyCarry, Detection, WafEngine } from './waf-engine.js';
import { readBodyPrefix } from './body-read.js';
import { bodyTooDeep } from './body-depth.js';
import { compileExclusions, exclusionsFor, isExcluded } from './exclusions.js';
import { BodyTooLargeError } from './errors.js';
import { tusMetadataText } from './tus-metadata.js';
import { replyError } from '../edge/index.js';

export interface BodyState {
  detections: Detection[];
  routeUrl: string | undefined;
  /** What the head's inspection hands to the body pass (the CRS engine's transaction state). */
  carry?: BodyCarry;
  /** The body was inspected (by preValidation or the body gate): never twice. */
  bodyDone?: boolean;
  /** No parser of the route takes this media type: the catch-all read the body for inspection; 415 follows. */
  unsupported?: boolean;
}

/**
 * What a gateway route does with a request's body after the gate: `answered` when the WAF
 * refused it (403, 413), else the body to forward instead of the raw stream (`undefined`
 * when nothing was read: no body, or the request is not inspected).
 */
export type BodyGateResult = { answered: true } | { answered: false; body?: Buffer | Readable };
/** Inspects the body of a request Fastify will not parse (a proxied, static or redirect route) before it is answered. */
export type BodyGate = (request: FastifyRequest, reply: FastifyReply) => Promise<BodyGateResult>;

export interface BodyInspectionDeps {
  config: WafConfig;
  engine: WafEngine;
  block: boolean;
  stateOf(request: FastifyRequest): BodyState | null;
  /** Adds nothing; answers 403 when the request's findings reach the threshold (block mode), else undefined. */
  judge(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined;
  /** Counts a request let through, once. */
  settle(request: FastifyRequest): void;
  /** Records the request as blocked (an event) without answering. */
  recordBlocked(request: FastifyRequest): string;
  /** Judges without answering: when the findings reach the threshold (block mode), records the block and returns its event id; else undefined. */
  verdict(request: FastifyRequest): string | undefined;
  /** Whether the caller is a superuser on the admin API (see WafDeps.superuser). */
  superuser?: (request: FastifyRequest) => boolean;
}

/** The body fields a route declares as URLs (`config: { waf: { urlFields } }`), honoured for a superuser on /api/admin only. */
function urlFieldsOf(request: FastifyRequest, superuser: ((request: FastifyRequest) => boolean) | undefined): string[] | undefined {
  if (superuser === undefined || !request.url.startsWith('/api/admin/')) return undefined;
  const declared = (request.routeOptions.config as { waf?: { urlFields?: unknown } } | undefined)?.waf?.urlFields;
  if (!Array.isArray(declared) || declared.length === 0) return undefined;
  return superuser(request) ? declared.filter((f): f is string => typeof f === 'string') : undefined;
}

export const STREAMED = 'strataWafStreamed';
export const DECODED = 'strataWafDecoded';

/**
 * For a route that streams a multipart body itself (records file uploads): inspects what the parse
 * found (text parts and file names, as one multipart text in the request's own boundary; file
 * contents are not inspected, as for a buffered multipart body). true when the WAF answered (403:
 * stop, the reply is sent), false when the body passed, undefined when the WAF does not inspect
 * this request (off, or the request was already settled).
 * @example
 * if (inspectStreamedBody(req, partsText) === true) return reply;
 */
export function inspectStreamedBody(request: FastifyRequest, body: string): boolean | undefined {
  const fn = (request as unknown as Record<string, ((b: string) => boolean) | null | undefined>)[STREAMED];
  if (typeof fn !== 'function') return undefined;
  (request as unknown as Record<string, unknown>)[STREAMED] = null;
  return fn(body);
}

/**
 * For a route that decodes its body itself (the RPC routes: Connect, gRPC-Web and gRPC read and decode the
 * message, `config: { wafDecodedBody: true }`): inspects the decoded message as JSON text, as a Connect JSON
 * body is (strata-args.ts reads the records services' filters and typed fields). true when the findings block
 * the request (the event is recorded; the caller answers in its own protocol, e.g. PERMISSION_DENIED), false
 * when it passed, undefined when the WAF does not inspect this request (off, or already settled).
 * @example
 * if (inspectDecodedBody(req, toJsonString(schema, message)) === true) throw new ConnectError('blocked', Code.PermissionDenied);
 */
export function inspectDecodedBody(request: FastifyRequest, json: string): boolean | undefined {
  const fn = (request as unknown as Record<string, ((b: string) => boolean) | null | undefined>)[DECODED];
  if (typeof fn !== 'function') return undefined;
  (request as unknown as Record<string, unknown>)[DECODED] = null;
  return fn(json);
}

const pathOf = (url: string) => { const q = url.indexOf('?'); return q === -1 ? url : url.slice(0, q); };
const mediaTypeOf = (ct: string): string => ct.split(';', 1)[0].trim().toLowerCase();

export function bodyInspection(deps: BodyInspectionDeps) {
  const { config, engine } = deps;
  const exclusions = compileExclusions(config.exclusions.map((e) => ({ ...e, route: e.route || undefined, parameter: e.parameter || undefined })));
  const protocolFinding = (rule: string, message: string): Detection => ({ detector: 'protocol', rule, severity: 'critical', score: 5, paranoia: 1, message, location: 'body', name: 'body' });
  const excluded = (request: FastifyRequest, st: BodyState, rule: string) =>
    exclusions.length > 0 && isExcluded(exclusionsFor(exclusions, request.method, st.routeUrl, pathOf(request.url)), 'protocol', rule, 'body', 'body');

  /** Inspects one body; true when the request was answered (blocked). */
  const inspect = (request: FastifyRequest, reply: FastifyReply, st: BodyState, body: unknown, ct = request.headers['content-type'] ?? ''): boolean => {
    st.bodyDone = true;
    const more = engine.inspectBody(body, ct, { method: request.method, path: pathOf(request.url), routeUrl: st.routeUrl, urlFields: urlFieldsOf(request, deps.superuser) }, st.carry);
    // what lies below the depth limit is never looked at: a body that deep is refused for it
    if (bodyTooDeep(body, mediaTypeOf(ct), config.limits.maxBodyDepth) && !excluded(request, st, 'body-depth')) {
      more.push(protocolFinding('body-depth', `body nested deeper than waf.limits.maxBodyDepth (${config.limits.maxBodyDepth})`));
    }
    if (more.length > 0) {
      for (const d of more) st.detections.push(d);
      if (deps.judge(request, reply) !== undefined) return true;
    }
    deps.settle(request);
    return false;
  };

  /** Inspects a decoded body without answering; true when the findings block it (recorded as blocked). */
  const inspectQuiet = (request: FastifyRequest, st: BodyState, json: string): boolean => {
    st.bodyDone = true;
    const ct = 'application/json';
    const more = engine.inspectBody(json, ct, { method: request.method, path: pathOf(request.url), routeUrl: st.routeUrl, urlFields: urlFieldsOf(request, deps.superuser) }, st.carry);
    if (bodyTooDeep(json, ct, config.limits.maxBodyDepth) && !excluded(request, st, 'body-depth')) {
      more.push(protocolFinding('body-depth', `body nested deeper than waf.limits.maxBodyDepth (${config.limits.maxBodyDepth})`));
    }
    for (const d of more) st.detections.push(d);
    if (more.length > 0 && deps.verdict(request) !== undefined) return true;
    deps.settle(request);
    return false;
  };

  /** preValidation: the parsed body (or the catch-all's bytes), then the 415 the route would have given. */
  const preValidation = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const st = deps.stateOf(request);
    if (!st || st.bodyDone) { done(); return; }
    if (request.body === undefined || request.body === null) {
      // A multipart body the route streams itself (file uploads): the handler hands its text parts and
      // file names to inspectStreamedBody once parsed; until then the request is not settled.
      if (request.body === undefined && mediaTypeOf(request.headers['content-type'] ?? '') === 'multipart/form-data') {
        (request as unknown as Record<string, unknown>)[STREAMED] = (body: string) => inspect(request, reply, st, body);
        done();
        return;
      }
      // A route that decodes its own body (RPC): the handler hands the decoded message to inspectDecodedBody.
      if (request.body === undefined && (request.routeOptions.config as { wafDecodedBody?: boolean } | undefined)?.wafDecodedBody === true) {
        (request as unknown as Record<string, unknown>)[DECODED] = (json: string) => inspectQuiet(request, st, json);
        done();
        return;
      }
      // A tus creation (no body): its Upload-Metadata values (file name, the record's values) are inspected
      // as a multipart body's file names and text parts are.
      const tus = request.headers['upload-metadata'] === undefined ? undefined : tusMetadataText(request.headers['upload-metadata'], config.limits.maxBodyParts);
      if (tus) {
        if (!inspect(request, reply, st, tus.body, tus.contentType)) done();
        return;
      }
      st.bodyDone = true;
      deps.settle(request);
      done();
      return;
    }
    if (inspect(request, reply, st, request.body)) return;
    if (st.unsupported) { reply.send(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE()); return; }
    done();
  };

  /**
   * The root catch-all parser: a body no route parser takes is read anyway, so it is
   * inspected before the 404 (no route) or the 415 (the route refuses the type) it gets.
   */
  const catchAll = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    if (request.is404) { done(null, body); return; }
    const st = deps.stateOf(request);
    if (!st) { done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE()); return; }
    st.unsupported = true;
    done(null, body);
  };

  const gate: BodyGate = async (request, reply) => {
    const st = deps.stateOf(request);
    if (!st || st.bodyDone) return { answered: false };
    st.bodyDone = true;
    const b = await readBodyPrefix(request.raw, config.limits.maxBodyBytes);
    if (!b.complete && deps.block && config.limits.bodyOverflow === 'reject' && !excluded(request, st, 'body-limit')) {
      b.discard();
      st.detections.push(protocolFinding('body-limit', `body larger than waf.limits.maxBodyBytes (${config.limits.maxBodyBytes})`));
      deps.recordBlocked(request);
      reply.header('connection', 'close');
      replyError(reply, new BodyTooLargeError(config.limits.maxBodyBytes));
      return { answered: true };
    }
    // partial: the prefix is inspected, the rest streams through unread (ModSecurity's ProcessPartial)
    const tus = b.head.length === 0 && request.headers['upload-metadata'] !== undefined ? tusMetadataText(request.headers['upload-metadata'], config.limits.maxBodyParts) : undefined;
    if (tus ? inspect(request, reply, st, tus.body, tus.contentType) : inspect(request, reply, st, b.head)) {
      b.discard();
      return { answered: true };
    }
    return { answered: false, body: b.replay() };
  };

  return { inspect, preValidation, catchAll, gate };
}
