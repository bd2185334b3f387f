// The boot disk's GPT: ESP (the UKI), root (erofs) and its dm-verity hash partition, each MiB-aligned, with a fixed
// disk GUID and fixed or content-derived partition UUIDs, so the same parts always give the same disk.
import { invalidArgument } from '../../lib/errors.js';

export const SECTOR = 512;
const MIB = 1024 * 1024;
const MIB_SECTORS = MIB / SECTOR;

/** Discoverable Partitions Specification types (x86-64). */
export const PARTITION_TYPES = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  root: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  rootVerity: '2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5',
} as const;

export const DISK_GUID = '5C0B4A4E-6F6E-4C6C-8E2A-636F6E737430';
export const ESP_UUID = '5C0B4A4E-6F6E-4C6C-8E2A-636F6E737433';

export interface PartitionPlan {
  readonly name: string;
  readonly type: string;
  readonly uuid: string;
  readonly startSector: number;
  readonly sectors: number;
}

export interface DiskPlan {
  readonly bytes: number;
  readonly partitions: readonly PartitionPlan[];
}

export interface DiskParts {
  readonly espBytes: number;
  readonly rootBytes: number;
  readonly verityBytes: number;
  readonly rootUuid: string;
  readonly verityUuid: string;
}

/** Partitions back to back from 1 MiB, each rounded up to whole MiB; 1 MiB at the end for the backup GPT. */
export function planDisk(parts: DiskParts): DiskPlan {
  for (const [name, bytes] of [
    ['ESP size', parts.espBytes],
    ['root size', parts.rootBytes],
    ['verity size', parts.verityBytes],
  ] as const) {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalidArgument(name, 'a positive number of bytes', bytes);
  }
  const partitions: PartitionPlan[] = [];
  let next = MIB_SECTORS;
  for (const [name, type, uuid, bytes] of [
    ['esp', PARTITION_TYPES.esp, ESP_UUID, parts.espBytes],
    ['root-x86-64', PARTITION_TYPES.root, parts.rootUuid.toUpperCase(), parts.rootBytes],
    ['root-x86-64-verity', PARTITION_TYPES.rootVerity, parts.verityUuid.toUpperCase(), parts.verityBytes],
  ] as const) {
    const sectors = Math.ceil(bytes / MIB) * MIB_SECTORS;
    partitions.push({ name, type, uuid, startSector: next, sectors });
    next += sectors;
  }
  return { bytes: (next + MIB_SECTORS) * SECTOR, partitions };
}

/** The sfdisk script for the plan. */
export function sfdiskScript(plan: DiskPlan): string {
  return [
    'label: gpt',
    `label-id: ${DISK_GUID}`,
    'unit: sectors',
    `first-lba: ${String(MIB_SECTORS)}`,
    ...plan.partitions.map(
      (p) =>
        `start=${String(p.startSector)}, size=${String(p.sectors)}, type=${p.type}, uuid=${p.uuid}, name="${p.name}"`,
    ),
    '',
  ].join('\n');
}

/** The ESP's size for a UKI: the UKI plus 8 MiB of FAT overhead and headroom, whole MiB, at least 64 MiB. */
export function espBytesFor(ukiBytes: number): number {
  return Math.max(64, Math.ceil((ukiBytes + 8 * MIB) / MIB)) * MIB;
}
