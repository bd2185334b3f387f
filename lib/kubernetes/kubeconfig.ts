// The admin kubeconfig (clientcmd v1 YAML) with the CA and the client certificate embedded as base64 data.
// The YAML library is loaded on first use: only the init node writes a kubeconfig, and every node's resident
// memory counts (a Bootstrapper must stay under 80 MB).

export interface KubeconfigInput {
  readonly clusterName: string;
  /** https://host:port of the API server. */
  readonly server: string;
  readonly caCertificatePem: string;
  readonly clientCertificatePem: string;
  readonly clientKeyPem: string;
  readonly userName: string;
  /** Put before the document as a YAML comment (e.g. that nothing listens at `server`). */
  readonly comment?: string;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export async function adminKubeconfig(input: KubeconfigInput): Promise<Buffer> {
  const { Document } = await import('yaml');
  const context = `${input.userName}@${input.clusterName}`;
  const document = new Document({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: input.clusterName,
        cluster: { server: input.server, 'certificate-authority-data': base64(input.caCertificatePem) },
      },
    ],
    users: [
      {
        name: input.userName,
        user: {
          'client-certificate-data': base64(input.clientCertificatePem),
          'client-key-data': base64(input.clientKeyPem),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: input.clusterName, user: input.userName } }],
    'current-context': context,
    preferences: {},
  });
  if (input.comment !== undefined) document.commentBefore = ` ${input.comment.replaceAll('\n', '\n ')}`;
  return Buffer.from(document.toString({ lineWidth: 0 }), 'utf8');
}
