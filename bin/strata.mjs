#!/usr/bin/env node
// Strata's command line. TypeScript sources run through tsx's loader, so a
// clone needs no build step; `register` is tsx's documented ESM API.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
