/** @module Functions: the user's own TypeScript as routes, queue consumers, event subscribers, cron jobs and record hooks, with a typed context. */
export {
  defineRoute,
  defineConsumer,
  defineSubscriber,
  defineCron,
  defineHook,
  isDefinition,
  kindOf,
  FUNCTION_KIND,
  type AuthLevel,
  type HttpMethod,
  type Schema,
  type StaticOf,
  type RouteSchemas,
  type RouteDefinition,
  type RouteContext,
  type FunctionContext,
  type ScopedRecords,
  type ConsumerDefinition,
  type SubscriberDefinition,
  type CronDefinition,
  type HookDefinition,
  type HookEvent,
  type HookInput,
  type HookPhase,
  type Definition,
} from './function-define.js';
export { FunctionLoadError, DuplicateFunctionError, FunctionTimeoutError, FunctionUnavailableError } from './errors.js';
export { scopedRecords, functionContext, type ContextServices } from './function-context.js';
export { loadFunctions, findFunctionFiles, assertNoDuplicates, defaultImporter, type LoadedFunction, type LoadResult, type ModuleImporter } from './function-load.js';
export { createFunctions, type Functions, type FunctionsOptions } from './functions-component.js';
export { etaRenderer } from './function-templates.js';
export { CRON_QUEUE } from './function-workers.js';
export { openapiPaths } from './function-openapi.js';
export { buildFunctions, type BuildOptions, type BuildResult } from './function-build.js';
export { generateClient } from './client-gen.js';
