// Running as a systemd service: readiness and stop notifications (sd_notify) and graceful shutdown.
export { notify, notifyReady, notifyStopping, type NotifyOptions } from './notify.js';
export {
  DEFAULT_SHUTDOWN_DEADLINE_MS,
  onShutdown,
  type ShutdownOptions,
  type ShutdownRequest,
  type SignalSource,
} from './shutdown.js';
