// Milestones from a VM's second serial port: untrusted guest output, so only JSON objects with a plain event
// name count; serial noise, carriage returns and cut lines are skipped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { parseMilestones, waitForMilestone } from '../../../lib/mini/milestones.js';

t.test('parses JSON lines with an event, skips the rest', (t) => {
  const text = [
    '{"event":"serving-init","address":"10.42.0.10:9000"}\r',
    'garbage before {"event":"joined","role":"worker"}',
    '{"event":"services","verification":"10.42.0.10:9090"',
    '{"event":"Bad Name"}',
    '{"event":7}',
    '["event"]',
    '',
    '\u0000\u0000{"event":"rejoined"}',
  ].join('\n');
  t.same(
    parseMilestones(text).map((milestone) => milestone.event),
    ['serving-init', 'joined', 'rejoined'],
  );
  t.equal(parseMilestones(text)[0]?.address, '10.42.0.10:9000');
  t.end();
});

t.test('waits for a milestone after a count; times out naming the last one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-milestones-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'milestones.log');
  await writeFile(log, '{"event":"serving-init","address":"a"}\n');
  const found = await waitForMilestone(log, ['serving-init'], 'node', { timeoutMs: 1000 });
  t.equal(found.event, 'serving-init');
  await t.rejects(waitForMilestone(log, ['serving-init'], 'node', { after: 1, timeoutMs: 300 }), {
    constructor: ConstellationError,
    code: 'MINI_NODE_TIMEOUT',
    message: /no milestone/,
  });
  await t.rejects(waitForMilestone(log, ['services'], 'node-x', { timeoutMs: 300 }), {
    constructor: ConstellationError,
    code: 'MINI_NODE_TIMEOUT',
    message: /node-x.*"services".*last milestone "serving-init"/s,
  });
  await t.rejects(
    waitForMilestone(log, ['services'], 'node', {
      timeoutMs: 5000,
      check: () => Promise.reject(new ConstellationError('MINI_VM_EXITED', 'gone')),
    }),
    { code: 'MINI_VM_EXITED' },
  );
});
