// The transport parity contract (test/access-parity.ts) on the embedded SQLite.
import { parityContract } from './access-parity.js';

parityContract('sqlite', () => '', false);
