/** @module Functions: the user's own TypeScript as routes, queue consumers, event subscribers, cron jobs and record hooks, with a typed context. */
// What function files import (defineRoute & co., their types) is the public entry's list; the server adds the rest.
export * from './public.js';
export { isDefinition, kindOf, FUNCTION_KIND, type HookPhase, type Definition } from './function-define.js';
export { FunctionLoadError, DuplicateFunctionError, FunctionTimeoutError, FunctionUnavailableError } from './errors.js';
export { scopedRecords, functionContext, type ContextServices } from './function-context.js';
export { loadFunctions, findFunctionFiles, assertNoDuplicates, defaultImporter, type LoadedFunction, type LoadResult, type ModuleImporter } from './function-load.js';
export { createFunctions, type Functions, type FunctionsOptions } from './functions-component.js';
export { etaRenderer } from './function-templates.js';
export { CRON_QUEUE, type CronRun } from './function-workers.js';
export { openapiPaths } from './function-openapi.js';
export { buildFunctions, type BuildOptions, type BuildResult } from './function-build.js';
export { generateClient } from './client-gen.js';
export { setupFunctionsDir, strataResolvesFrom, type SetupResult } from './function-setup.js';
