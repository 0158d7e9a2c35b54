// Who acts on records, and what for: the vocabulary shared by the records access layer (data/access,
// which compiles each collection's rules to SQL) and every transport that acts for a caller (REST,
// realtime, gRPC, functions). Transports pass a Principal; they never see a compiled rule.

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

/** The system auth collection of superusers. */
export const SUPERUSERS = '_superusers';
