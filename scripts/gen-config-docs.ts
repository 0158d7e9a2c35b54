// Writes docs/configuration.md from the config schema.
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/index.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configReference());
console.log('wrote docs/configuration.md');
