// Secure Boot configuration as measured into PCR 7 (TPM) or CC MR 1 / RTMR0 (TDX CCEL): the SecureBoot
// variable, the PK/KEK/db/dbx databases and the authorities used to verify loaded images.
// Only digest-verified event types are read here (see digest-consistency.ts), so the values are authentic
// once the log has been replayed against quoted PCRs.
import { EFI_GUID } from './efi-guid.js';
import {
  isSha256Entry,
  isX509Entry,
  parseSignatureLists,
  parseUefiVariableData,
  type SignatureEntry,
  type UefiVariable,
} from './efi-variable.js';
import type { EventLog, TcgEvent } from './event-log.js';
import { EV } from './event-types.js';
import { malformed } from './eventlog-errors.js';

export interface SignatureDatabase {
  readonly entries: readonly SignatureEntry[];
  /** DER certificates (EFI_CERT_X509 entries). */
  readonly certificates: readonly Buffer[];
  /** Image hashes (EFI_CERT_SHA256 entries). */
  readonly hashes: readonly Buffer[];
}

export interface SecureBootAuthority {
  readonly seq: number;
  /** Variable the authority came from: `db`, `MokList`, `Shim`, `SbatLevel`, … */
  readonly variableName: string;
  readonly vendorGuid: string;
  /** The DER certificate when the value is one (bare, or as EFI_SIGNATURE_DATA with an owner GUID). */
  readonly certificate?: Buffer;
  readonly value: Buffer;
  /** Authorities after the PCR 7 separator verified boot applications; before it, drivers / option ROMs. */
  readonly afterSeparator: boolean;
}

export interface SecureBootState {
  readonly enabled: boolean;
  readonly pk?: SignatureDatabase;
  readonly kek?: SignatureDatabase;
  readonly db?: SignatureDatabase;
  readonly dbx?: SignatureDatabase;
  readonly authorities: readonly SecureBootAuthority[];
}

type DatabaseName = 'pk' | 'kek' | 'db' | 'dbx';

const DATABASES: readonly { name: string; guid: string; key: DatabaseName }[] = [
  { name: 'PK', guid: EFI_GUID.GLOBAL_VARIABLE, key: 'pk' },
  { name: 'KEK', guid: EFI_GUID.GLOBAL_VARIABLE, key: 'kek' },
  { name: 'db', guid: EFI_GUID.IMAGE_SECURITY_DATABASE, key: 'db' },
  { name: 'dbx', guid: EFI_GUID.IMAGE_SECURITY_DATABASE, key: 'dbx' },
];

const DER_SEQUENCE = 0x30;
const EFI_GUID_SIZE = 16;

export function secureBootState(log: EventLog): SecureBootState {
  const register = log.registers === 'cc-mr' ? 1 : 7;
  let afterSeparator = false;
  let enabled: boolean | undefined;
  const databases: Partial<Record<DatabaseName, SignatureDatabase>> = {};
  const authorities: SecureBootAuthority[] = [];
  for (const event of log.events) {
    if (event.pcr !== register) continue;
    if (event.type === EV.SEPARATOR) {
      afterSeparator = true;
    } else if (event.type === EV.EFI_VARIABLE_DRIVER_CONFIG && !afterSeparator) {
      const variable = variableOf(event);
      if (variable.vendorGuid === EFI_GUID.GLOBAL_VARIABLE && variable.name === 'SecureBoot') {
        if (enabled !== undefined) throw malformed('one SecureBoot variable event', event.offset, 'a second one');
        // A missing or empty value (seen on real firmware) means Secure Boot is not enforcing.
        enabled = variable.value.length === 1 && variable.value[0] === 1;
        continue;
      }
      const database = DATABASES.find((d) => d.name === variable.name && d.guid === variable.vendorGuid);
      if (database === undefined) continue;
      if (databases[database.key] !== undefined)
        throw malformed(`one ${database.name} variable event`, event.offset, 'a second one');
      databases[database.key] = signatureDatabase(variable.value, event);
    } else if (event.type === EV.EFI_VARIABLE_AUTHORITY) {
      authorities.push(authorityOf(event, afterSeparator));
    }
  }
  return { enabled: enabled ?? false, ...databases, authorities };
}

function variableOf(event: TcgEvent): UefiVariable {
  if (event.content?.kind === 'efi-variable') return event.content.variable;
  return parseUefiVariableData(event.data, event.type === EV.EFI_VARIABLE_AUTHORITY);
}

function signatureDatabase(value: Buffer, event: TcgEvent): SignatureDatabase {
  let entries: SignatureEntry[];
  try {
    entries = parseSignatureLists(value);
  } catch {
    throw malformed('EFI_SIGNATURE_LISTs in the variable value', event.offset, 'a value that does not parse');
  }
  return {
    entries,
    certificates: entries.filter(isX509Entry).map((e) => e.data),
    hashes: entries.filter(isSha256Entry).map((e) => e.data),
  };
}

function authorityOf(event: TcgEvent, afterSeparator: boolean): SecureBootAuthority {
  const variable = variableOf(event);
  const { value } = variable;
  const base = { seq: event.seq, variableName: variable.name, vendorGuid: variable.vendorGuid, value, afterSeparator };
  if (value[0] === DER_SEQUENCE) return { ...base, certificate: value };
  if (value.length > EFI_GUID_SIZE && value[EFI_GUID_SIZE] === DER_SEQUENCE) {
    return { ...base, certificate: value.subarray(EFI_GUID_SIZE) };
  }
  return base;
}
