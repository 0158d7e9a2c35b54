// RFC 9457 problem details for the API's routes: StrataErrors as they are, Fastify's own client
// errors (bad body, too large, bad media type) as 4xx problems, anything else as an opaque 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StrataError, type Problem } from '../core/index.js';

const FASTIFY_TYPES: Record<number, [string, string]> = {
  400: ['strata/bad-request', 'Bad Request'],
  404: ['strata/not-found', 'Not Found'],
  405: ['strata/method-not-allowed', 'Method Not Allowed'],
  406: ['strata/not-acceptable', 'Not Acceptable'],
  408: ['strata/request-timeout', 'Request Timeout'],
  413: ['strata/payload-too-large', 'Content Too Large'],
  415: ['strata/unsupported-media-type', 'Unsupported Media Type'],
  431: ['strata/headers-too-large', 'Request Header Fields Too Large'],
};

export function toProblem(err: unknown, instance: string): Problem & { headers?: Record<string, string> } {
  if (err instanceof StrataError) return { ...err.toProblem(instance), headers: err.headers };
  const fe = err as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const [type, title] = FASTIFY_TYPES[status] ?? ['strata/bad-request', 'Bad Request'];
    const detail = status === 413 ? 'The request body is too large.' : status === 415 ? 'This media type is not accepted here.' : 'The request could not be understood.';
    return { type, title, status, detail, instance };
  }
  return { type: 'strata/internal', title: 'Internal Server Error', status: 500, detail: 'Something went wrong on our side; it has been logged.', instance };
}

export function sendProblem(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { headers, ...p } = toProblem(err, req.url.split('?')[0]);
  if (p.status >= 500) req.log.error({ err }, 'unhandled error');
  for (const [k, v] of Object.entries(headers ?? {})) reply.header(k, v);
  return reply.code(p.status).type('application/problem+json').send(JSON.stringify(p));
}
