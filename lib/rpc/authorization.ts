// Which caller role may call which method. Deny by default: a method missing from the table is refused,
// so a newly added RPC is unreachable until someone decides who may call it.
import { PolicyError } from '../errors.js';

export type Authorizer = (method: string, role: string) => void;

/**
 * `table` maps full method paths ("/constellation.kms.v1.KeyService/GetDataKey") to the one role allowed.
 * The returned function throws PolicyError METHOD_NOT_AUTHORIZED (→ PERMISSION_DENIED) otherwise.
 */
export function authorizationTable(table: Readonly<Record<string, string>>): Authorizer {
  const entries = new Map(Object.entries(table));
  return (method, role) => {
    const allowed = entries.get(method);
    if (allowed === undefined) {
      throw new PolicyError(
        'METHOD_NOT_AUTHORIZED',
        `Expected a method listed in the authorization table, found ${method}`,
      );
    }
    if (allowed !== role) {
      throw new PolicyError('METHOD_NOT_AUTHORIZED', `Expected role ${allowed} for ${method}, found ${role}`);
    }
  };
}
