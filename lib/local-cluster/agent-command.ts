// How to start one of our entry modules (a Bootstrapper, the metadata service, a machine) as a child process:
// compiled from dist/ (fast: no compiler in the process, the footprint the bench measures), or from the
// TypeScript sources through tsx while others' work in progress keeps `npm run build:ts` from compiling.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';

export type AgentRuntime = 'dist' | 'source';

/** The entry modules the local cluster starts (repository paths without extension). */
export const BOOTSTRAPPER_ENTRY = 'agents/bootstrapper/main';
export const METADATA_ENTRY = 'agents/metadata/main';
export const MACHINE_ENTRY = 'lib/local-cluster/machine-main';

export interface AgentCommand {
  readonly command: string;
  readonly args: readonly string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const runningCompiled = import.meta.url.endsWith('.js');
/** The repository root: two levels up from lib/local-cluster (or from dist/lib/local-cluster). */
const repositoryRoot = resolve(here, runningCompiled ? '../../..' : '../..');

/** `CONSTELLATION_LOCAL_RUNTIME=dist|source` overrides; otherwise dist when it holds the entry, else source. */
export function chooseRuntime(entry: string, requested = process.env.CONSTELLATION_LOCAL_RUNTIME): AgentRuntime {
  if (requested === 'dist' || requested === 'source') return requested;
  if (requested !== undefined && requested !== '') {
    throw new InputError(
      'LOCAL_RUNTIME_INVALID',
      `CONSTELLATION_LOCAL_RUNTIME expected "dist" or "source", found "${requested}"`,
    );
  }
  if (runningCompiled) return 'dist';
  return existsSync(distPath(entry)) ? 'dist' : 'source';
}

/**
 * Node.js options per entry. The Bootstrapper is long-lived and mostly idle: a 1 MiB young generation (the
 * default is 16 MiB per semi-space) keeps ~10 MB of resident memory per node for a few more cheap scavenges.
 */
const NODE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  [BOOTSTRAPPER_ENTRY]: ['--max-semi-space-size=1'],
};

/** `entry` is a repository path without extension, e.g. `agents/bootstrapper/main`. */
export function agentCommand(entry: string, runtime: AgentRuntime): AgentCommand {
  const options = NODE_OPTIONS[entry] ?? [];
  if (runtime === 'dist') return { command: process.execPath, args: [...options, distPath(entry)] };
  // --import resolves relative to the child's working directory, so hand it tsx's absolute URL.
  const tsx = pathToFileURL(createRequire(join(repositoryRoot, 'package.json')).resolve('tsx')).href;
  return { command: process.execPath, args: [...options, '--import', tsx, join(repositoryRoot, `${entry}.ts`)] };
}

function distPath(entry: string): string {
  return join(repositoryRoot, 'dist', `${entry}.js`);
}
