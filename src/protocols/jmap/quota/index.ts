export { quotaChanges, quotaGet, quotaId, quotaQuery, quotaQueryChanges, registerQuotaMethods, UNLIMITED } from './quota.ts';
