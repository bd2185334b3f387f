// The node's in-process services (shared contract "Topology": the Bootstrapper is the only TPM user on a node,
// so it hosts them with its one Tpm): the VerificationService on every node, and on a control-plane node that
// holds the cluster's keys the KMS (loopback, ephemeral port) and the JoinService on JOIN_PORT.
import { adminSigningKey } from '../../lib/crypto/index.js';
import { JOIN_PORT, VERIFY_GRPC_PORT, VERIFY_HTTP_PORT } from '../../lib/cluster/ports.js';
import { parseJoinPolicyBytes } from '../joinservice/join-policy.js';
import type { ControlPlaneKeys } from './node-state.js';
import type { JoinServiceStarter, KeyServiceStarter, VerificationServiceStarter } from './ports.js';

export interface NodeServicesOptions {
  readonly nodeAddress: string;
  readonly startKeyService: KeyServiceStarter;
  readonly startJoinService: JoinServiceStarter;
  readonly startVerificationService: VerificationServiceStarter;
  /** Overrides for tests; default the well-known ports (lib/cluster/ports.ts). */
  readonly ports?: { readonly join?: number; readonly verifyGrpc?: number; readonly verifyHttp?: number };
}

export interface ServiceAddresses {
  readonly verification?: string;
  readonly join?: string;
}

export class NodeServices {
  readonly #options: NodeServicesOptions;
  readonly #closers: (() => Promise<void>)[] = [];
  #addresses: ServiceAddresses = {};

  constructor(options: NodeServicesOptions) {
    this.#options = options;
  }

  get addresses(): ServiceAddresses {
    return this.#addresses;
  }

  async startVerification(): Promise<string> {
    const { nodeAddress, ports } = this.#options;
    const service = await this.#options.startVerificationService({
      grpcListen: { host: nodeAddress, port: ports?.verifyGrpc ?? VERIFY_GRPC_PORT },
      httpListen: { host: nodeAddress, port: ports?.verifyHttp ?? VERIFY_HTTP_PORT },
    });
    this.#closers.push(() => service.close());
    this.#addresses = { ...this.#addresses, verification: service.grpcAddress };
    return service.grpcAddress;
  }

  /** KMS + JoinService of a key-holding control-plane node; returns the JoinService address. */
  async startKeyHolder(keys: ControlPlaneKeys): Promise<string> {
    const kms = await this.#options.startKeyService({
      masterSecret: keys.masterSecret,
      listen: { host: '127.0.0.1', port: 0 },
    });
    this.#closers.push(() => kms.close());
    const join = await this.#options.startJoinService({
      listen: { host: this.#options.nodeAddress, port: this.#options.ports?.join ?? JOIN_PORT },
      kmsAddress: kms.address,
      policy: parseJoinPolicyBytes(keys.joinPolicyJson, keys.joinPolicyVersion),
      adminPublicKey: adminSigningKey(keys.masterSecret).publicKey,
      cluster: keys.cluster,
    });
    // The JoinService needs the KMS: close it first.
    this.#closers.push(() => join.close());
    this.#addresses = { ...this.#addresses, join: join.address };
    return join.address;
  }

  /** Stops everything in reverse start order. */
  async close(): Promise<void> {
    while (this.#closers.length > 0) await this.#closers.pop()?.();
  }
}
