import { type ChannelCredentials, Client, connectivityState } from "@grpc/grpc-js";

/** Options of `firstReachableEndpoint`. */
export interface FirstReachableEndpointOptions {
  /** How long to wait for one endpoint before trying the next; 5 seconds by default. */
  timeoutMs?: number;
}

/**
 * The first of `addresses` a TLS connection can be made to, tried in order, or the first one when
 * none answers, so that the call made next fails with that endpoint's own reason (connection
 * refused, unknown host…) rather than a vague "no endpoint". One address is returned untried:
 * the call reports its failure as well as a probe would, one round trip sooner.
 */
export async function firstReachableEndpoint(
  addresses: readonly string[],
  credentials: ChannelCredentials,
  options: FirstReachableEndpointOptions = {},
): Promise<string> {
  if (addresses.length <= 1) return addresses[0] ?? "";
  for (const address of addresses) {
    const probe = new Client(address, credentials);
    try {
      if (await becomesReady(probe.getChannel(), Date.now() + (options.timeoutMs ?? 5000))) return address;
    } finally {
      probe.close();
    }
  }
  return addresses[0] ?? "";
}

function becomesReady(channel: ReturnType<Client["getChannel"]>, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) {
        resolve(true);
      } else if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) {
        resolve(false);
      } else {
        channel.watchConnectivityState(state, deadline, (error) => (error ? resolve(false) : check()));
      }
    };
    check();
  });
}
