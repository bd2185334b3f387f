export {
  createAttestedIdentity,
  serverCredentials,
  type AttestedIdentity,
  type IdentityOptions,
} from './attested-identity.js';
export { attesterService, MIN_ATTEST_NONCE, MAX_ATTEST_NONCE, type EvidenceIssuer } from './attester-service.js';
export {
  connectAttested,
  pinnedCredentials,
  isPinRejection,
  spkiOf,
  ATLS_SERVER_NOT_ATTESTED,
  ATLS_UNREACHABLE,
  ATLS_PINNED_KEY_CHANGED,
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
