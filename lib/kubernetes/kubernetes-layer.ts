// What the Bootstrapper needs from Kubernetes, whatever runs it: create a cluster on the first control-plane node,
// join further nodes with the material the JoinService hands out, restart after a reboot. `noneKubernetes` runs no
// Kubernetes at all but makes the real credentials (cluster CA, admin kubeconfig), so the flows around it are real.

export interface ControlPlaneFile {
  /** Relative path under the Kubernetes state directory, e.g. "pki/ca.crt". */
  readonly name: string;
  readonly data: Buffer;
}

/** What a joining node needs (kubeadm join's inputs); the JoinService passes it on after attesting the node. */
export interface JoinMaterial {
  /** host:port of the API server. */
  readonly apiServerEndpoint: string;
  /** kubeadm bootstrap token "[a-z0-9]{6}.[a-z0-9]{16}". Secret: never logged. */
  readonly token: string;
  /** "sha256:<hex>" of the cluster CA's SubjectPublicKeyInfo (kubeadm's discovery-token-ca-cert-hash). */
  readonly discoveryTokenCaCertHash: string;
  /** Files a new control-plane node needs (CA certificate and key); secret. */
  readonly controlPlaneFiles: readonly ControlPlaneFile[];
}

export interface InitClusterInput {
  readonly nodeName: string;
  readonly nodeAddress: string;
  readonly clusterName: string;
  /** Kubernetes configuration from the InitRequest (kubernetes_config); its meaning depends on the layer. */
  readonly config: Buffer;
}

export interface InitClusterResult {
  /** Admin kubeconfig (YAML) with a client certificate signed by the cluster CA. Secret. */
  readonly kubeconfig: Buffer;
  readonly join: JoinMaterial;
}

export interface JoinClusterInput {
  readonly nodeName: string;
  readonly role: 'worker' | 'control-plane';
  readonly apiServerEndpoint: string;
  readonly token: string;
  readonly discoveryTokenCaCertHash: string;
  readonly controlPlaneFiles: readonly ControlPlaneFile[];
}

export interface KubernetesLayer {
  initCluster(input: InitClusterInput, progress: (message: string) => void): Promise<InitClusterResult>;
  joinCluster(input: JoinClusterInput): Promise<void>;
  restart(): Promise<void>;
}
