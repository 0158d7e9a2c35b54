/** @module The composition root: builds capabilities from config, runs them, and shuts them down in order; cluster mode. */
export { createServer, type StrataServer } from './server.js';
export { runServe, type ServeOptions } from './run.js';
export { superuserCreate, type SuperuserCommandOptions } from './superuser-command.js';
export { keysRotate, type KeysRotateOptions, type KeysRotateResult } from './keys-rotate.js';
export { apiKeysCommand, type ApiKeysCommandOptions } from './api-keys-command.js';
