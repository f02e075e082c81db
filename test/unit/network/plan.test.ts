import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandConfig } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { hostsFile, parseIpv4, planBridgeNetwork } from '../../../src/network/bridge-plan.js';
import { portForwards } from '../../../src/network/bridge-ports.js';
import { cutBatch, hubSetupScript } from '../../../src/network/bridge-hub.js';

/** A child command with only the fields the plan reads. */
function child(extra: Partial<CommandConfig>): CommandConfig {
  return { kind: 'Command', name: 'x', isolateNetwork: false, ...extra } as unknown as CommandConfig;
}

const net = (ip?: string, hostname?: string, ports: Record<string, number> = {}) => child({ network: { ...(ip ? { ip } : {}), ...(hostname ? { hostname } : {}), ports } });

const failsWith = (code: string, re: RegExp) => (e: unknown) => e instanceof VaggaError && e.code === code && re.test(e.message);

test('parseIpv4 accepts dotted quads only', () => {
  assert.deepEqual(parseIpv4('172.23.0.1'), [172, 23, 0, 1]);
  for (const bad of ['172.23.0', '172.23.0.256', '172.23.00.1', 'a.b.c.d', '172.23.0.1/16', ' 172.23.0.1']) assert.equal(parseIpv4(bad), undefined, bad);
});

test('no network children: no plan (the host network, as before)', () => {
  assert.equal(planBridgeNetwork({ a: child({}) }, ['a'], false), undefined);
});

test('nodes sorted by name, hostname defaults to the child name, bridge children listed', () => {
  const children = { web: net('172.23.0.2', 'www'), db: net('172.23.0.1'), drv: child({ bridge: true }), plain: child({}) };
  const plan = planBridgeNetwork(children, ['web', 'db', 'drv', 'plain'], false)!;
  assert.deepEqual(plan.nodes.map((n) => [n.name, n.ip, n.hostname]), [['db', '172.23.0.1', 'db'], ['web', '172.23.0.2', 'www']]);
  assert.deepEqual(plan.bridges, ['drv']);
  // Only the selected children count (--only/--exclude).
  assert.deepEqual(planBridgeNetwork(children, ['db'], false)!.nodes.map((n) => n.name), ['db']);
});

test('bad addresses and hostnames are refused with the child named (126)', () => {
  const cases: Array<[CommandConfig, RegExp]> = [
    [net(undefined), /Child "a": `network` needs an `ip`/],
    [net('10.0.0.1'), /10\.0\.0\.1 is not in 172\.23\.0\.0\/16/],
    [net('172.23.0.254'), /the bridge's own address/],
    [net('172.23.0.0'), /network's or its broadcast address/],
    [net('172.23.255.255'), /network's or its broadcast address/],
    [net('172.23.0.300'), /is not an IPv4 address/],
    [net('172.23.0.1', 'bad_name'), /hostname "bad_name" is not a valid host name/],
    [net('172.23.0.1', 'vagga-bridge'), /hostname vagga-bridge is the bridge's/],
  ];
  for (const [c, re] of cases) {
    assert.throws(() => planBridgeNetwork({ a: c }, ['a'], false), (e: unknown) => failsWith('network.bad-address', re)(e) && (e as VaggaError).exitCode === 126, String(re));
  }
  assert.throws(() => planBridgeNetwork({ a: net('172.23.0.1'), b: net('172.23.0.1') }, ['a', 'b'], false), failsWith('network.bad-address', /Child "b": 172\.23\.0\.1 is also used by child "a"/));
  assert.throws(() => planBridgeNetwork({ a: net('172.23.0.1', 'h'), b: net('172.23.0.2', 'H') }, ['a', 'b'], false), failsWith('network.bad-address', /h is also used by child "a"/));
});

test("isolate-network with network children: Vagga's message", () => {
  const msg = /^Isolated network is forbidden in conjunction with network options inside supervised commands$/;
  assert.throws(() => planBridgeNetwork({ a: net('172.23.0.1') }, ['a'], true), failsWith('network.isolated-conflict', msg));
  assert.throws(() => planBridgeNetwork({ a: net('172.23.0.1'), b: child({ isolateNetwork: true, bridge: true }) }, ['a', 'b'], false), failsWith('network.isolated-conflict', msg));
});

test('hosts file: localhost, the bridge, each hostname (and the child name when it differs)', () => {
  const plan = planBridgeNetwork({ a: net('172.23.0.1'), b: net('172.23.0.2', 'bee') }, ['a', 'b'], false)!;
  assert.equal(hostsFile(plan), [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '172.23.0.254\tvagga-bridge',
    '172.23.0.1\ta',
    '172.23.0.2\tbee b',
    '',
  ].join('\n'));
});

test('ports: every host port of every node, by node then port', () => {
  const plan = planBridgeNetwork({ a: net('172.23.0.1', undefined, { 9000: 90, 8080: 80 }), b: net('172.23.0.2'), c: net('172.23.0.3', undefined, { 7000: 7000 }) }, ['a', 'b', 'c'], false)!;
  assert.deepEqual(portForwards(plan), [
    { hostPort: 8080, ip: '172.23.0.1', port: 80, child: 'a' },
    { hostPort: 9000, ip: '172.23.0.1', port: 90, child: 'a' },
    { hostPort: 7000, ip: '172.23.0.3', port: 7000, child: 'c' },
  ]);
});

test('hub script: bridge first, then per node a holder, a veth pair, the address, route, partition rule and hostname', () => {
  const plan = planBridgeNetwork({ a: net('172.23.0.1', 'host-a'), b: net('172.23.0.2') }, ['a', 'b'], false)!;
  const script = hubSetupScript(plan);
  const lines = script.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/^ip link add vagga type bridge$/) < at(/^ip addr add 172\.23\.0\.254\/16 dev vagga$/));
  assert.ok(at(/^echo "@hub \$\$"$/) < at(/setpriv --pdeathsig KILL sh -c '\[ "\$PPID" = "\$1" \] \|\| exit 1; exec unshare --net --uts sleep infinity' sh \$\$/));
  assert.match(script, /^ip link add vg0 type veth peer name eth0 netns \$p$/m);
  assert.match(script, /^ip link set vg1 master vagga up$/m);
  assert.match(script, /'addr add 172\.23\.0\.1\/16 dev eth0'/);
  assert.match(script, /'route add default via 172\.23\.0\.254' 'rule add pref 100 lookup 100' \| nsenter --net --target \$p ip -batch -$/m);
  assert.match(script, /^nsenter --uts --target \$p hostname 'host-a'$/m);
  assert.match(script, /^echo "@node b \$p"$/m);
  assert.equal(lines.filter(Boolean).at(-1), 'echo "@ready"');
});

test('partition batch: the table is flushed, then one prohibit route per cut peer', () => {
  assert.deepEqual(cutBatch([]), ['route flush table 100']);
  assert.deepEqual(cutBatch(['172.23.0.3', '172.23.0.1']), ['route flush table 100', 'route add prohibit 172.23.0.1/32 table 100', 'route add prohibit 172.23.0.3/32 table 100']);
});
