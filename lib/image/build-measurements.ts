// The measurements of a freshly built image: PCR 4 and PCR 11 precomputed from the UKI and enforced; PCRs recorded
// from a golden boot of the pinned QEMU/OVMF setup (firmware, boot variables, GPT, Secure Boot state, initrd) added
// only when given, as warnings unless the caller enforces them. PCR 15 is never part of an image's measurements.
import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { CLUSTER_MEASUREMENT_PCR } from '../boot/image-policy.js';
import { validateMeasurements, MEASUREMENTS_VERSION, type Measurements, type PcrMeasurement } from './measurements.js';
import { predictUkiPcrs } from './predict-pcrs.js';

export const PRECOMPUTED_PCRS: readonly number[] = [4, 11];

export interface BuildMeasurementsInput {
  readonly uki: Buffer;
  readonly imageName: string;
  readonly version: string;
  /** Values recorded from a golden boot, by PCR index (not 4, 11 or 15). */
  readonly goldenPcrs?: Readonly<Record<number, Buffer>>;
  /** Golden PCRs to enforce; the others only warn. Default none. */
  readonly enforceGoldenPcrs?: readonly number[];
  /** See predictUkiPcrs. */
  readonly failedBootOptions?: number;
  readonly phases?: readonly string[];
}

export function buildMeasurements(input: BuildMeasurementsInput): Measurements {
  const predicted = predictUkiPcrs({
    uki: input.uki,
    ...(input.failedBootOptions === undefined ? {} : { failedBootOptions: input.failedBootOptions }),
    ...(input.phases === undefined ? {} : { phases: input.phases }),
  });
  const pcrs: Record<string, PcrMeasurement> = {
    '4': { expected: predicted.pcr4.toString('hex'), mode: 'enforce', source: 'precomputed' },
    '11': { expected: predicted.pcr11.toString('hex'), mode: 'enforce', source: 'precomputed' },
  };
  const golden = input.goldenPcrs ?? {};
  const enforce = input.enforceGoldenPcrs ?? [];
  for (const [indexText, value] of Object.entries(golden)) {
    const index = Number(indexText);
    if (PRECOMPUTED_PCRS.includes(index) || index === CLUSTER_MEASUREMENT_PCR || !(index >= 0 && index < 24)) {
      throw invalidArgument(`goldenPcrs[${indexText}]`, 'a PCR 0-23 other than 4, 11 (precomputed) and 15', index);
    }
    if (!Buffer.isBuffer(value) || value.length !== 32) {
      throw invalidArgument(`goldenPcrs[${indexText}]`, 'a 32-byte sha256 PCR value', value);
    }
    pcrs[indexText] = {
      expected: value.toString('hex'),
      mode: enforce.includes(index) ? 'enforce' : 'warn',
      source: 'golden-boot',
    };
  }
  const notGiven = enforce.filter((index) => golden[index] === undefined);
  if (notGiven.length > 0) throw invalidArgument('enforceGoldenPcrs', 'PCRs that goldenPcrs has values for', notGiven);
  return validateMeasurements(
    {
      version: MEASUREMENTS_VERSION,
      image: {
        name: input.imageName,
        version: input.version,
        ukiSha256: createHash('sha256').update(input.uki).digest('hex'),
      },
      pcrs,
    },
    'the built measurements',
  );
}
