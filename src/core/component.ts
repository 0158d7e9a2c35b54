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
  /**
   * Something an operator should see while the component is still ready (a failed scheduled backup):
   * shown in /readyz `details` under the component's name without turning readiness to 503.
   */
  notice?(): string | undefined;
}

export type { Logger };
