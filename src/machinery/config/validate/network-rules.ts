import { formatConfigPath } from "../config-path.ts";
import { findDocument } from "../document-ref.ts";
import { type Cidr, cidrsOverlap, formatCidr, networkOf, parseCidr, parseIpAddress } from "../ip-address.ts";
import type { ClusterConfig } from "../schema/cluster-config.ts";
import type { ValidationContext, ValidationRule } from "./validation-context.ts";

const familyName = (family: 4 | 6) => `IPv${family}`;

/**
 * The Kubernetes API server allocates service addresses from a bitmap of at most 2^20 entries, so a
 * service prefix may leave at most 20 host bits.
 */
const MAX_SERVICE_HOST_BITS = 20;
/** kube-controller-manager's default per-node pod prefix lengths. */
const NODE_MASK = { 4: 24, 6: 64 } as const;

/**
 * Pod and service prefixes form a consistent single- or dual-stack plan: at most one prefix per
 * family, the same families in the same order for pods and services, services no larger than the
 * API server can allocate, pods large enough to give each node its own range, and no overlap.
 */
export const clusterSubnetsRule: ValidationRule = {
  id: "cluster-subnets",
  description:
    "Pod and service subnets: at most one IPv4 and one IPv6 prefix each, the same families in the same order, service prefixes at most 20 host bits, pod prefixes large enough for one /24 (IPv4) or /64 (IPv6) per node, and no overlap between pods and services. Host bits set in a prefix are a warning.",
  check(context) {
    const cluster = findDocument(context.parsed.documents, "ClusterConfig");
    if (!cluster) return;
    const pods = checkFamilies(context, cluster, "podSubnets");
    const services = checkFamilies(context, cluster, "serviceSubnets");
    if (pods && services) {
      const podFamilies = pods.map((c) => c.family).join(",");
      const serviceFamilies = services.map((c) => c.family).join(",");
      if (podFamilies !== serviceFamilies) {
        context.report(cluster, {
          path: ["network", "serviceSubnets"],
          message: `expected the same IP families in the same order as podSubnets (${pods.map((c) => familyName(c.family)).join(", ")}), got ${services.map((c) => familyName(c.family)).join(", ")}`,
          hint: "a dual-stack cluster lists one IPv4 and one IPv6 prefix in both, the primary family first",
        });
      }
    }
    const nodeMaskOverridden = Object.keys(cluster.controllerManager.extraArgs ?? {}).some((flag) =>
      flag.startsWith("node-cidr-mask-size"),
    );
    cluster.network.podSubnets.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr) return;
      const mask = NODE_MASK[cidr.family];
      if (!nodeMaskOverridden && cidr.prefix > mask) {
        context.report(cluster, {
          path: ["network", "podSubnets", i],
          message: `expected a prefix of /${mask} or shorter, got /${cidr.prefix}: each node gets a /${mask} of pod addresses`,
          hint: `use a larger prefix such as ${cidr.family === 4 ? "10.244.0.0/16" : "fd00:10:244::/56"}`,
        });
      } else if (!nodeMaskOverridden && cidr.family === 6 && mask - cidr.prefix > 16) {
        context.report(cluster, {
          path: ["network", "podSubnets", i],
          message: `expected an IPv6 prefix of /${mask - 16} or longer, got /${cidr.prefix}: kube-controller-manager allows at most 16 bits of node ranges`,
          hint: "use a /48 to /64 prefix, e.g. fd00:10:244::/56",
        });
      }
    });
    cluster.network.serviceSubnets.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr) return;
      const bits = cidr.family === 4 ? 32 : 128;
      if (bits - cidr.prefix > MAX_SERVICE_HOST_BITS) {
        context.report(cluster, {
          path: ["network", "serviceSubnets", i],
          message: `expected a prefix of /${bits - MAX_SERVICE_HOST_BITS} or longer, got /${cidr.prefix}: the API server allocates at most 2^20 service addresses`,
          hint: `use a smaller range such as ${cidr.family === 4 ? "10.96.0.0/12" : "fd00:10:96::/112"}`,
        });
      }
      cluster.network.podSubnets.forEach((podText, j) => {
        const pod = parseCidr(podText);
        if (pod && cidrsOverlap(cidr, pod)) {
          context.report(cluster, {
            path: ["network", "serviceSubnets", i],
            message: `overlaps network.podSubnets[${j}] (${podText}): pod and service addresses must be distinct`,
            hint: `pick non-overlapping ranges, e.g. ${cidr.family === 4 ? "pods 10.244.0.0/16 and services 10.96.0.0/12" : "pods fd00:10:244::/56 and services fd00:10:96::/112"}`,
          });
        }
      });
    });
  },
};

function checkFamilies(
  context: ValidationContext,
  cluster: ClusterConfig,
  field: "podSubnets" | "serviceSubnets",
): Cidr[] | undefined {
  const cidrs: Cidr[] = [];
  let ok = true;
  cluster.network[field].forEach((text, i) => {
    const cidr = parseCidr(text);
    if (!cidr) return;
    if (cidr.hostBitsSet) {
      context.report(cluster, {
        severity: "warning",
        path: ["network", field, i],
        message: `host bits are set: the prefix is ${formatCidr(networkOf(cidr))}`,
        hint: `write the network address: ${formatCidr(networkOf(cidr))}`,
      });
    }
    const twin = cidrs.findIndex((c) => c.family === cidr.family);
    if (twin >= 0) {
      ok = false;
      context.report(cluster, {
        path: ["network", field, i],
        message: `expected at most one ${familyName(cidr.family)} prefix, got a second one (the first is network.${field}[${twin}])`,
        hint: "list one prefix per family: one for single stack, one IPv4 and one IPv6 for dual stack",
      });
    }
    cidrs.push(cidr);
  });
  return ok ? cidrs : undefined;
}

/**
 * Interface settings the kernel would refuse or that are ambiguous: duplicate interface names
 * (patches merge interfaces by name), duplicate route destinations, gateways of the wrong family
 * and route destinations with host bits set.
 */
export const interfacesRule: ValidationRule = {
  id: "interfaces",
  description:
    "Each interface name appears once; within an interface each route destination appears once, has no host bits set, and its gateway is an address of the same family.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const interfaces = machine.network.interfaces ?? [];
    const seen = new Map<string, number>();
    interfaces.forEach((iface, i) => {
      const first = seen.get(iface.name);
      if (first !== undefined) {
        context.report(machine, {
          path: ["network", "interfaces", i, "name"],
          message: `duplicate interface ${JSON.stringify(iface.name)} (also network.interfaces[${first}])`,
          hint: "merge the settings of one interface into one entry",
        });
      } else {
        seen.set(iface.name, i);
      }
      const destinations = new Map<string, number>();
      (iface.routes ?? []).forEach((route, r) => {
        const base = ["network", "interfaces", i, "routes", r];
        const network = parseCidr(route.network);
        if (!network) return;
        const key = formatCidr(networkOf(network));
        const twin = destinations.get(key);
        if (twin !== undefined) {
          context.report(machine, {
            path: [...base, "network"],
            message: `duplicate route to ${key} (also ${formatConfigPath([...base.slice(0, -1), twin])})`,
            hint: "keep one route per destination on an interface; use metric to prefer one of two interfaces",
          });
        }
        destinations.set(key, r);
        if (network.hostBitsSet) {
          context.report(machine, {
            path: [...base, "network"],
            message: `expected a network address, got host bits set: the destination is ${key}`,
            hint: `write ${key}`,
          });
        }
        if (route.gateway !== undefined) {
          const gateway = parseIpAddress(route.gateway);
          if (gateway && gateway.family !== network.family) {
            context.report(machine, {
              path: [...base, "gateway"],
              message: `expected an ${familyName(network.family)} gateway for ${route.network}, got an ${familyName(gateway.family)} address`,
              hint: "a route's gateway is in the same family as its destination",
            });
          }
        }
      });
    });
  },
};
