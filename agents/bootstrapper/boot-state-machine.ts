// The Bootstrapper's boot state machine (constellation-runtime.md §5.1 and §7.1, with the fixes of its §11):
//
//   probe the state disk ─ blank/pending ─→ prepareNew → serve Init ∥ join loop → first to take the node lock
//                        │                   wins; the other stops → initialized | joined
//                        └ initialized ───→ rejoin loop ∥ recovery server (control-plane by metadata) → the first
//                                            key that opens the disk wins → rejoined | recovered
//
// then the node's services run until SIGTERM. Every failure after the node lock on a fresh node marks the disk
// for reset and is thrown: main exits non-zero, the machine reboots and the node is fresh again (§11 item 1: the
// original left a half-initialised node up). A failure while resuming an initialised node never resets the disk
// (its data belongs to the cluster); the node just reboots and waits again. The metadata service decides only
// where to dial and which servers to run; the role a node gets comes from its ticket or its node state.
import { ConstellationError } from '../../lib/errors.js';
import { INIT_PORT, RECOVER_PORT } from '../../lib/cluster/ports.js';
import type { AuditLog, Logger } from '../../lib/log/index.js';
import { InitServiceService, type InitSuccess } from '../../proto/gen/init.js';
import { RecoverServiceService } from '../../proto/gen/recover.js';
import type { JoinTicket } from '../../proto/gen/join.js';
import { startAttestedServer, type AttestedServer } from './attested-server.js';
import { completeJoin } from './complete-join.js';
import type { NodeServices } from './control-plane-services.js';
import { DISK_KEY_REJECTED, DiskUnlock } from './disk-unlock.js';
import { initService } from './init-service.js';
import { initializeCluster } from './initialize-cluster.js';
import { runJoinLoop } from './join-loop.js';
import type { NodeAttestation } from './node-attestation.js';
import { CLUSTER_MEASUREMENT_PCR, NodeLock } from './node-lock.js';
import { readNodeState } from './node-state.js';
import { sameClusterHint, type ClusterHint } from '../../lib/disk/index.js';
import type {
  KubernetesLayer,
  MetadataSource,
  MilestoneSink,
  NodeMetadata,
  NodeRole,
  NodeTpm,
  StateDisk,
} from './ports.js';
import { recoverService } from './recover-service.js';
import { resumeNode } from './resume-node.js';

export interface DialRequest {
  /** JoinService "host:port" candidates, tried in turn. */
  readonly addresses: string[];
  readonly signal: AbortSignal;
  readonly diskUuid: string;
  readonly nodeName: string;
}

/** lib/join joinCluster bound to the node's TPM and its check of the JoinService. */
export type JoinAttempt = (request: DialRequest) => Promise<{ role: NodeRole; ticket: JoinTicket }>;
/** lib/join rejoinCluster, likewise; `measurementSalt` from the cluster hint. */
export type RejoinAttempt = (
  request: DialRequest & { readonly measurementSalt: Buffer },
) => Promise<{ stateDiskKey: Buffer; measurementSecret: Buffer }>;

export interface BootDeps {
  readonly tpm: Pick<NodeTpm, 'pcrRead' | 'pcrExtend'>;
  readonly attestation: NodeAttestation;
  readonly disk: StateDisk;
  readonly metadata: MetadataSource;
  readonly kubernetes: KubernetesLayer;
  readonly services: NodeServices;
  readonly nodeAddress: string;
  readonly join: JoinAttempt;
  readonly rejoin: RejoinAttempt;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly milestone: MilestoneSink;
  /** Overrides for tests; default INIT_PORT / RECOVER_PORT. */
  readonly ports?: { readonly init?: number; readonly recover?: number; readonly join?: number };
  readonly retryIntervalMs?: number;
}

export type BootOutcome =
  | { readonly kind: 'initialized'; readonly clusterId: Buffer }
  | { readonly kind: 'joined'; readonly role: NodeRole }
  | { readonly kind: 'rejoined' | 'recovered'; readonly role: NodeRole };

export const PCR15_NOT_ZERO = 'PCR15_NOT_ZERO';

/** Runs the node up to a member of its cluster with its services started; rejects when `signal` aborts. */
export async function bootNode(deps: BootDeps, signal: AbortSignal): Promise<BootOutcome> {
  await assertFreshMeasurement(deps.tpm);
  // Serve attestation from the start: an admin can then see why a node cannot join (`constellation verify`
  // names the PCR and the event), not only that it is unreachable.
  const verification = await deps.services.startVerification();
  const self = await untilAnswered(() => deps.metadata.self(), deps, signal, 'metadata /self');
  if (self.address !== deps.nodeAddress) {
    deps.logger.warn('metadata names another address for this node', { metadata: self.address, own: deps.nodeAddress });
  }
  const disk = await deps.disk.probe();
  deps.logger.info('state disk probed', { status: disk.status, ...deps.disk.description });
  const outcome =
    disk.status === 'initialized'
      ? await resumeExisting(deps, self, disk.uuid, disk.clusterHint, signal)
      : await startFresh(deps, self, signal);
  // The public hint a restarting node needs before its disk is open lives in the disk's header (LUKS2 token 1): a
  // fresh node wrote it when it bound its disk; a resumed node read it with the probe and rewrites it only when it
  // differs (a disk bound before the hint existed).
  if (disk.status === 'initialized') {
    const state = await readNodeState(deps.disk.mountPoint);
    const hint = { measurementSalt: state.measurementSalt, clusterId: state.clusterId };
    if (!sameClusterHint(disk.clusterHint, hint)) await deps.disk.writeClusterHint(hint);
  }
  const join = deps.services.addresses.join;
  deps.milestone({ event: 'services', verification, ...(join === undefined ? {} : { join }) });
  return outcome;
}

/** PCR 15 must be zero when the Bootstrapper starts: only a reboot resets it, and only we extend it. */
async function assertFreshMeasurement(tpm: Pick<NodeTpm, 'pcrRead'>): Promise<void> {
  const { values } = await tpm.pcrRead({ sha256: [CLUSTER_MEASUREMENT_PCR] });
  const value = values.sha256?.[CLUSTER_MEASUREMENT_PCR];
  if (value === undefined || !Buffer.from(value).equals(Buffer.alloc(32))) {
    throw new ConstellationError(
      PCR15_NOT_ZERO,
      'Expected PCR 15 all zero at start (a freshly booted machine), found it extended; reboot the machine',
    );
  }
}

async function untilAnswered<T>(ask: () => Promise<T>, deps: BootDeps, signal: AbortSignal, what: string): Promise<T> {
  for (let logged = false; ;) {
    signal.throwIfAborted();
    try {
      return await ask();
    } catch (error) {
      if (!logged) deps.logger.warn(`${what} unavailable, retrying`, { error: (error as Error).message });
      logged = true;
    }
    await new Promise((resolve) => setTimeout(resolve, deps.retryIntervalMs ?? 1000));
  }
}

function extender(tpm: Pick<NodeTpm, 'pcrExtend'>): ConstructorParameters<typeof NodeLock>[0] {
  return (pcr, digests) => tpm.pcrExtend(pcr, digests);
}

function linkedController(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else
    signal.addEventListener(
      'abort',
      () => {
        controller.abort(signal.reason);
      },
      { once: true },
    );
  return controller;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else
      signal.addEventListener(
        'abort',
        () => {
          reject(signal.reason as Error);
        },
        { once: true },
      );
  });
}

async function startFresh(deps: BootDeps, self: NodeMetadata, signal: AbortSignal): Promise<BootOutcome> {
  const { disk, logger } = deps;
  const started = performance.now();
  const { uuid } = await disk.prepareNew();
  logger.info('state disk prepared for a new node', {
    uuid,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  });
  const lock = new NodeLock(extender(deps.tpm));
  const stopJoin = linkedController(signal);
  let settle!: { resolve: (outcome: BootOutcome) => void; reject: (error: unknown) => void };
  const outcome = new Promise<BootOutcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const initServer: AttestedServer = await startAttestedServer({
    listen: { host: deps.nodeAddress, port: deps.ports?.init ?? INIT_PORT },
    service: InitServiceService,
    implementation: initService({
      initSecretHash: () => deps.metadata.initSecretHash(),
      lock,
      audit: deps.audit,
      initialize: (request, holder, progress) => {
        stopJoin.abort(new ConstellationError('JOIN_STOPPED', 'Init took the node lock'));
        return initializeCluster(
          request,
          holder,
          {
            disk,
            diskUuid: uuid,
            node: self,
            kubernetes: deps.kubernetes,
            startKeyHolderServices: async (keys) => {
              await deps.services.startKeyHolder(keys);
            },
          },
          progress,
        );
      },
      onInitialized: (success: InitSuccess) => {
        settle.resolve({ kind: 'initialized', clusterId: Buffer.from(success.clusterId) });
      },
      onFailed: (error) => {
        settle.reject(error);
      },
    }),
    attestation: deps.attestation,
  });
  deps.milestone({ event: 'serving-init', address: initServer.address });
  logger.info('serving Init and trying to join', { init: initServer.address });

  const joining = runJoinLoop({
    metadata: deps.metadata,
    selfAddress: deps.nodeAddress,
    attempt: (addresses, joinSignal) =>
      deps.join({ addresses, signal: joinSignal, diskUuid: uuid, nodeName: self.name }),
    signal: stopJoin.signal,
    logger,
    ...(deps.retryIntervalMs === undefined ? {} : { intervalMs: deps.retryIntervalMs }),
    ...(deps.ports?.join === undefined ? {} : { joinPort: deps.ports.join }),
  });
  joining.then(
    async ({ role, ticket }) => {
      const holder = lock.tryLock('join');
      if (holder === undefined) return; // Init won; its outcome settles.
      try {
        await initServer.close();
        await completeJoin(ticket, role, holder, { disk, diskUuid: uuid, node: self, kubernetes: deps.kubernetes });
        settle.resolve({ kind: 'joined', role });
      } catch (error) {
        settle.reject(error);
      }
    },
    (error: unknown) => {
      // Aborted because Init won (its outcome settles) or because we are stopping.
      if (!stopJoin.signal.aborted) settle.reject(error);
    },
  );

  try {
    const result = await Promise.race([outcome, aborted(signal)]);
    if (result.kind === 'initialized')
      deps.milestone({ event: 'initialized', clusterId: result.clusterId.toString('hex') });
    else deps.milestone({ event: 'joined', role: result.kind === 'joined' ? result.role : 'worker' });
    logger.info(`node ${result.kind}`, { ...(result.kind === 'joined' ? { role: result.role } : {}) });
    return result;
  } catch (error) {
    if (lock.owner !== undefined && !signal.aborted) {
      // After the lock nothing may be retried in this boot: make the next boot start from a fresh disk.
      logger.error('activation failed after the node lock; resetting the state disk', {
        code: error instanceof ConstellationError ? error.code : 'INTERNAL',
        error: error instanceof Error ? error.message : String(error),
      });
      await disk.markForReset();
    }
    throw error;
  } finally {
    stopJoin.abort(new ConstellationError('JOIN_STOPPED', 'boot settled'));
    await initServer.close();
  }
}

async function resumeExisting(
  deps: BootDeps,
  self: NodeMetadata,
  uuid: string,
  hint: ClusterHint | undefined,
  signal: AbortSignal,
): Promise<BootOutcome> {
  const { disk, logger } = deps;
  const unlock = new DiskUnlock(disk);
  const stop = linkedController(signal);
  if (hint === undefined) logger.warn('no cluster hint: not rejoining, only recovery can unlock this node');
  const rejoining = runJoinLoop({
    metadata: hint === undefined ? { peers: () => Promise.resolve([]) } : deps.metadata,
    selfAddress: deps.nodeAddress,
    attempt: async (addresses, rejoinSignal) => {
      if (hint === undefined) throw new ConstellationError('CLUSTER_HINT_MISSING', 'no cluster hint');
      const result = await deps.rejoin({
        addresses,
        signal: rejoinSignal,
        diskUuid: uuid,
        nodeName: self.name,
        measurementSalt: hint.measurementSalt,
      });
      try {
        await unlock.attempt(Buffer.from(result.stateDiskKey), {
          via: 'rejoin',
          measurementSecret: Buffer.from(result.measurementSecret),
        });
      } catch (error) {
        // A JoinService whose key does not open our disk serves another cluster: keep looking.
        if (error instanceof ConstellationError && error.code === DISK_KEY_REJECTED) {
          throw new ConstellationError(DISK_KEY_REJECTED, 'the rejoin ticket’s disk key does not open this disk');
        }
        throw error;
      }
    },
    signal: stop.signal,
    logger,
    ...(deps.retryIntervalMs === undefined ? {} : { intervalMs: deps.retryIntervalMs }),
    ...(deps.ports?.join === undefined ? {} : { joinPort: deps.ports.join }),
  });
  rejoining.catch(() => undefined); // ends by abort, or by winning (then `unlock.unlocked` settles)

  let recovery: AttestedServer | undefined;
  try {
    if (self.role === 'control-plane') {
      recovery = await startAttestedServer({
        listen: { host: deps.nodeAddress, port: deps.ports?.recover ?? RECOVER_PORT },
        service: RecoverServiceService,
        implementation: recoverService({ diskUuid: uuid, nodeName: self.name, unlock, audit: deps.audit }),
        attestation: deps.attestation,
      });
      deps.milestone({ event: 'waiting-for-recovery', address: recovery.address });
      logger.info('waiting for recovery or rejoin', { recover: recovery.address, disk: uuid });
    } else {
      deps.milestone({ event: 'waiting-to-rejoin' });
      logger.info('waiting to rejoin', { disk: uuid });
    }
    const unlocked = await Promise.race([unlock.unlocked, aborted(signal)]);
    stop.abort(new ConstellationError('REJOIN_STOPPED', `disk unlocked by ${unlocked.via}`));
    await recovery?.close();
    const holder = new NodeLock(extender(deps.tpm)).tryLock(unlocked.via);
    if (holder === undefined) throw new ConstellationError('INTERNAL', 'a fresh node lock was taken');
    const { state, keyHolder } = await resumeNode(unlocked, holder, {
      disk,
      diskUuid: uuid,
      kubernetes: deps.kubernetes,
      startKeyHolderServices: async (keys) => {
        await deps.services.startKeyHolder(keys);
      },
    });
    deps.milestone({ event: unlocked.via === 'recovery' ? 'recovered' : 'rejoined' });
    logger.info(`node ${unlocked.via === 'recovery' ? 'recovered' : 'rejoined'}`, { role: state.role, keyHolder });
    return { kind: unlocked.via === 'recovery' ? 'recovered' : 'rejoined', role: state.role };
  } finally {
    stop.abort(new ConstellationError('REJOIN_STOPPED', 'boot settled'));
    await recovery?.close();
  }
}
