/**
 * `simdnet export`: a saved model (model.safetensors) as an ONNX file, for onnxruntime (Node, web, mobile) and
 * other ONNX runtimes. Class names come from --class-names, else from the model file (simdnet train's data spec,
 * or an `extra.classNames` given to saveModel) when it has them.
 */
import { loadCheckpoint } from '../io/model';
import { exportOnnx } from '../onnx/export';
import { DEFAULT_OPSET, OPSET_IR_VERSION } from '../onnx/builder';
import { specOf } from './datasets';
import { choiceFlag, intFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';

const OPSETS = Object.keys(OPSET_IR_VERSION).map(Number);

export const EXPORT_USAGE = `Usage: simdnet export --model-file FILE --onnx OUT [options]

Writes a saved model (simdnet train's model.safetensors / best.safetensors) as an ONNX model: the inference graph
of predict, input 'input' [batch, …] float32, output 'logits' [batch, classes].

Options:
  --model-file FILE    the model to export (required)
  --onnx OUT           the ONNX file to write (required; written atomically)
  --opset N            ONNX opset, ${OPSETS[0]} to ${OPSETS[OPSETS.length - 1]} (default ${DEFAULT_OPSET})
  --dtype TYPE         float32 | float16 (weights stored as IEEE half, computed in float32; default float32)
  --output KIND        logits | probabilities (softmax/sigmoid of the logits appended; default logits)
  --class-names LIST   comma-separated class names for the metadata (default: the model file's, if any)
  --json               print one JSON object instead of text
  -h, --help           this help`;

const FLAGS: Record<string, FlagSpec> = {
  'model-file': { type: 'string' },
  onnx: { type: 'string' },
  opset: { type: 'string' },
  dtype: { type: 'string' },
  output: { type: 'string' },
  'class-names': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Class names saved with a model: `simdnet train`'s data spec (extra.metadata.data.classNames), else an
 * `extra.classNames` array given to saveModel; only arrays of strings.
 */
function savedClassNames(extra: unknown): string[] | undefined {
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((n) => typeof n === 'string');
  const spec = specOf(extra)?.classNames;
  if (strings(spec)) return spec;
  const names = (extra as { classNames?: unknown } | null)?.classNames;
  return strings(names) ? names : undefined;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values: v } = parseFlags('export', argv, FLAGS);
  if (v.help) {
    process.stdout.write(`${EXPORT_USAGE}\n`);
    return 0;
  }
  const file = strFlag('model-file', v['model-file']);
  if (!file) throw new UsageError('--model-file: required (the model to export)');
  const out = strFlag('onnx', v.onnx);
  if (!out) throw new UsageError('--onnx: required (the ONNX file to write)');
  const opset = intFlag('opset', v.opset, DEFAULT_OPSET, OPSETS[0], OPSETS[OPSETS.length - 1]);
  const dtype = choiceFlag('dtype', v.dtype, 'float32', ['float32', 'float16'] as const);
  const output = choiceFlag('output', v.output, 'logits', ['logits', 'probabilities'] as const);
  const listed = strFlag('class-names', v['class-names']);
  const { net, extra } = loadCheckpoint(file);
  const classNames = listed !== undefined ? listed.split(',').map((s) => s.trim()) : savedClassNames(extra);
  const bytes = exportOnnx(net, out, { opset, dtype, output, classNames });
  const info = {
    onnx: out,
    bytes: bytes.length,
    network: net.type,
    opset,
    dtype,
    input: ['batch', ...net.inputShape],
    output: ['batch', ...net.outputShape().slice(1)],
    classNames: classNames ?? null,
  };
  if (v.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    process.stdout.write(
      `wrote ${out} (${bytes.length} bytes, opset ${opset}, ${dtype} weights): ${net.type}, ` +
        `input [${info.input.join(', ')}] -> ${output} [${info.output.join(', ')}]` +
        `${classNames ? `, classes ${classNames.join(',')}` : ''}\n`,
    );
  }
  return 0;
}
