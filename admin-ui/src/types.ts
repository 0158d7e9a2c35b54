// Shapes of the admin collections API (src/config/schema-data.ts is the source of truth).
export const FIELD_TYPES = ['text', 'number', 'integer', 'boolean', 'date', 'email', 'url', 'select', 'json', 'relation'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const RULE_OPS = ['list', 'view', 'create', 'update', 'delete'] as const;
export type RuleOp = (typeof RULE_OPS)[number];

export interface Field {
  name: string;
  type: FieldType;
  required?: boolean;
  unique?: boolean;
  indexed?: boolean;
  encrypted?: boolean;
  values?: string[];
  collection?: string;
  multiple?: boolean;
  [k: string]: unknown;
}

export interface Definition {
  name: string;
  type?: 'base' | 'document' | 'auth';
  fields?: Field[];
  indexes?: Array<{ fields: string[]; unique?: boolean }>;
  fullText?: string[];
  rules?: Partial<Record<RuleOp, string | null>>;
  auth?: Record<string, unknown>;
}

export interface CollectionEntry {
  name: string;
  source: 'system' | 'config' | 'api';
  definition: Definition;
}

export interface Plan {
  plan: string[];
  destructive: string[];
}

export type Rec = Record<string, unknown> & { id: string };
