// Well-known ports of a node's services. Every node listens on its own address (a VM's IP, or a 127.42.0.x
// loopback address in the local process cluster), so the same ports serve every node.

/** Bootstrapper Init service (first control-plane node, before init). */
export const INIT_PORT = 9000;
/** Bootstrapper Recover service (control-plane node with an initialised state disk, after a full shutdown). */
export const RECOVER_PORT = 9999;
/** JoinService (control-plane nodes, after init). */
export const JOIN_PORT = 30090;
/** VerificationService gRPC (every node). */
export const VERIFY_GRPC_PORT = 9090;
/** VerificationService HTTP (every node). */
export const VERIFY_HTTP_PORT = 8080;
/** Host-side metadata service of the local cluster (untrusted, like a cloud's). */
export const METADATA_PORT = 8080;

/** Local process cluster: the metadata service's address and the first node address (node i: .(10+i)). */
export const LOCAL_METADATA_HOST = '127.42.0.1';
export const LOCAL_NODE_HOST_BASE = 10;
export function localNodeHost(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 200) {
    throw new RangeError(`expected a node index 0-200, got ${String(index)}`);
  }
  return `127.42.0.${String(LOCAL_NODE_HOST_BASE + index)}`;
}
