// Data-layer errors (RFC 9457 problem types): the shared ones from core plus 412 and migration refusals.
import { ConflictError as ConflictErrorBase, StrataError, ValidationError as ValidationErrorBase } from '../core/index.js';

export { ValidationError, NotFoundError, ConflictError, StrataError } from '../core/index.js';

/** If-Match did not match the record's current version (RFC 9110 §13.1.1). */
export class PreconditionFailedError extends StrataError {
  constructor(detail = 'The record was changed since you read it.') {
    super(412, 'strata/precondition-failed', 'Precondition Failed', detail);
    this.name = 'PreconditionFailedError';
  }
}

/** A migration plan holds destructive steps and allowDestructive is off. */
export class DestructiveMigrationError extends StrataError {
  readonly steps: string[];
  constructor(steps: string[]) {
    super(409, 'strata/destructive-migration', 'Destructive Migration Refused', `Refusing ${steps.length} destructive step(s): ${steps.join('; ')}. Re-run with allowDestructive (--allow-destructive).`);
    this.name = 'DestructiveMigrationError';
    this.steps = steps;
  }
}

/** A unique index refused a value (409), naming the field(s) when known. */
export class UniqueConflictError extends ConflictErrorBase {
  constructor(fields: string[]) {
    super(fields.length > 0 ? `A record with this ${fields.join(', ')} already exists.` : 'A record with these values already exists.');
    Object.assign(this, { errors: fields.map((field) => ({ field, message: 'must be unique' })) });
  }
}

/** A bad `filter`/`sort`/`fields`/`expand`/`cursor` parameter, with the 0-based position of the fault. */
export class QueryParamError extends ValidationErrorBase {
  constructor(param: string, message: string, position?: number) {
    const at = position === undefined ? '' : ` at position ${position}`;
    super(`Invalid ${param}: ${message}${at}.`, [{ field: param, message: `${message}${at}` }]);
    if (position !== undefined) Object.assign(this, { extensions: { position } });
  }
}

/** The change feed was asked for events older than the retention window (they were pruned). */
export class EventsGoneError extends StrataError {
  constructor(afterSeq: number, oldest: number) {
    super(410, 'strata/events-gone', 'Gone', `Events after ${afterSeq} are no longer retained; the oldest resumable position is ${oldest}.`, { extensions: { oldest } });
    this.name = 'EventsGoneError';
  }
}

/** A collection declared in strata.yaml cannot be changed over the admin API (409). */
export class ReadOnlyCollectionError extends StrataError {
  constructor(name: string, system = false) {
    super(409, 'strata/collection-read-only', 'Collection Is Read-Only', system ? `The collection ${JSON.stringify(name)} is a system collection; it cannot be changed or deleted over the API.` : `The collection ${JSON.stringify(name)} is declared in strata.yaml; change it there, not over the API.`);
    this.name = 'ReadOnlyCollectionError';
  }
}
