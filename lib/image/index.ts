// Node image measurements: Authenticode and UKI sections of PE files, the PCRs a UKI's boot produces, and the
// signed measurements file that carries them to the CLI as policy. Pure TypeScript: no native code, no processes.
export { authenticodeSha256 } from './authenticode.js';
export { canonicalJson } from './canonical-json.js';
export { buildMeasurements, PRECOMPUTED_PCRS, type BuildMeasurementsInput } from './build-measurements.js';
export {
  MEASUREMENT_SOURCES,
  MEASUREMENTS_ERROR_CODES,
  MEASUREMENTS_VERSION,
  PCR_MODES,
  validateMeasurements,
  type MeasurementSource,
  type Measurements,
  type MeasurementsSignature,
  type PcrMeasurement,
  type PcrMode,
  type SignedMeasurements,
} from './measurements.js';
export { IMAGE_PARTIALLY_LOGGED_PCRS, IMAGE_UNLOGGED_PCRS, measurementsPolicy } from './measurements-policy.js';
export {
  encodeMeasurements,
  MAX_MEASUREMENTS_BYTES,
  signMeasurements,
  verifyMeasurements,
} from './measurements-signature.js';
export { parsePeImage, PE_INVALID, type PeImage, type PeSection } from './pe-image.js';
export { peChecksum, setPeTimestamp } from './pe-timestamp.js';
export {
  CALLING_BOOT_OPTION,
  DEFAULT_PCR_PHASES,
  predictUkiPcrs,
  RETURNING_FROM_BOOT_OPTION,
  STUB_MEASURED_SECTIONS,
  ukiBootEvents,
  type PredictedEvent,
  type UkiPcrInput,
  type UkiPcrs,
} from './predict-pcrs.js';
export {
  checkReleaseKey,
  parseReleasePrivateKey,
  parseReleasePublicKey,
  RELEASE_KEY_INVALID,
  releaseKeyId,
} from './release-key.js';
export { ukiSections } from './uki-sections.js';
export {
  assembleUki,
  stubObjcopyArguments,
  ukiObjcopyArguments,
  UKI_FILE,
  UKI_PARTS,
  UKI_SECTIONS,
  type ObjcopyRunner,
  type UkiInputs,
} from './uki-assembly.js';
