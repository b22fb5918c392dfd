/** Tenants, queues and pools with elastic and fixed quotas (see README.md). */
export * as quotaMath from './amount.js';
export type { Amount as QuotaAmount, QuotaDimension } from './amount.js';
export * from './types.js';
export * from './refusal.js';
export * from './quota-book.js';
export * from './reclaim.js';
export * from './explain.js';
export * from './request-amount.js';
export * from './resolve-queue.js';
