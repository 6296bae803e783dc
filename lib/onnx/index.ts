/** ONNX export and import (issue 13): exportOnnx / encodeOnnx, importOnnx, and the supported ops. */
export { exportOnnx, encodeOnnx, type ExportOnnxOptions } from './export';
export { importOnnx, IMPORT_OPSETS, type ImportOnnxOptions } from './import';
export { EXPORTABLE_LAYERS } from './emit';
export { IMPORTABLE_OPS } from './convert';
export { DEFAULT_OPSET, OPSET_IR_VERSION } from './builder';
