export {
  createAttestedIdentity,
  serverCredentials,
  type AttestedIdentity,
  type IdentityOptions,
} from './attested-identity.js';
export {
  attesterService,
  MIN_ATTEST_NONCE,
  MAX_ATTEST_NONCE,
  MAX_CREDENTIAL_BLOB,
  MAX_ENCRYPTED_SECRET,
  CREDENTIAL_NOT_ACTIVATED,
  type AttesterOptions,
  type CredentialActivator,
  type EvidenceIssuer,
} from './attester-service.js';
export {
  ActivationLimiter,
  DEFAULT_ACTIVATION_LIMITS,
  RATE_LIMITED,
  type ActivationLimits,
} from './activation-limiter.js';
export { proveAttestedAk, ekTpmPublic, AK_ACTIVATION_FAILED, type RemoteActivation } from './credential-proof.js';
export { tpmCredentialActivator } from './tpm-activator.js';
export {
  connectAttested,
  ATTESTED_CHANNEL_OPTIONS,
  ATTESTED_SERVER_NAME,
  pinnedCredentials,
  isPinRejection,
  spkiOf,
  ATLS_SERVER_NOT_ATTESTED,
  ATLS_UNREACHABLE,
  ATLS_PINNED_KEY_CHANGED,
  type AttestationProof,
  type AttestedConnection,
  type ConnectAttestedOptions,
  type DocumentCheck,
} from './connect-attested.js';
export {
  ChallengeBook,
  CHALLENGE_ID_LENGTH,
  systemClock,
  type Challenge,
  type ChallengeBookOptions,
  type Clock,
} from './challenge-book.js';
export { sealTo, openSealed } from './envelope.js';
