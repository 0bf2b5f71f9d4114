import { invalid } from '../errors.ts';
import { LIST_FIELDS, type ListField, type PrincipalView } from './principal-views.ts';

/** One step of a Stalwart-style update: `set` replaces a field, `addItem`/`removeItem` edit a list field. */
export interface PatchOp {
  action: 'set' | 'addItem' | 'removeItem';
  field: string;
  value?: unknown;
}

const SCALARS = ['name', 'description', 'quota', 'tenant', 'disabled'] as const;
type ScalarField = (typeof SCALARS)[number];

/** The writable state of a principal: what a patch edits and the service then stores. */
export type PrincipalState = Pick<PrincipalView, Exclude<ListField, 'secrets'> | ScalarField> & {
  /** New secrets to store; `secretsReplace` says whether they replace the existing ones. */
  secrets: string[];
  secretsReplace: boolean;
  /** Secrets to remove (apiKeys: matched by hash; individuals: the password, if it matches). */
  secretsRemove: string[];
};

const isListField = (f: string): f is ListField => (LIST_FIELDS as readonly string[]).includes(f);
const isScalarField = (f: string): f is ScalarField => (SCALARS as readonly string[]).includes(f);

export function stateOf(view: PrincipalView): PrincipalState {
  return {
    name: view.name,
    description: view.description,
    quota: view.quota,
    tenant: view.tenant,
    disabled: view.disabled,
    emails: [...view.emails],
    urls: [...view.urls],
    memberOf: [...view.memberOf],
    roles: [...view.roles],
    lists: [...view.lists],
    members: [...view.members],
    enabledPermissions: [...view.enabledPermissions],
    disabledPermissions: [...view.disabledPermissions],
    externalMembers: [...view.externalMembers],
    secrets: [],
    secretsReplace: false,
    secretsRemove: [],
  };
}

const strings = (field: string, value: unknown): string[] => {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw invalid(field, 'must be a string or a list of strings');
  return list as string[];
};

/** A partial object (the native PATCH body) as `set` steps. */
export function opsOfObject(body: Record<string, unknown>): PatchOp[] {
  return Object.entries(body).map(([field, value]) => ({ action: 'set' as const, field, value }));
}

/** Applies the steps in order to a copy of the state; names compare case-insensitively, as they are stored. */
export function applyOps(state: PrincipalState, ops: PatchOp[]): PrincipalState {
  const next: PrincipalState = { ...state };
  ops.forEach((op, i) => {
    const where = `${i}/${op.field}`;
    if (isScalarField(op.field)) {
      if (op.action !== 'set') throw invalid(where, `${op.field} takes only the set action`);
      next[op.field] = scalar(op.field, op.value, where) as never;
      return;
    }
    if (!isListField(op.field)) throw invalid(where, `unknown field ${op.field}`);
    const values = op.value === null || op.value === undefined ? [] : strings(where, op.value);
    if (op.field === 'secrets') {
      if (op.action === 'set') {
        next.secrets = values;
        next.secretsReplace = true;
      } else if (op.action === 'addItem') next.secrets = [...next.secrets, ...values];
      else next.secretsRemove = [...next.secretsRemove, ...values];
      return;
    }
    const current = next[op.field];
    const key = (s: string) => s.trim().toLowerCase();
    if (op.action === 'set') next[op.field] = values;
    else if (op.action === 'addItem') next[op.field] = [...current, ...values.filter((v) => !current.some((c) => key(c) === key(v)))];
    else if (op.action === 'removeItem') next[op.field] = current.filter((c) => !values.some((v) => key(v) === key(c)));
    else throw invalid(`${i}/action`, 'must be set, addItem or removeItem');
  });
  return next;
}

function scalar(field: ScalarField, value: unknown, where: string): unknown {
  switch (field) {
    case 'quota':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(where, 'must be a whole number of bytes, 0 for unlimited');
      return value;
    case 'disabled':
      if (typeof value !== 'boolean') throw invalid(where, 'must be true or false');
      return value;
    case 'name':
      if (typeof value !== 'string') throw invalid(where, 'must be a string');
      return value;
    case 'description':
    case 'tenant':
      if (value !== null && typeof value !== 'string') throw invalid(where, 'must be a string or null');
      return value === '' ? null : value;
  }
}
