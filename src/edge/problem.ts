// The one place errors become responses: RFC 9457 application/problem+json
// with a stable `type`. Internals (stacks, SQL, paths) never leave the server.
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemFor, StrataError, type FieldError, type Problem } from '../core/index.js';

export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemFor } from '../core/index.js';

/** Client-safe details for Fastify's own 4xx errors (its messages can echo internals). */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the server accepts.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request Content-Type is not supported here.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The JSON body is empty.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON.',
  FST_ERR_CTP_EMPTY_TYPE: 'The Content-Type header is empty.',
  FST_ERR_CTP_INVALID_TYPE: 'The Content-Type header is malformed.',
  FST_ERR_BAD_URL: 'The request URL is malformed.',
  FST_ERR_ASYNC_CONSTRAINT: 'The request could not be routed.',
};

export function sendProblem(reply: FastifyReply, problem: Problem, headers?: Record<string, string>): FastifyReply {
  if (headers) reply.headers(headers);
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Answers with a StrataError where throwing would reach no error handler (hooks that end the request). */
export function replyError(reply: FastifyReply, err: StrataError, instance = pathOf(reply.request.url)): FastifyReply {
  return sendProblem(reply, err.toProblem(instance), err.headers);
}

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

function validationErrors(err: FastifyError): FieldError[] {
  const ctx = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const missing = v.keyword === 'required' && typeof v.params?.missingProperty === 'string' ? `/${v.params.missingProperty}` : '';
    const path = `${v.instancePath ?? ''}${missing}`;
    return { field: `${ctx}${path.replaceAll('/', '.') || ''}`, message: v.message ?? 'is invalid' };
  });
}

/** Fastify error handler: StrataError, schema validation, Fastify's own errors, then anything else as a 500 with an event id. */
export function handleError(err: FastifyError | StrataError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof StrataError) {
    if (err.status >= 500) request.log.error({ err, reqId: request.id }, 'request failed');
    return replyError(reply, err, pathOf(request.url));
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    return sendProblem(reply, { type: 'strata/validation', title: 'Validation Failed', status: 400, detail: 'The request does not match the schema.', errors: validationErrors(fe) });
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return sendProblem(reply, problemFor(status, (fe.code && FASTIFY_DETAILS[fe.code]) ?? undefined));
  }
  const eventId = randomUUID();
  request.log.error({ err, eventId, reqId: request.id }, 'unhandled error');
  return sendProblem(reply, problemFor(status >= 500 && status < 600 ? status : 500, `An unexpected error occurred. Quote event ${eventId} when reporting it.`, { eventId }));
}
