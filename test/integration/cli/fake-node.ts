// A node as the CLI sees it, with a real swtpm (EK certificate from the test CA), a simulated measured boot
// (lib/boot, real TCG event log) and real TLS/gRPC servers: the Init and Recover servers with the aTLS
// Attester (ActivateCredential included), and a VerificationService. Their logic is a stand-in for the
// Bootstrapper's (init secret checked first, PCR 15 extended with the cluster measurement, recovery key
// accepted only if it matches), so the CLI commands can be tested without the whole local cluster.
import { createHash, timingSafeEqual } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Metadata,
  status,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Test } from 'tap';
import { Tpm } from '../../../native/index.js';
import { PURPOSE_LABEL } from '../../../agents/verification/purpose.js';
import {
  attesterService,
  createAttestedIdentity,
  serverCredentials,
  tpmCredentialActivator,
  type EvidenceIssuer,
} from '../../../lib/atls/index.js';
import { documentToMessage } from '../../../lib/attestation/document/document-codec.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { localImage, simulateBoot, type BootComponent } from '../../../lib/boot/index.js';
import { clusterMeasurementDigest, deriveClusterId, deriveMeasurementSecret } from '../../../lib/crypto/index.js';
import { bindServer, createServer, shutdownServer } from '../../../lib/rpc/create-server.js';
import { AttesterService } from '../../../proto/gen/atls.js';
import { InitServiceService, type InitRequest, type InitResponse } from '../../../proto/gen/init.js';
import { RecoverServiceService, type RecoverRequest, type RecoverResponse } from '../../../proto/gen/recover.js';
import {
  VerificationServiceService,
  type ActivateCredentialRequest,
  type ActivateCredentialResponse,
  type GetAttestationRequest,
  type GetAttestationResponse,
} from '../../../proto/gen/verify.js';
import { swtpmFor } from '../../helpers/swtpm.js';

export interface FakeNode {
  readonly tpm: Tpm;
  readonly components: BootComponent[];
  readonly issue: EvidenceIssuer;
  readonly activate: (blob: Buffer, secret: Buffer) => Promise<Buffer>;
}

export async function bootFakeNode(t: Test, dir: string, kernelCommandLine?: string): Promise<FakeNode> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const components = localImage(kernelCommandLine === undefined ? {} : { kernelCommandLine });
  const eventLogPath = join(dir, `event-log-${Math.random().toString(16).slice(2)}.bin`);
  await writeFile(eventLogPath, await simulateBoot(tpm, components));
  const ak = await tpm.createAk('ecc');
  const ek = await tpm.createEk('rsa');
  return {
    tpm,
    components,
    issue: async (nonce, binding) =>
      validateDocumentMessage((await issueQemuVtpmEvidence({ tpm, nonce, binding, ak, eventLogPath })).document),
    activate: tpmCredentialActivator(tpm, { ak, ek }),
  };
}

async function attestedServer(
  t: Test,
  node: FakeNode,
  host: string,
): Promise<{ server: Server; bind: () => Promise<string> }> {
  const identity = await createAttestedIdentity({ hosts: [host] });
  const server = createServer();
  server.addService(AttesterService, attesterService(node.issue, identity, { activate: node.activate }));
  t.teardown(() => shutdownServer(server));
  return {
    server,
    bind: async () => `${host}:${await bindServer(server, `${host}:0`, serverCredentials(identity))}`,
  };
}

function refuse(code: status, details: string): { code: status; details: string; metadata: Metadata } {
  return { code, details, metadata: new Metadata() };
}

export interface InitServerOptions {
  readonly initSecret: Buffer;
  /** Fail after the first progress message with this {code, message}. */
  readonly failWith?: { code: string; message: string };
  /** Called with every request that passed the init-secret check. */
  readonly onInit?: (request: InitRequest) => void;
}

/** Init stand-in: init secret first (PERMISSION_DENIED), then progress, PCR 15 extended, success. */
export async function startInitServer(
  t: Test,
  node: FakeNode,
  host: string,
  options: InitServerOptions,
): Promise<string> {
  const { server, bind } = await attestedServer(t, node, host);
  const expectedHash = createHash('sha256').update(options.initSecret).digest();
  server.addService(InitServiceService, {
    init: (call: ServerWritableStream<InitRequest, InitResponse>) => {
      void (async () => {
        const hash = createHash('sha256').update(call.request.initSecret).digest();
        if (!timingSafeEqual(hash, expectedHash)) {
          call.emit(
            'error',
            refuse(
              status.PERMISSION_DENIED,
              'INIT_SECRET_INVALID: expected the init secret of this cluster, found another',
            ),
          );
          return;
        }
        options.onInit?.(call.request);
        call.write({ progress: { step: 'disk', message: 'state disk prepared' } });
        if (options.failWith !== undefined) {
          call.write({ failure: options.failWith });
          call.end();
          return;
        }
        const master = { key: Buffer.from(call.request.masterKey), salt: Buffer.from(call.request.masterSalt) };
        const clusterId = deriveClusterId(deriveMeasurementSecret(master), Buffer.from(call.request.measurementSalt));
        await node.tpm.pcrExtend(15, { sha256: clusterMeasurementDigest(clusterId) });
        call.write({ progress: { step: 'kubernetes', message: 'admin kubeconfig issued' } });
        call.write({
          success: {
            kubeconfig: Buffer.from('apiVersion: v1\nkind: Config\n'),
            clusterId,
            ownerId: createHash('sha256').update('owner').update(master.key).digest(),
            nodeName: 'node-a',
          },
        });
        call.end();
      })();
    },
  });
  return bind();
}

/** Recover stand-in: accepts only `masterKey`; otherwise FAILED_PRECONDITION RECOVERY_KEY_REJECTED. */
export async function startRecoverServer(
  t: Test,
  node: FakeNode,
  host: string,
  masterKey: () => Buffer,
): Promise<string> {
  const { server, bind } = await attestedServer(t, node, host);
  server.addService(RecoverServiceService, {
    recover: (call: ServerUnaryCall<RecoverRequest, RecoverResponse>, callback: sendUnaryData<RecoverResponse>) => {
      if (!Buffer.from(call.request.masterKey).equals(masterKey())) {
        callback(
          refuse(status.FAILED_PRECONDITION, 'RECOVERY_KEY_REJECTED: expected the key of this disk, found another'),
        );
        return;
      }
      callback(null, { nodeName: 'node-b' });
    },
  });
  return bind();
}

/** VerificationService stand-in: GetAttestation bound to the purpose label, ActivateCredential by the node's TPM. */
export async function startVerificationServer(t: Test, node: FakeNode, listen: string): Promise<string> {
  const identity = await createAttestedIdentity({ hosts: [listen.split(':')[0] ?? '127.0.0.1'] });
  const server = createServer();
  server.addService(VerificationServiceService, {
    getAttestation: (
      call: ServerUnaryCall<GetAttestationRequest, GetAttestationResponse>,
      callback: sendUnaryData<GetAttestationResponse>,
    ) => {
      node
        .issue(Buffer.from(call.request.nonce), PURPOSE_LABEL)
        .then((document) => {
          callback(null, { document: documentToMessage(document) });
        })
        .catch((error: unknown) => {
          callback(refuse(status.INTERNAL, String(error)));
        });
    },
    activateCredential: (
      call: ServerUnaryCall<ActivateCredentialRequest, ActivateCredentialResponse>,
      callback: sendUnaryData<ActivateCredentialResponse>,
    ) => {
      node
        .activate(Buffer.from(call.request.credentialBlob), Buffer.from(call.request.encryptedSecret))
        .then((secret) => {
          callback(null, { secret });
        })
        .catch(() => {
          callback(refuse(status.FAILED_PRECONDITION, 'CREDENTIAL_NOT_ACTIVATED: the TPM refused'));
        });
    },
  });
  t.teardown(() => shutdownServer(server));
  const [host, port] = listen.split(':');
  return `${host ?? ''}:${await bindServer(server, `${host ?? ''}:${port ?? '0'}`, serverCredentials(identity))}`;
}
