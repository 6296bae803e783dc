/**
 * Two network namespaces joined by a veth pair, for running MPI ranks whose traffic must cross a network
 * interface (test/dist/netns.test.ts, npm run bench:dist). Needs root and iproute2.
 *
 * Addresses: a link-local /30 (169.254.N.1 and .2), which exists only inside the two namespaces; nothing is routed
 * anywhere else. mpirun runs inside the first namespace (so the host's own interfaces are out of sight) and
 * starts the remote rank's daemon (orted) in the second one through a launch agent script that does
 * `ip netns exec` where ssh would otherwise log in (Open MPI's plm_rsh_agent). MPI is told to use TCP on that
 * subnet only (no shared memory), so every byte between the ranks goes over the veth.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface VethPair {
  nsA: string;
  nsB: string;
  ipA: string;
  ipB: string;
  subnet: string;
  /** `ip netns exec nsA mpirun <flags>` up to (not including) -np / the program. */
  mpirun(extra?: string[]): { cmd: string; args: string[] };
  /** Bytes sent + received on the veth end in nsA since creation. */
  bytes(): number;
  cleanup(): void;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Why veth tests cannot run here (null: they can). */
export function vethUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (ip netns needs root)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns does not work here (${(r.stderr || r.error?.message || '').trim()})`;
  return null;
}

/** Creates the namespaces and the veth pair (names and subnet derived from the pid, so runs do not collide). */
export function createVethPair(): VethPair {
  const tag = `sdn${process.pid % 100000}`;
  const nsA = `${tag}-a`;
  const nsB = `${tag}-b`;
  const octet = 1 + (process.pid % 254);
  const ipA = `169.254.${octet}.1`;
  const ipB = `169.254.${octet}.2`;
  const subnet = `169.254.${octet}.0/30`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-netns-'));
  const agent = path.join(dir, 'netns-agent.sh');
  const cleanup = () => {
    for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns]); // deleting a namespace deletes its veth end
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`]);
    ip(['link', 'set', `${tag}a`, 'netns', nsA]);
    ip(['link', 'set', `${tag}b`, 'netns', nsB]);
    ip(['-n', nsA, 'addr', 'add', `${ipA}/30`, 'dev', `${tag}a`]);
    ip(['-n', nsB, 'addr', 'add', `${ipB}/30`, 'dev', `${tag}b`]);
    for (const [ns, dev] of [[nsA, `${tag}a`], [nsB, `${tag}b`]]) {
      ip(['-n', ns, 'link', 'set', dev, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // Open MPI calls the agent as `<agent> <host> <command line>`, like ssh; run the command in the host's namespace.
    fs.writeFileSync(agent, `#!/bin/sh\nhost=$1; shift\n[ "$host" = "${ipB}" ] || { echo "netns agent: unknown host $host" >&2; exit 1; }\nexec ip netns exec ${nsB} sh -c "$*"\n`, { mode: 0o755 });
  } catch (err) {
    cleanup();
    throw err;
  }
  const bytes = () => {
    const r = spawnSync('ip', ['-n', nsA, '-s', '-j', 'link', 'show', `${tag}a`], { encoding: 'utf8' });
    const s = JSON.parse(r.stdout)[0].stats64;
    return s.rx.bytes + s.tx.bytes;
  };
  return {
    nsA, nsB, ipA, ipB, subnet, bytes, cleanup,
    mpirun: (extra = []) => ({
      cmd: 'ip',
      args: ['netns', 'exec', nsA, 'mpirun', '--allow-run-as-root', '-H', `${ipA}:1,${ipB}:1`,
        '--mca', 'plm_rsh_agent', agent, '--mca', 'btl', 'self,tcp', '--mca', 'btl_tcp_if_include', subnet,
        '--mca', 'oob_tcp_if_include', subnet, ...extra],
    }),
  };
}
