/**
 * Log shipping of machined: every stored log line, as a JSON line, to the collectors of
 * `logging.destinations` over TCP, UDP or TLS 1.3 with a pinned CA, without ever blocking the
 * logger; status as LogDestinationStatus resources.
 */

export { LogDestinationStatus, type LogDestinationStatusSpec } from "./log-destination-status.ts";
export { type LogEndpoint, type LogTransport, parseLogEndpoint } from "./log-endpoint.ts";
export {
  type LogDestination,
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
  MAX_DATAGRAM_BYTES,
  type ShipperReport,
} from "./log-shipper.ts";
export {
  DEFAULT_BOOT_BACKLOG_LINES,
  KERNEL_NOT_SHIPPED_ON_CONTAINER,
  KERNEL_SHIPPED,
  LogShipping,
  type LogShippingOptions,
} from "./log-shipping.ts";
export {
  DEFAULT_SHIP_QUEUE_BYTES,
  DEFAULT_SHIP_QUEUE_LINES,
  ShipQueue,
  type ShipQueueOptions,
} from "./ship-queue.ts";
export {
  formatDroppedMarker,
  formatKernelLine,
  formatShippedLine,
  KERNEL_SERVICE,
  type ShippedLine,
  truncateShippedLine,
} from "./shipped-line.ts";
