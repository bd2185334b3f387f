// What the join protocol needs from the outside, injected by main.ts (or by tests): challenges, sealing,
// keys and cluster material. Keeps the protocol free of sockets and files.
export interface ChallengeIssuer {
  /** A stateless challenge for `context`: any replica with the same key can redeem it. */
  issue(context: Buffer): { readonly id: Buffer; readonly secret: Buffer };
  /** Throws VerificationError CHALLENGE_INVALID / CHALLENGE_EXPIRED / CHALLENGE_REPLAYED. */
  redeem(id: Buffer, context: Buffer, secret: Buffer): void;
}

/** Seals `plaintext` to a P-256 SPKI (ECDH + HKDF + AES-GCM) with `aad` authenticated. */
export type Sealer = (recipientSpkiDer: Buffer, plaintext: Buffer, aad: Buffer) => Buffer;

/** Data keys derived from the master secret (the KMS agent over loopback gRPC, or in-process for tests). */
export interface KeySource {
  getDataKey(id: string, length: number): Promise<Buffer>;
}

/** Material a control-plane node receives in addition to a worker's. Secret. */
export interface ControlPlaneMaterial {
  readonly files: readonly { readonly name: string; readonly data: Buffer }[];
}

/** Cluster-wide, non-node-specific join material. */
export interface ClusterMaterial {
  /** Public salt of the measurement secret (set at init). */
  readonly measurementSalt: Buffer;
  readonly apiServerEndpoint: string;
  readonly token: string;
  readonly discoveryTokenCaCertHash: string;
  readonly controlPlane: ControlPlaneMaterial;
}
