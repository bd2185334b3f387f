// Kubernetes mode "none": no API server, kubelet or etcd runs, but the credentials are real. initCluster creates
// the cluster CA (pki/ca.crt, pki/ca.key under stateDir) and an admin kubeconfig whose client certificate the CA
// signs; the join material carries a kubeadm-style token and CA hash; joinCluster checks the CA hash against the CA
// it receives (as kubeadm discovery does) and stores the control-plane files. So init, join and recovery move the
// same secrets they would with Kubernetes, and tests can check them.
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { ConstellationError, invalidArgument } from '../errors.js';
import { createClusterCa, discoveryTokenCaCertHash, issueClientCertificate } from './cluster-pki.js';
import { adminKubeconfig } from './kubeconfig.js';
import type { InitClusterInput, InitClusterResult, JoinClusterInput, KubernetesLayer } from './kubernetes-layer.js';
import { checkControlPlaneFiles, readStateFile, writeStateFile } from './state-files.js';

export const API_SERVER_PORT = 6443;
export const CA_CERTIFICATE_FILE = 'pki/ca.crt';
export const CA_KEY_FILE = 'pki/ca.key';
export const ADMIN_KUBECONFIG_FILE = 'admin.conf';
export const JOIN_RECORD_FILE = 'kubernetes-join.json';
export const MAX_CONFIG_BYTES = 64 * 1024;
const ADMIN_USER = 'kubernetes-admin';
const NAME = /^[a-z0-9-]{1,63}$/;
const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const CA_HASH = /^sha256:[0-9a-f]{64}$/;
const ENDPOINT = /^(?:\[[0-9a-fA-F:]+\]|[0-9.]+):\d{1,5}$/;
const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NoneKubernetesOptions {
  /** Where the PKI, the admin kubeconfig and the join record live (on the node's state disk). */
  readonly stateDir: string;
}

function bootstrapToken(): string {
  const pick = (length: number): string =>
    Array.from({ length }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function checkInit(input: InitClusterInput): void {
  if (typeof input.nodeName !== 'string' || !NAME.test(input.nodeName)) {
    throw invalidArgument('nodeName', 'a name of 1-63 characters a-z, 0-9 or -', input.nodeName);
  }
  if (typeof input.clusterName !== 'string' || !NAME.test(input.clusterName)) {
    throw invalidArgument('clusterName', 'a name of 1-63 characters a-z, 0-9 or -', input.clusterName);
  }
  if (typeof input.nodeAddress !== 'string' || isIP(input.nodeAddress) === 0) {
    throw invalidArgument('nodeAddress', 'an IPv4 or IPv6 address', input.nodeAddress);
  }
  if (!Buffer.isBuffer(input.config) || input.config.length > MAX_CONFIG_BYTES) {
    throw invalidArgument('config', `a Buffer of at most ${MAX_CONFIG_BYTES} bytes`, input.config);
  }
}

function checkJoin(input: JoinClusterInput): void {
  if (typeof input.nodeName !== 'string' || !NAME.test(input.nodeName)) {
    throw invalidArgument('nodeName', 'a name of 1-63 characters a-z, 0-9 or -', input.nodeName);
  }
  const role: unknown = input.role;
  if (role !== 'worker' && role !== 'control-plane') {
    throw invalidArgument('role', '"worker" or "control-plane"', input.role);
  }
  if (typeof input.apiServerEndpoint !== 'string' || !ENDPOINT.test(input.apiServerEndpoint)) {
    throw invalidArgument('apiServerEndpoint', 'ip:port', input.apiServerEndpoint);
  }
  // The token is a secret: say what was wrong with it, not what it was.
  if (typeof input.token !== 'string' || !TOKEN.test(input.token)) {
    throw new ConstellationError(
      'INVALID_ARGUMENT',
      'Expected a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16} for token, found something else',
    );
  }
  if (typeof input.discoveryTokenCaCertHash !== 'string' || !CA_HASH.test(input.discoveryTokenCaCertHash)) {
    throw invalidArgument(
      'discoveryTokenCaCertHash',
      '"sha256:" and 64 hex characters',
      input.discoveryTokenCaCertHash,
    );
  }
  checkControlPlaneFiles(input.controlPlaneFiles);
  if (input.role === 'worker' && input.controlPlaneFiles.length > 0) {
    throw invalidArgument('controlPlaneFiles', 'no files for a worker', `${input.controlPlaneFiles.length} files`);
  }
}

export function noneKubernetes(options: NoneKubernetesOptions): KubernetesLayer {
  const { stateDir } = options;
  if (typeof stateDir !== 'string' || stateDir === '') throw invalidArgument('stateDir', 'a directory path', stateDir);
  return {
    async initCluster(input: InitClusterInput, progress: (message: string) => void): Promise<InitClusterResult> {
      checkInit(input);
      if ((await readStateFile(stateDir, CA_CERTIFICATE_FILE)) !== undefined) {
        throw new ConstellationError(
          'KUBERNETES_ALREADY_INITIALIZED',
          `Expected no cluster CA in ${stateDir} before init, found ${CA_CERTIFICATE_FILE}: this node already belongs to a cluster`,
        );
      }
      progress('creating the cluster CA');
      const ca = await createClusterCa();
      progress('issuing the admin client certificate');
      const admin = await issueClientCertificate(ca, { commonName: ADMIN_USER, groups: ['system:masters'] });
      const server = `https://${hostPort(input.nodeAddress, API_SERVER_PORT)}`;
      const kubeconfig = await adminKubeconfig({
        clusterName: input.clusterName,
        server,
        caCertificatePem: ca.certificatePem,
        clientCertificatePem: admin.certificatePem,
        clientKeyPem: admin.keyPem,
        userName: ADMIN_USER,
        comment:
          `Kubernetes mode "none": nothing listens at ${server}. The cluster CA and this client certificate are ` +
          'real; a later Kubernetes layer serves them.',
      });
      const caCertificate = Buffer.from(ca.certificatePem);
      const caKey = Buffer.from(ca.keyPem);
      // The key first: a CA certificate on disk means "initialised", so it must never exist without its key.
      await writeStateFile(stateDir, CA_KEY_FILE, caKey);
      await writeStateFile(stateDir, CA_CERTIFICATE_FILE, caCertificate);
      await writeStateFile(stateDir, ADMIN_KUBECONFIG_FILE, kubeconfig);
      progress('cluster credentials ready (Kubernetes mode "none": no control plane runs)');
      return {
        kubeconfig,
        join: {
          apiServerEndpoint: hostPort(input.nodeAddress, API_SERVER_PORT),
          token: bootstrapToken(),
          discoveryTokenCaCertHash: discoveryTokenCaCertHash(caCertificate),
          controlPlaneFiles: [
            { name: CA_CERTIFICATE_FILE, data: caCertificate },
            { name: CA_KEY_FILE, data: caKey },
          ],
        },
      };
    },

    async joinCluster(input: JoinClusterInput): Promise<void> {
      checkJoin(input);
      const caFile = input.controlPlaneFiles.find((file) => file.name === CA_CERTIFICATE_FILE);
      if (input.role === 'control-plane') {
        if (caFile === undefined || !input.controlPlaneFiles.some((file) => file.name === CA_KEY_FILE)) {
          throw invalidArgument(
            'controlPlaneFiles',
            `${CA_CERTIFICATE_FILE} and ${CA_KEY_FILE} for a control-plane node`,
            input.controlPlaneFiles.map((file) => file.name),
          );
        }
        // kubeadm's discovery check: the CA we were handed is the one the token's hash names.
        let actual: string;
        try {
          actual = discoveryTokenCaCertHash(caFile.data);
        } catch (error) {
          throw new ConstellationError(
            'KUBERNETES_CA_INVALID',
            `Expected a PEM certificate in ${CA_CERTIFICATE_FILE}`,
            {
              cause: error,
            },
          );
        }
        if (actual !== input.discoveryTokenCaCertHash) {
          throw new ConstellationError(
            'KUBERNETES_CA_MISMATCH',
            `Expected the cluster CA to hash to ${input.discoveryTokenCaCertHash}, found ${actual}`,
          );
        }
        for (const file of input.controlPlaneFiles) await writeStateFile(stateDir, file.name, file.data);
      }
      const record = {
        nodeName: input.nodeName,
        role: input.role,
        apiServerEndpoint: input.apiServerEndpoint,
        discoveryTokenCaCertHash: input.discoveryTokenCaCertHash,
      };
      await writeStateFile(stateDir, JOIN_RECORD_FILE, Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
    },

    async restart(): Promise<void> {
      // Nothing runs in mode "none"; a reboot has nothing to start again.
    },
  };
}
