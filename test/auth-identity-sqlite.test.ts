// Identity and revocation (issue 13, holes 1, 6, 10) over HTTPS on the embedded SQLite.
import { identityFlows } from './auth-identity.js';

identityFlows('sqlite', () => '', false);
