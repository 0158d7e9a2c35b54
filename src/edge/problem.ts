// The one place errors become responses: RFC 9457 application/problem+json
// with a stable `type`. Internals (stacks, SQL, paths) never leave the server.
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemFor, StrataError, type FieldError, type Problem } from '../core/index.js';
import type { StorageFaultKind, StorageFaults } from '../ops/index.js';

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

/** The storage engine's "no space" errors: SQLite, the OS, PostgreSQL (53100 disk_full), MySQL (1114 table full, 1021 disk full, 3 errno 28). */
function storageFull(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = String(e.code ?? '');
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100' || code === 'ER_RECORD_FILE_FULL' || code === 'ER_DISK_FULL' || /database or disk is full|No space left on device/i.test(String(e.message ?? ''));
}

/** SQLite's "another writer holds the lock" after the busy timeout: a retryable 503, never a 500. */
function storageBusy(err: unknown): boolean {
  return /^SQLITE_BUSY/.test(String((err as { code?: unknown } | null)?.code ?? ''));
}

/**
 * A storage fault's cause goes to the log once per interval when the server's StorageFaults is given
 * (which also makes readiness report it); without one (unit rigs), every time.
 */
function logStorage(storage: StorageFaults | undefined, kind: StorageFaultKind, request: FastifyRequest, err: unknown, what: string): void {
  const due = storage ? storage.failed(kind, err) : { suppressed: 0 };
  if (due) request.log.error({ err, reqId: request.id, suppressed: due.suppressed }, what);
}

/**
 * The Fastify error handler: StrataError, schema validation, Fastify's own errors, then anything else
 * as a 500 with an event id. `storage` (the composition root's) limits and records storage faults.
 *
 * @example
 * app.setErrorHandler(errorHandler(new StorageFaults()));
 */
export function errorHandler(storage?: StorageFaults) {
  return (err: FastifyError | StrataError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => handle(storage, err, request, reply);
}

/** The error handler without storage-fault bookkeeping (every storage fault logged): for rigs without a server. */
export const handleError = errorHandler();

function handle(storage: StorageFaults | undefined, err: FastifyError | StrataError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (storageFull(err) || storageFull((err as { cause?: unknown }).cause)) {
    logStorage(storage, 'full', request, err, 'storage full: writes fail until space is freed');
    return sendProblem(reply, problemFor(507, 'The server\'s storage is full (database or disk is full); the change was not saved. Retry once space is freed.'));
  }
  if (storageBusy(err)) {
    logStorage(storage, 'busy', request, err, 'database busy past the busy timeout');
    return sendProblem(reply, problemFor(503, 'The database is busy; the change was not saved. Retry shortly.'), { 'retry-after': '1' });
  }
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
