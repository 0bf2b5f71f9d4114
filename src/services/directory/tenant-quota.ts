import type { Trx } from '../../store/changes.ts';
import type { Dialect } from '../../store/db/dialect.ts';
import type { PrincipalRow } from '../../store/db/schema.ts';
import { directoryRepo as repo } from '../../store/repos/directory.ts';
import { principalRepo } from '../../store/repos/principals.ts';
import { ServiceError } from '../errors.ts';

/**
 * A tenant's quota bounds the sum of its individuals' quotas, so none of them may be unlimited.
 * Runs in the transaction that wrote `row` (ADR 0026), from every path that sets a quota.
 */
export async function checkTenantQuota(trx: Trx, dialect: Dialect, row: PrincipalRow): Promise<void> {
  if (!row.tenant_id) return;
  await principalRepo.lockTenant(trx, dialect, row.tenant_id);
  const tenant = await repo.principalById(trx, row.tenant_id);
  if (!tenant || tenant.quota === 0) return;
  if (row.quota === 0) throw new ServiceError('overQuota', `tenant ${tenant.username} has a quota of ${tenant.quota} bytes: give ${row.username} a quota within it`);
  const others = await principalRepo.tenantQuotaUsed(trx, tenant.id, row.id);
  if (others + row.quota > tenant.quota) {
    throw new ServiceError('overQuota', `tenant ${tenant.username} has ${Math.max(0, tenant.quota - others)} of its ${tenant.quota} bytes of quota left; ${row.username} asks for ${row.quota}`);
  }
}
