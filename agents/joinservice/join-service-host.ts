// Hosts the JoinService: protocol (policy store, challenge book, KMS key source, audit) + gRPC server with
// the Attester on one attested TLS identity, quoting with an AK of the TPM it is given. main.ts starts it as
// its own process; the Bootstrapper starts it in-process on a control-plane node, sharing its one Tpm (swtpm
// and /dev/tpmrm0 users are serialized by the Tpm's queue). The host never closes that Tpm: it only flushes
// the AK and EK handles it created.
import { randomBytes, type KeyObject } from 'node:crypto';
import type { KeyHandle, Tpm } from '../../native/tpm.js';
import { ChallengeBook, createAttestedIdentity, sealTo, tpmCredentialActivator } from '../../lib/atls/index.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { formatListenAddress, type ListenAddress } from '../../lib/config/index.js';
import { auditLog, type Logger } from '../../lib/log/index.js';
import { invalidArgument } from '../../lib/errors.js';
import { loggerAudit, type AuditSink } from './audit.js';
import { createJoinProtocol } from './join-protocol.js';
import type { JoinPolicy } from './join-policy.js';
import { kmsKeySource } from './kms-key-source.js';
import { PolicyStore, type SignedPolicyUpdate } from './policy-store.js';
import type { ClusterMaterial } from './ports.js';
import { startJoinServer } from './server.js';

export const DEFAULT_CHALLENGE_TTL_MS = 60_000;

export interface JoinServiceOptions {
  /** Shared with the rest of the node; NOT closed by the service. */
  readonly tpm: Tpm;
  readonly logger: Logger;
  readonly listen: ListenAddress;
  /** Loopback "host:port" of the KMS KeyService. */
  readonly kmsAddress: string;
  readonly policy: JoinPolicy;
  /** Ed25519 key whose signature a policy update must carry. */
  readonly adminPublicKey: KeyObject;
  /** EK manufacturer roots and intermediates (PEM) nodes' EK certificates must chain to. */
  readonly ekTrust: { readonly ekRoots: readonly string[]; readonly ekIntermediates?: readonly string[] };
  /** Secret cluster material (join token, control-plane files). */
  readonly cluster: ClusterMaterial;
  /** 32-byte HMAC key shared by replicas so any of them redeems a challenge; default random. */
  readonly challengeKey?: Buffer;
  readonly challengeTtlMs?: number;
  /** TCG event log of this node for the Attester's evidence. */
  readonly eventLogPath?: string;
  /** Audited limit of IssueJoinTicket / IssueRejoinTicket / UpdatePolicy requests (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** Where audit lines go; default the logger's audit log. */
  readonly audit?: AuditSink;
  /**
   * The node's loaded AK (ECC) and EK (RSA) to quote and activate with, lent by the Bootstrapper that shares
   * them among its services (a TPM has few transient object slots; swtpm: 3). Lent keys are not flushed.
   */
  readonly keys?: { readonly ak: KeyHandle; readonly ek: KeyHandle };
}

export interface RunningJoinService {
  /** The bound address, e.g. "127.42.0.11:30090". */
  readonly address: string;
  /** Hex name of the AK the Attester quotes with (stable per TPM: derived from the EK hierarchy). */
  readonly akName: string;
  /** The policy in force. */
  policy(): JoinPolicy;
  /** The same admin-signed update as the UpdatePolicy RPC (e.g. the Bootstrapper restoring a newer policy). */
  updatePolicy(update: SignedPolicyUpdate): JoinPolicy;
  /** Stops serving (graceful, forced after `deadlineMs`), closes the KMS channel, flushes its AK and EK. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startJoinService(options: JoinServiceOptions): Promise<RunningJoinService> {
  const challengeKey = options.challengeKey ?? randomBytes(32);
  if (challengeKey.length !== 32) throw invalidArgument('challengeKey', 'a 32-byte HMAC key', challengeKey);
  const policies = new PolicyStore(options.policy, options.adminPublicKey);
  const keys = kmsKeySource(options.kmsAddress);
  const protocol = createJoinProtocol({
    policies,
    challenges: new ChallengeBook({ key: challengeKey, ttlMs: options.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS }),
    seal: sealTo,
    keys,
    cluster: options.cluster,
    ekTrust: {
      ekRoots: options.ekTrust.ekRoots,
      ...(options.ekTrust.ekIntermediates === undefined ? {} : { ekIntermediates: options.ekTrust.ekIntermediates }),
    },
    audit: options.audit ?? loggerAudit(auditLog(options.logger.child({ component: 'audit' }))),
    now: () => new Date(),
  });
  const { tpm } = options;
  // The AK is derived from the EK hierarchy, so its name is stable per TPM: nodes pin it, and prove it by an
  // activation round against the EK (Attester.ActivateCredential) when they attest the service.
  const lent = options.keys;
  const ak = lent?.ak ?? (await tpm.createAk('ecc'));
  const ek = lent?.ek ?? (await tpm.createEk('rsa'));
  const flushKeys = async (): Promise<void> => {
    if (lent !== undefined) return;
    await tpm.flush(ak);
    await tpm.flush(ek);
  };
  let server;
  try {
    server = await startJoinServer({
      protocol,
      identity: await createAttestedIdentity(),
      address: formatListenAddress(options.listen),
      activate: tpmCredentialActivator(tpm, { ak, ek }),
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
      issueEvidence: async (nonce, binding) => {
        const { document } = await issueQemuVtpmEvidence({
          tpm,
          nonce,
          binding,
          ak,
          ...(options.eventLogPath === undefined ? {} : { eventLogPath: options.eventLogPath }),
        });
        return validateDocumentMessage(document);
      },
    });
  } catch (error) {
    keys.close();
    await flushKeys();
    throw error;
  }
  const running = server;
  const address = formatListenAddress({ host: options.listen.host, port: running.port });
  let closing: Promise<void> | undefined;
  return {
    address,
    akName: ak.name.toString('hex'),
    policy: () => policies.current(),
    updatePolicy: (update) => policies.update(update),
    close: (deadlineMs) => {
      closing ??= (async () => {
        await running.close(deadlineMs);
        keys.close();
        await flushKeys();
      })();
      return closing;
    },
  };
}
