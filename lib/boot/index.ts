// Simulated measured boot of a local node: the image's components, the TCG event log, the PCR prediction and the
// policy that accepts the image.
export {
  BOOT_BANKS,
  BOOT_PCRS,
  checkBootComponents,
  eventTypeNumber,
  MAX_EVENT_DATA_BYTES,
  type BootComponent,
} from './boot-component.js';
export { expectedPcrs, measurementDigests, type ExpectedPcrs } from './expected-pcrs.js';
export {
  CLUSTER_MEASUREMENT_PCR,
  imagePolicy,
  withClusterMeasurement,
  type ImagePolicyJson,
  type ImagePolicyOptions,
  type PcrRuleJson,
} from './image-policy.js';
export {
  DEFAULT_KERNEL_COMMAND_LINE,
  FIRMWARE_VERSION,
  localImage,
  UKI_PATH,
  type LocalImageOptions,
} from './local-image.js';
export { simulateBoot, type SimulateBootOptions } from './simulate-boot.js';
export { encodeEventLog } from './tcg-event-log.js';
