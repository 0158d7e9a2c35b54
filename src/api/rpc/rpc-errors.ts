// Strata errors as gRPC status codes (grpc/doc/statuscodes.md) with google.rpc error details:
// ErrorInfo carries the problem `type`, BadRequest the per-field complaints.
import { Code, ConnectError } from '@connectrpc/connect';
import { StrataError } from '../../core/index.js';
import { UniqueConflictError } from '../../data/index.js';
import { buildFile, message } from './rpc-descriptors.js';

// The subset of google/rpc/error_details.proto that Strata sends (same names and field numbers).
const details = buildFile('google/rpc/error_details.proto', 'google.rpc', [
  message('ErrorInfo', [
    ['reason', 1, 'string'],
    ['domain', 2, 'string'],
  ]),
  message('BadRequest', [['field_violations', 1, '.google.rpc.BadRequest.FieldViolation', 'repeated']], {
    nestedType: [
      message('FieldViolation', [
        ['field', 1, 'string'],
        ['description', 2, 'string'],
      ]),
    ],
  }),
]);
export const ErrorInfoSchema = details.registry.getMessage('google.rpc.ErrorInfo')!;
export const BadRequestSchema = details.registry.getMessage('google.rpc.BadRequest')!;

const BY_STATUS: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.Aborted,
  410: Code.FailedPrecondition,
  412: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  414: Code.InvalidArgument,
  415: Code.InvalidArgument,
  422: Code.InvalidArgument,
  428: Code.FailedPrecondition,
  429: Code.ResourceExhausted,
  501: Code.Unimplemented,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/** gRPC code for an HTTP-style status of a StrataError. */
export function codeFor(e: StrataError): Code {
  if (e instanceof UniqueConflictError) return Code.AlreadyExists;
  return BY_STATUS[e.status] ?? Code.Internal;
}

/**
 * The ConnectError a client sees for any thrown value. Unknown errors become INTERNAL with no detail
 * (the cause is kept for the server's log only).
 *
 * @example
 * throw toConnectError(new NotFoundError('No record x.')); // NOT_FOUND
 */
export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof StrataError) {
    const code = codeFor(e);
    if (code === Code.Internal) return new ConnectError('Internal error.', Code.Internal, undefined, undefined, e);
    const out = [{ desc: ErrorInfoSchema, value: { reason: e.type, domain: 'strata' } }];
    if (e.errors && e.errors.length > 0) {
      out.push({ desc: BadRequestSchema, value: { fieldViolations: e.errors.map((f) => ({ field: f.field, description: f.message })) } as never });
    }
    return new ConnectError(e.detail ?? e.title, code, undefined, out, e);
  }
  return new ConnectError('Internal error.', Code.Internal, undefined, undefined, e);
}
