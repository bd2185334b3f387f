// Parse + replay of the largest real TPM event log, against plain SHA-256 hashing of the same digests.
// Run: node --import tsx bench/eventlog-replay.ts
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventLog, replayEventLog, EV } from '../lib/attestation/eventlog/index.js';
import { measure } from './measure.js';

const root = fileURLToPath(new URL('../test/vectors/tpm/', import.meta.url));
const candidates = ['go-tpm-tools/eventlogs', 'go-attestation']
  .flatMap((dir) => readdirSync(join(root, dir)).map((f) => join(root, dir, f)))
  .filter((path) => !path.endsWith('.json'));
const largest = candidates.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
const bytes = readFileSync(largest);
const probe = parseEventLog(bytes);
const bank = probe.banks.includes('sha256') ? 'sha256' : (probe.banks[0] ?? 'sha1');
const digests = probe.events.filter((e) => e.type !== EV.NO_ACTION).flatMap((e) => e.digests[bank] ?? []);

console.log(`log: ${largest.slice(root.length)} (${bytes.length} bytes, ${probe.events.length} events, bank ${bank})`);
const parseOnly = measure('parse (incl. digest consistency)', () => parseEventLog(bytes));
const full = measure(`parse + replay (${bank})`, () => replayEventLog(parseEventLog(bytes), bank));
const baseline = measure(`baseline: SHA-256 over the ${digests.length} digests`, () => {
  let pcr = Buffer.alloc(32);
  for (const digest of digests) pcr = createHash('sha256').update(pcr).update(digest).digest();
});
console.log(
  `ratio parse+replay / baseline: ${(full / baseline).toFixed(1)}x (parse alone ${(parseOnly / baseline).toFixed(1)}x)`,
);
