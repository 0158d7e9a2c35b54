// The access-control contract between the auth capability (which compiles each collection's
// rules) and everything that reads or writes records on someone's behalf: REST, realtime,
// gRPC and functions. Rules become SQL WHERE expressions on the alias `t`; nothing is
// filtered in memory after a query.
import type { Expression, SqlBool } from 'kysely';

/** Who is acting: an authenticated record of an auth collection (superusers live in `_superusers`). */
export interface Principal {
  /** Record id in its auth collection. */
  readonly id: string;
  /** Auth collection the record belongs to (`users`, `_superusers`, ...). */
  readonly collection: string;
  readonly superuser: boolean;
  /** Scopes of the credential (API keys, scoped tokens); empty means unscoped. */
  readonly scopes: readonly string[];
}

export type RuleAction = 'list' | 'view' | 'create' | 'update' | 'delete';

/** Request data a rule may refer to as `@request.body.*` and `@request.query.*`. */
export interface RuleInput {
  body?: unknown;
  query?: Record<string, unknown>;
}

export interface AccessControl {
  /**
   * The WHERE (alias `t`) that limits `action` on `collection` for `principal`; undefined when nothing
   * limits it (a superuser, or an empty rule). Throws ForbiddenError when the rule refuses outright
   * (no rule: superusers only). `alias` names the table in the expression (default `t`).
   */
  where(principal: Principal | null, collection: string, action: RuleAction, input?: RuleInput, alias?: string): Expression<SqlBool> | undefined;
}

/** The system auth collection of superusers. */
export const SUPERUSERS = '_superusers';
