// The generated code in proto/gen is committed; it must be exactly what proto/generate.sh produces.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../../../../proto/', import.meta.url));

t.test('proto/gen is reproducible from proto/*.proto', (t) => {
  const out = t.testdir({});
  execFileSync('sh', [`${PROTO}generate.sh`, out], { stdio: ['ignore', 'pipe', 'pipe'] });
  const committed = readdirSync(`${PROTO}gen`).sort();
  t.same(readdirSync(`${out}/gen`).sort(), committed, 'same files');
  t.ok(committed.length > 0, 'proto/gen is not empty');
  for (const file of committed) {
    t.ok(readFileSync(`${out}/gen/${file}`).equals(readFileSync(`${PROTO}gen/${file}`)), `${file} is byte-identical`);
  }
  t.end();
});
