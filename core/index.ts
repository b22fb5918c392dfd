/**
 * Public API of Tessera's pure placement and quota engine. Adapters (extender, agent,
 * simulator) import from here only, never from core's internal modules.
 */
export * from './units.js';
export * from './model.js';
export * from './request.js';
export * from './decision.js';
export * from './errors.js';
export * from './annotations.js';
export * from './fragmentation.js';
export * from './quota/index.js';
export * from './link-score.js';
export * from './ledger.js';
export * from './device-select.js';
export * from './frag-cache.js';
export * from './fit.js';
export * from './score-context.js';
export * from './terms/index.js';
export * from './policy.js';
export * from './schedule.js';
export * from './explain.js';
export * from './builders.js';
export * from './parsers/index.js';
export * from './schedule-cache.js';
