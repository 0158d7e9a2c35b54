/** @module Strata's typed configuration: schema with defaults, file + STRATA_* env + flag loading, clear errors. */
export { ConfigSchema, type StrataConfig } from './schema.js';
export { loadConfig, type LoadOptions, type LoadedConfig } from './load.js';
export { configLeaves, envName, describeType, type ConfigLeaf } from './schema-walk.js';
export { ConfigError } from './errors.js';
export { configReference } from './reference.js';
export { maskConfig, MASK } from './config-mask.js';
