// What the Bootstrapper needs from the outside, as interfaces that mirror the shared contracts (state disk,
// metadata, Kubernetes layer, in-process service hosts). main.ts plugs in the real modules; tests plug in fakes.
// Keeping the boot logic on these ports means it never touches a file, socket or TPM it was not handed.
import type { KeyObject } from 'node:crypto';
import type { Tpm } from '../../native/tpm.js';
import type { JoinPolicy } from '../joinservice/join-policy.js';
import type { ClusterMaterial } from '../joinservice/ports.js';
import type { StateDisk as FullStateDisk } from '../../lib/disk/state-disk.js';
import type { NodeMetadata, NodeRole } from '../../lib/metadata/node-metadata.js';

export type { NodeMetadata, NodeRole } from '../../lib/metadata/node-metadata.js';
export type { ControlPlaneFile, JoinMaterial, KubernetesLayer } from '../../lib/kubernetes/kubernetes-layer.js';
export type { StateDiskProbe as DiskProbe } from '../../lib/disk/state-disk.js';

export interface MetadataSource {
  self(): Promise<NodeMetadata>;
  peers(): Promise<NodeMetadata[]>;
  /** SHA-256 of the init secret (32 bytes). */
  initSecretHash(): Promise<Buffer>;
}

/** lib/disk StateDisk without rekey (the Bootstrapper never rekeys). */
export type StateDisk = Omit<FullStateDisk, 'rekey'>;

/** The TPM operations the Bootstrapper itself performs (the hosts get the whole shared Tpm). */
export type NodeTpm = Pick<
  Tpm,
  'createEk' | 'createAk' | 'readEkCertificate' | 'activateCredential' | 'quote' | 'pcrRead' | 'pcrExtend' | 'flush'
>;

export interface ListenOn {
  readonly host: string;
  readonly port: number;
}

export interface RunningService {
  readonly address: string;
  close(): Promise<void>;
}

/** agents/kms/key-service-host.ts startKeyService, bound to its dependencies by main.ts. */
export type KeyServiceStarter = (options: {
  masterSecret: { key: Buffer; salt: Buffer };
  listen: ListenOn;
}) => Promise<RunningService>;

/** agents/joinservice/join-service-host.ts startJoinService, bound to the shared TPM, logger and EK trust. */
export type JoinServiceStarter = (options: {
  listen: ListenOn;
  kmsAddress: string;
  policy: JoinPolicy;
  adminPublicKey: KeyObject;
  cluster: ClusterMaterial;
}) => Promise<RunningService & { readonly akName: string }>;

/** agents/verification/verification-host.ts startVerificationService, bound to the shared TPM and logger. */
export type VerificationServiceStarter = (options: {
  grpcListen: ListenOn;
  httpListen: ListenOn;
}) => Promise<{ readonly grpcAddress: string; readonly httpAddress: string; close(): Promise<void> }>;

/** The milestones main.ts prints on stdout, one JSON line each (shared contract). */
export type Milestone =
  | { readonly event: 'serving-init'; readonly address: string }
  | { readonly event: 'joined'; readonly role: NodeRole }
  | { readonly event: 'initialized'; readonly clusterId: string }
  | { readonly event: 'waiting-for-recovery'; readonly address: string }
  | { readonly event: 'waiting-to-rejoin' }
  | { readonly event: 'recovered' }
  | { readonly event: 'rejoined' }
  | { readonly event: 'services'; readonly verification: string; readonly join?: string };

export type MilestoneSink = (milestone: Milestone) => void;
