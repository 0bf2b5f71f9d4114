import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../../services/errors.ts';

// Bodies are validated strictly: a string where a number belongs is an error, not coerced.
// Query strings and path parameters are text on the wire, so those are coerced.
const strict = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false });
const coercing = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: 'array', strict: false });

for (const ajv of [strict, coercing]) addFormats.default(ajv, ['date-time', 'date', 'email', 'uri']);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;

/** Ajv errors as field errors that name the field in the client's terms. */
export function fieldErrors(errors: ErrorObject[] | undefined, part: string | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return { field: base ? `${base}.${extra}` : extra, message: `unknown field in ${part ?? 'request'}` };
    }
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { field: base ? `${base}.${missing}` : missing, message: 'is required' };
    }
    return { field: base || part || 'request', message: e.message ?? 'is invalid' };
  });
}
