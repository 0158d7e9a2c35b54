/**
 * @module What function files import (`strata/functions`, also `strata`): the define* functions,
 * their types, TypeBox's `Type`, the data layer's `sql` tag (Kysely's) and the error classes. No server
 * code of its own: SQL stays with the data capability, which lends its tag.
 */
export {
  defineRoute,
  defineConsumer,
  defineSubscriber,
  defineCron,
  defineHook,
  type AuthLevel,
  type HttpMethod,
  type Schema,
  type StaticOf,
  type RouteSchemas,
  type RouteDefinition,
  type RouteContext,
  type FunctionContext,
  type ScopedFiles,
  type ScopedRecords,
  type ConsumerDefinition,
  type SubscriberDefinition,
  type CronDefinition,
  type HookDefinition,
  type HookEvent,
  type HookInput,
} from './function-define.js';
export { StrataError, ValidationError, NotFoundError, ForbiddenError, UnauthorizedError, ConflictError, type FieldError } from '../core/index.js';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export { sql } from '../data/index.js';
