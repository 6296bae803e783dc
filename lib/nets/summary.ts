/**
 * `net.summary()`: one row per node (name and layer type, output shape, parameter count, the nodes it reads),
 * then the loss layer and the totals — Keras's model.summary(), with the graph's edges.
 */
import type { Network } from './network';

const NETWORK_INPUT = -1; // as lib/nets/network.ts (a value import would make the two modules a cycle)

/** One row of the summary. */
export interface SummaryRow {
  name: string;
  type: string;
  /** Output shape of one sample ('N' stands for the batch). */
  outputShape: (number | 'N')[];
  /** Trainable scalars of the node's layer. */
  params: number;
  /** Non-trained scalars (BatchNormalization running statistics). */
  buffers: number;
  /** The nodes this one reads ('input': the network's input). */
  inputs: string[];
}

/** The rows of `net.summary()`: the nodes, then the loss layer (reading the last node). */
export function summaryRows(net: Network): SummaryRow[] {
  const shapes = net.outputShapesPerNode();
  const size = (t: { size: number }) => t.size;
  const rows: SummaryRow[] = net.nodes.map((n, i) => ({
    name: n.name,
    type: n.layer.type,
    outputShape: ['N', ...shapes[i].slice(1)],
    params: Object.values(n.layer.params()).reduce((s, p) => s + size(p.value), 0),
    buffers: Object.values(n.layer.buffers()).reduce((s, b) => s + size(b), 0),
    inputs: n.inputs.map((j) => (j === NETWORK_INPUT ? 'input' : net.nodes[j].name)),
  }));
  const loss = net.lossLayer;
  rows.push({
    name: 'loss',
    type: loss.type,
    outputShape: [],
    params: Object.values(loss.params()).reduce((s, p) => s + size(p.value), 0),
    buffers: 0,
    inputs: [net.nodes[net.nodes.length - 1].name],
  });
  return rows;
}

const group = (n: number): string => n.toLocaleString('en-US');

/** The table `net.summary()` returns. */
export function formatSummary(net: Network): string {
  const rows = summaryRows(net);
  const cells = rows.map((r) => [
    `${r.name} (${r.type})`,
    r.outputShape.length === 0 ? 'scalar' : `[${r.outputShape.join(', ')}]`,
    group(r.params),
    r.inputs.join(', '),
  ]);
  const head = ['Node (layer)', 'Output shape', 'Params', 'Inputs'];
  const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((v, c) => (c === 2 ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('   ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1));
  const total = rows.reduce((s, r) => s + r.params, 0);
  const buffers = rows.reduce((s, r) => s + r.buffers, 0);
  return [
    `${net.type}: input [N, ${net.inputShape.join(', ')}], ${net.nodes.length} nodes`,
    rule,
    line(head),
    rule,
    ...cells.map(line),
    rule,
    `Total params: ${group(total)} (trainable: ${group(total)})`,
    `Non-trainable buffers: ${group(buffers)}`,
    `Parameter memory: ${((4 * total) / 1024).toFixed(1)} KiB (float32)`,
  ].join('\n');
}
