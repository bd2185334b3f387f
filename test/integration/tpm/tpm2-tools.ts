// Runs tpm2-tools 5.4 against a test swtpm, and reads its file formats. swtpm has no resource
// manager, so transient objects stay loaded after a tool exits: every call flushes them again
// (the saved .ctx files reload later).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { pcrBankForAlg, type PcrBank, type PcrSelection, type PcrValues } from '../../../lib/tpm/pcr.js';

const run = promisify(execFile);

export class Tpm2Tools {
  constructor(
    readonly tcti: string,
    readonly dir: string,
  ) {}

  static async forTest(t: Pick<Test, 'teardown'>, tcti: string): Promise<Tpm2Tools> {
    const dir = await mkdtemp(join(tmpdir(), 'tpm2-tools-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    return new Tpm2Tools(tcti, dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs `tool args…` in the work directory; rejects with the tool's stderr on a non-zero exit. */
  async exec(tool: string, args: readonly string[]): Promise<string> {
    const env = { ...process.env, TPM2TOOLS_TCTI: this.tcti, TSS2_LOG: 'all+NONE' };
    try {
      const { stdout } = await run(tool, args, { cwd: this.dir, env });
      return stdout;
    } finally {
      await run('tpm2_flushcontext', ['-t'], { cwd: this.dir, env });
    }
  }

  read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  readSync(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  write(name: string, bytes: Uint8Array): Promise<void> {
    return writeFile(this.path(name), bytes);
  }
}

/** `sha256:0,1,2+sha1:7` as tpm2-tools spells a selection. */
export function pcrList(selection: PcrSelection): string {
  return (Object.entries(selection) as [PcrBank, readonly number[]][])
    .map(([bank, i]) => `${bank}:${i.join(',')}`)
    .join('+');
}

/**
 * tpm2_quote `-o` file, tpm2-tools 5.x "serialized" format: host-endian (little-endian here) memory
 * images of TPML_PCR_SELECTION (u32 count + 16 × 8-byte TPMS_PCR_SELECTION), a u32 count, then that
 * many TPML_DIGEST (u32 count + 8 × (u16 size + 64 bytes)). Digests follow the selection order.
 */
export function parseTpm2ToolsPcrs(file: Buffer): PcrValues {
  const selections: [PcrBank, number[]][] = [];
  const count = file.readUInt32LE(0);
  for (let i = 0; i < count; i++) {
    const at = 4 + i * 8;
    const bank = pcrBankForAlg(file.readUInt16LE(at));
    if (bank === undefined) throw new Error(`unknown bank 0x${file.readUInt16LE(at).toString(16)} in PCR file`);
    const indices: number[] = [];
    const size = file.readUInt8(at + 2);
    for (let octet = 0; octet < size; octet++) {
      for (let bit = 0; bit < 8; bit++)
        if ((file.readUInt8(at + 3 + octet) & (1 << bit)) !== 0) indices.push(octet * 8 + bit);
    }
    selections.push([bank, indices]);
  }
  const digests: Buffer[] = [];
  const lists = file.readUInt32LE(132);
  for (let l = 0; l < lists; l++) {
    const base = 136 + l * 532;
    const n = file.readUInt32LE(base);
    for (let d = 0; d < n; d++) {
      const at = base + 4 + d * 66;
      digests.push(Buffer.from(file.subarray(at + 2, at + 2 + file.readUInt16LE(at))));
    }
  }
  const values: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  for (const [bank, indices] of selections) {
    const bankValues: Record<number, Buffer> = {};
    for (const index of indices) {
      const digest = digests.shift();
      if (digest === undefined) throw new Error(`PCR file has no digest for ${bank}:${index}`);
      bankValues[index] = digest;
    }
    values[bank] = bankValues;
  }
  if (digests.length !== 0) throw new Error(`PCR file has ${digests.length} digests beyond its selection`);
  return values;
}

/** tpm2_makecredential / tpm2_activatecredential file: BADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. */
export function credentialFile(credentialBlob: Buffer, secret: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0xbadcc0de, 0);
  header.writeUInt32BE(1, 4);
  const sized = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  return Buffer.concat([header, sized(credentialBlob), sized(secret)]);
}
