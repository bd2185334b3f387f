// The metadata service's data model and client (the service itself is agents/metadata).
export {
  MAX_PEERS,
  METADATA_INVALID,
  NODE_ROLES,
  parseInitSecretHash,
  parseNodeMetadata,
  parsePeers,
  type NodeMetadata,
  type NodeRole,
} from './node-metadata.js';
export {
  createMetadataClient,
  DEFAULT_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  METADATA_UNREACHABLE,
  type MetadataClient,
  type MetadataClientOptions,
} from './metadata-client.js';
export { MAX_INVENTORY_BYTES, parseInventory, readInventory, writeInventory, type Inventory } from './inventory.js';
