/**
 * A valid config that exercises most of the schema, with placeholder PEM text (the loader does not
 * parse PEM; validateConfig does). Small, so property tests can parse thousands of mutations of it
 * quickly.
 */
export const SAMPLE_CONFIG = `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
type: controlplane
token: abcdef.0123456789abcdef
ca:
  crt: |
    -----BEGIN CERTIFICATE-----
    placeholder
    -----END CERTIFICATE-----
  key: placeholder
certSANs: [cp-1.example.com, 10.0.0.11]
install:
  disk: /dev/sda
  image: ghcr.io/stele-os/installer:v0.1.0
  extraKernelArgs: [console=ttyS0]
network:
  hostname: cp-1
  interfaces:
    - name: eth0
      dhcp: false
      addresses: [10.0.0.11/24, "fd00::11/64"]
      routes:
        - network: 0.0.0.0/0
          gateway: 10.0.0.1
          metric: 100
      mtu: 1500
  nameservers: [10.0.0.1]
sysctls:
  net.ipv4.ip_forward: "1"
  vm.swappiness: 10
files:
  - path: /var/lib/app/config.toml
    content: |
      [app]
      port = 8080
    permissions: 0o600
    op: overwrite
time:
  servers: [time.cloudflare.com]
logging:
  destinations:
    - endpoint: udp://10.0.0.5:5514
      kernel: true
registries:
  mirrors:
    docker.io:
      endpoints: [https://mirror.example.com]
kubelet:
  extraArgs:
    rotate-certificates: true
  extraConfig:
    serverTLSBootstrap: true
  nodeIPSubnets: [10.0.0.0/24]
logs:
  bufferBytes: 2097152
features:
  rbac: true
---
apiVersion: stele.dev/v1alpha1
kind: ClusterConfig
clusterName: test
id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
secret: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
controlPlane:
  endpoint: https://10.0.0.10:6443
kubernetesVersion: "1.37"
network:
  podSubnets: [10.244.0.0/16]
ca:
  crt: placeholder
aggregatorCA:
  crt: placeholder
bootstrapToken: 123456.abcdefghijklmnop
etcd:
  ca:
    crt: placeholder
  advertisedSubnets: [10.0.0.0/24]
apiServer:
  certSANs: [api.example.com]
  extraArgs:
    audit-log-maxage: 30
proxy:
  mode: nftables
inlineManifests:
  - name: cni
    contents: |
      apiVersion: v1
      kind: Namespace
---
apiVersion: stele.dev/v1alpha1
kind: TrustedKeysConfig
keys:
  - name: release
    publicKey: placeholder
---
apiVersion: stele.dev/v1alpha1
kind: ExtensionsConfig
extensions:
  - name: gvisor
    image: ghcr.io/example/gvisor:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
---
apiVersion: stele.dev/v1alpha1
kind: TrustedRootsConfig
name: corp
certificates: placeholder
`;
