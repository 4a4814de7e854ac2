/**
 * The metadata keys apid routes by: the node a request is for, and the caller's roles as apid
 * passes them to machined (which trusts them because only apid reaches its socket). Defined in
 * src/machinery, the contract stelectl and the daemons share.
 */
export { CALLER_ROLES_METADATA_KEY, NODE_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";
