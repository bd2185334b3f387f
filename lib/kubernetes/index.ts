// The Kubernetes layer of a node and its "none" implementation (real cluster credentials, no Kubernetes).
export type {
  ControlPlaneFile,
  InitClusterInput,
  InitClusterResult,
  JoinClusterInput,
  JoinMaterial,
  KubernetesLayer,
} from './kubernetes-layer.js';
export {
  ADMIN_KUBECONFIG_FILE,
  API_SERVER_PORT,
  CA_CERTIFICATE_FILE,
  CA_KEY_FILE,
  JOIN_RECORD_FILE,
  noneKubernetes,
  type NoneKubernetesOptions,
} from './none-kubernetes.js';
export { createClusterCa, discoveryTokenCaCertHash, issueClientCertificate, type PemKeyPair } from './cluster-pki.js';
export { adminKubeconfig, type KubeconfigInput } from './kubeconfig.js';
export { checkControlPlaneFiles, checkRelativePath } from './state-files.js';
