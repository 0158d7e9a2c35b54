// Config section for the functions capability: where the user's TypeScript lives, reload, timeouts.
import { Type } from '@sinclair/typebox';

export const FunctionsSchema = Type.Object(
  {
    dir: Type.String({ default: 'functions', minLength: 1, description: 'Directory of function files (`**/*.ts`, `.mts`, `.js`, `.mjs`), relative to the working directory; a missing directory means no functions.' }),
    watch: Type.Boolean({ default: false, description: 'Development mode: reload changed function files without a restart, and log (not fail on) a file that does not load.' }),
    timeout: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 30_000, description: 'Default time limit of a function route handler, ms (504 after it; a route may set its own `timeout`).' }),
    undeclaredProperties: Type.Union([Type.Literal('remove'), Type.Literal('reject')], {
      default: 'remove',
      description: "Body, query and params properties a function route's schema does not declare: `remove` drops them before the handler runs; `reject` answers 400 `strata/validation` naming each one.",
    }),
    templates: Type.String({ default: 'templates', minLength: 1, description: 'Directory of Eta templates for `ctx.render`, relative to the functions directory.' }),
  },
  { default: {}, additionalProperties: false, description: 'User functions: routes, queue consumers, event subscribers, cron jobs and record hooks.' },
);
