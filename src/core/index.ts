/** @module Shared contracts every capability may import: StrataError (RFC 9457 problems) and the Component lifecycle. */
export * from './errors.js';
export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemBody, problemFor } from './problem.js';
export type { Component, Logger } from './component.js';
export { SUPERUSERS, type Principal, type RuleAction, type RuleInput } from './access.js';
export { EventHandoffs, recordTopic, type ChangeFeed, type EventHandoff, type RecordChangeAction, type RecordChangeEvent } from './events.js';
