/**
 * simdnet: neural networks for Node.js on an AVX2/FMA C++ core, with a pure TypeScript fallback.
 *
 * The public API, and only it: argument checking (lib/validate.ts) and the helpers the modules share stay
 * internal, so they can change without breaking users. Errors are plain TypeError/RangeError.
 */
export { backendInfo, getBackend, setThreads, useBackend } from './backend';
export type { Backend, BackendInfo } from './backend';
export { Rng } from './rng';
export { Tensor } from './tensor';
export * from './layers';
export * from './nets';
export { fillNormal, fillUniform, initStd, type WeightInit } from './init';
export {
  checkLayerGradient, checkNetworkGradient, type GradCheckEntry, type GradCheckOptions, type LayerGradCheckOptions,
} from './tools/gradcheck';
// Optimizers, model files, half precision (lib/optimizers, lib/io/model.ts, lib/tools/half.ts)
export * from './optimizers';
export {
  decodeCheckpoint, encodeModel, loadCheckpoint, loadModel, loadNpzWeights, saveModel, saveNpzWeights,
  type Checkpoint, type LoadModelOptions, type SaveModelOptions, type SaveNpzWeightsOptions, type WeightArrays,
} from './io/model';
export {
  castInputToHalf, compareHalfAccuracy, toFloat16,
  type HalfAccuracyReport, type HalfNetwork, type HalfParam, type HalfParams, type ToFloat16Options,
} from './tools/half';
// File formats and data loading (lib/io, lib/data)
export { writeFileAtomic, writeFileAtomicAsync } from './io/atomic';
export { encodeNpy, parseNpy, toFloat32, type NpyArray, type NpyDtype } from './io/npy';
export { encodeNpz, listNpz, readNpz, writeNpz } from './io/npz';
export {
  decodeSafetensors, encodeSafetensors, loadSafetensors, safetensorToFloat32, saveSafetensors,
  type SafeTensor, type SafetensorsDtype,
} from './io/safetensors';
export { encodeIdx, readIdx, writeIdx, type IdxArray } from './data/idx';
export { loadIdxDataset, loadMnist, mnistDataDir, type MnistData, type MnistOptions } from './data/mnist';
export { decodeImage, loadImageFolder, type ImageFolderData, type ImageFolderOptions } from './data/images';
export { loadCsv, parseCsv, type CsvData, type CsvOptions } from './data/csv';
export { loadImage, loadImages, saveImage, type LoadImageOptions, type SaveImageOptions } from './data/image_file';
export { classCounts, stratifiedSplit } from './data/split';
export { streamImageFolder, StreamingDataset, type StreamImageFolderOptions, type StreamingImageFolder, type StreamOptions } from './data/stream/dataset';
export { streamCsv, type StreamCsvOptions, type StreamingCsv } from './data/stream/csv';
// Metrics (lib/metrics): one accuracy definition, evaluate(), scikit-learn-style classification metrics
export { accuracyKind, type AccuracyKind } from './metrics/accuracy';
export { averages, classStats, confusionMatrix, rocAuc, type ClassStats } from './metrics/classification';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './metrics/evaluate';
export { METRIC_NAMES, type MetricName } from './metrics/epoch_metrics';
export {
  computeClassWeights, oneHot, sampleWeightsFor, splitIndices, subset, type LabeledSplit,
} from './data/dataset';
// Data augmentation and pictures (lib/data/augment, lib/viz)
export { augmentBatch, formatAugmentSpec, parseAugmentSpec, resolveAugmentOptions, type AugmentOptions } from './data/augment';
export type { AugmentConfig } from './backend/types';
export { Canvas, decodePng, type Color } from './viz/png';
export { movingAverage, plotCurves, renderCurves, PALETTE, type PlotOptions, type Series } from './viz/plot';
export { drawFilters, renderFilters, type FilterOptions } from './viz/filters';
export {
  drawMisclassified, misclassifiedIndices, renderMisclassified, type MisclassifiedOptions,
} from './viz/misclassified';
// Training (lib/train): Trainer, fit, callbacks, schedules
export * from './train';
export { Communicator, DataParallel, mpiAvailable, MPI_INSTALL_HINT, type DistributedOptions } from './dist';
// ONNX export and import (lib/onnx)
export * from './onnx';
