// RFC 9457 problem documents as bytes: the one writer every answer path uses (Fastify replies
// through src/edge, raw sockets and node:http responses in the gateway directly).
import { STATUS_CODES } from 'node:http';
import type { Problem, StrataError } from './errors.js';

/** Stable problem types by status, for errors that are not StrataErrors. Public API: see docs/errors.md. */
export const PROBLEM_TYPES: Record<number, string> = {
  400: 'strata/bad-request',
  401: 'strata/unauthorized',
  403: 'strata/forbidden',
  404: 'strata/not-found',
  405: 'strata/method-not-allowed',
  406: 'strata/not-acceptable',
  408: 'strata/request-timeout',
  409: 'strata/conflict',
  412: 'strata/precondition-failed',
  413: 'strata/payload-too-large',
  414: 'strata/uri-too-long',
  415: 'strata/unsupported-media-type',
  422: 'strata/unprocessable',
  429: 'strata/rate-limited',
  431: 'strata/headers-too-large',
  500: 'strata/internal',
  502: 'strata/bad-gateway',
  503: 'strata/unavailable',
  504: 'strata/gateway-timeout',
  507: 'strata/storage-full',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemFor(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  const p: Problem = { type: PROBLEM_TYPES[status] ?? (status >= 500 ? 'strata/internal' : 'strata/bad-request'), title: STATUS_CODES[status] ?? 'Error', status };
  if (detail) p.detail = detail;
  return Object.assign(p, extra);
}

/** The problem body of a StrataError as a string, for raw sockets and node:http responses. */
export function problemBody(err: StrataError, instance?: string): string {
  return JSON.stringify(err.toProblem(instance));
}
