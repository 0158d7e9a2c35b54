// The lifecycle contract between the composition root (src/server) and every
// capability: started in order, stopped in reverse, asked whether it is ready.
import type { Logger } from 'pino';

export interface Component {
  /** Short stable name, shown by /readyz and in logs. */
  readonly name: string;
  start?(): Promise<void>;
  /** Release everything start() acquired; must be safe to call once after a failed start. */
  stop?(): Promise<void>;
  /** Readiness probe for /readyz; false or a throw means not ready. */
  ready?(): boolean | Promise<boolean>;
}

export type { Logger };
