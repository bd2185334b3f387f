// Test client for the Bootstrapper's attested servers (the CLI's is helper C's): attests the node (EK chained to
// the test CA, AK proven by credential activation, PCR 15 as expected), then calls Init or Recover on the
// pinned channel. Collects every streamed message and the final status.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { connectAttested, type DocumentCheck } from '../../../lib/atls/index.js';
import { verifyDocument } from '../../../lib/attestation/verify/document-verifier.js';
import type { VerifiedMachineState } from '../../../lib/attestation/verify/machine-state.js';
import { InitServiceClient, type InitRequest, type InitResponse } from '../../../proto/gen/init.js';
import { RecoverServiceClient, type RecoverRequest, type RecoverResponse } from '../../../proto/gen/recover.js';

export interface NodeTrust {
  readonly ekRoots: string[];
  readonly ekIntermediates: string[];
  /** Expected sha256 PCR 15 (all zero for a node waiting for Init or recovery). */
  readonly pcr15?: Buffer;
}

export function nodeCheck(trust: NodeTrust): DocumentCheck<VerifiedMachineState> {
  const check = async (
    document: Parameters<DocumentCheck>[0],
    qualifyingData: Buffer,
    proof: Parameters<DocumentCheck>[2],
  ): Promise<VerifiedMachineState> => {
    if (proof.activation === undefined) throw new Error('expected an AK proof');
    const state = await verifyDocument(
      document,
      {
        tpm: {
          ekRoots: trust.ekRoots,
          ekIntermediates: trust.ekIntermediates,
          ak: { mode: 'credential-activation', activated: proof.activation },
        },
      },
      { qualifyingData },
      new Date(),
    );
    const pcr15 = state.tpm?.pcrs.sha256?.[15];
    if (trust.pcr15 !== undefined && (pcr15 === undefined || !pcr15.equals(trust.pcr15))) {
      throw new Error(`PCR 15 expected ${trust.pcr15.toString('hex')}, found ${pcr15?.toString('hex') ?? 'none'}`);
    }
    return state;
  };
  return Object.assign(check, { requiresAkProof: true });
}

export interface InitOutcome {
  readonly messages: InitResponse[];
  readonly error?: ServiceError;
}

export async function callInit(address: string, trust: NodeTrust, request: InitRequest): Promise<InitOutcome> {
  const connection = await connectAttested({ address, verify: nodeCheck(trust) });
  const client = new InitServiceClient(connection.target, connection.credentials, connection.channelOptions);
  const messages: InitResponse[] = [];
  try {
    return await new Promise<InitOutcome>((resolve) => {
      const stream = client.init(request, { deadline: Date.now() + 60_000 });
      stream.on('data', (message: InitResponse) => messages.push(message));
      stream.on('error', (error: ServiceError) => {
        resolve({ messages, error });
      });
      stream.on('end', () => {
        resolve({ messages });
      });
    });
  } finally {
    client.close();
  }
}

export async function callRecover(
  address: string,
  trust: NodeTrust,
  request: RecoverRequest,
): Promise<{ response?: RecoverResponse; error?: ServiceError }> {
  const connection = await connectAttested({ address, verify: nodeCheck(trust) });
  const client = new RecoverServiceClient(connection.target, connection.credentials, connection.channelOptions);
  try {
    return await new Promise((resolve) => {
      client.recover(request, new Metadata(), { deadline: Date.now() + 30_000 }, (error, response) => {
        resolve(error === null ? { response } : { error });
      });
    });
  } finally {
    client.close();
  }
}
