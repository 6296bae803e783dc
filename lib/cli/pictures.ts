/**
 * The pictures `simdnet train` leaves in --out, drawn with lib/viz: loss and accuracy curves, the first layer's
 * filters before and after training, and a grid of misclassified test images (the book's ch04–ch08 figures).
 */
import * as path from 'path';
import type { Network } from '../nets/network';
import { Tensor } from '../tensor';
import type { History } from '../train/loop';
import { drawFilters } from '../viz/filters';
import { drawMisclassified } from '../viz/misclassified';
import { plotCurves, type Series } from '../viz/plot';

/**
 * The first layer's weights as image tiles [F, C, KH, KW]: a convolution's W1 as it is; an MLP's W1 [784, H]
 * as up to 64 tiles of 28×28 (one per hidden unit). null when W1 is neither. Graph networks: the first node's
 * weight (stem/conv.W of a ResNet).
 */
export function firstLayerTiles(net: Network): Tensor | null {
  const params = net.namedParams();
  const W = (params.W1 ?? Object.entries(params).find(([k]) => k.endsWith('.W'))?.[1])?.value;
  if (!W) return null;
  if (W.rank === 4) return W;
  if (W.rank === 2) {
    const [D, H] = W.shape;
    const side = Math.round(Math.sqrt(D));
    if (side * side !== D) return null;
    const F = Math.min(H, 64);
    const out = new Float32Array(F * D);
    for (let f = 0; f < F; f++) for (let d = 0; d < D; d++) out[f * D + d] = W.data[d * H + f];
    return new Tensor(out, [F, 1, side, side]);
  }
  return null;
}

/** Writes the first layer's filters to `file`; false when the network has none to draw. */
export function drawFirstLayer(net: Network, file: string, when = ''): boolean {
  const tiles = firstLayerTiles(net);
  if (!tiles) return false;
  const params = net.namedParams();
  const name = params.W1 ? 'W1' : Object.keys(params).find((k) => k.endsWith('.W')) ?? 'W';
  const W = params[name].value;
  const what = W.rank === 4 ? `${name} [${W.shape.join(', ')}]` : `${name} [${W.shape.join(', ')}], first ${tiles.shape[0]} units`;
  drawFilters(file, tiles, { title: `${what}${when ? ` ${when}` : ''}` });
  return true;
}

/** loss.png (per-batch loss, smoothed, with the per-epoch train/val loss) and accuracy.png (per epoch). */
export function drawCurves(outDir: string, history: History, trainLossList: readonly number[], batchesPerEpoch: number, firstEpoch = 0): string[] {
  const files: string[] = [];
  // an epoch's mean loss sits mid-epoch; the validation loss is measured at its end
  const midX = history.loss.map((_, e) => (e + 0.5) * batchesPerEpoch);
  const endX = history.loss.map((_, e) => (e + 1) * batchesPerEpoch);
  const loss: Series[] = [{ name: 'batch loss', values: trainLossList }];
  if (history.loss.length) loss.push({ name: 'epoch mean loss', values: history.loss, x: midX });
  if (history.valLoss.length) loss.push({ name: 'validation loss', values: history.valLoss, x: endX });
  if (trainLossList.length > 0) {
    const f = path.join(outDir, 'loss.png');
    const smooth = Math.max(1, Math.min(101, Math.round(trainLossList.length / 50)));
    plotCurves(f, loss, { title: 'Training loss', xLabel: 'iteration', yLabel: 'loss', smooth, yMin: 0 });
    files.push(f);
  }
  if (history.acc.length) {
    const acc: Series[] = [{ name: 'train', values: history.acc }];
    if (history.valAcc.length) acc.push({ name: 'validation', values: history.valAcc });
    if (history.testAcc.length) acc.push({ name: 'test', values: history.testAcc });
    const f = path.join(outDir, 'accuracy.png');
    plotCurves(f, acc, { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', xStart: firstEpoch + 1 });
    files.push(f);
  }
  return files;
}

/** Predicted classes of the first `n` images (the network's accuracy definition: argmax, or logit > 0), in batches. */
export function predictClasses(net: Network, x: Tensor, n: number, batch = 200): Int32Array {
  return net.predictClasses(x.shape[0] === n ? x : new Tensor(x.data.subarray(0, n * (x.size / x.shape[0])), [n, ...x.shape.slice(1)]), batch);
}

/**
 * misclassified.png: the first `max` misclassified test images, "true>predicted", out of every test image (so the
 * header's count is the test set's). Returns the number drawn.
 */
export function drawMisclassifiedTest(net: Network, xTest: Tensor, tTest: Int32Array, file: string, max = 20, classNames?: readonly string[]): number {
  const preds = predictClasses(net, xTest, tTest.length);
  return drawMisclassified(file, xTest, tTest, preds, classNames ? { max, classNames } : { max }).length;
}
