#!/usr/bin/env node
/**
 * The `simdnet` command: train | eval | predict | export (see each command's --help).
 * Exit codes: 0 success, 1 a runtime error (missing file, bad model file …), 2 a wrong command line (unknown
 * flag, bad value), 130 training interrupted with Ctrl-C (after saving).
 */
import { packageVersion } from '../package-root';
import { UsageError } from './args';
import { abortDistributed } from './distributed';
import { EVAL_USAGE, evalCommand } from './evaluate';
import { EXPORT_USAGE, exportCommand } from './export';
import { PREDICT_USAGE, predictCommand } from './predict';
import { TRAIN_USAGE, trainCommand } from './train';

export const USAGE = `Usage: simdnet <command> [options]

Commands:
  train     train a network on MNIST (deep-convnet, simple-convnet, mlp) and save model, history and pictures
  eval      accuracy of a saved model on the test images
  predict   classify PNG/JPEG images with a saved model
  export    write a saved model as an ONNX file

Run 'simdnet <command> --help' for a command's options. 'simdnet --version' prints the version.`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  train: { run: trainCommand, usage: TRAIN_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
  predict: { run: predictCommand, usage: PREDICT_USAGE },
  export: { run: exportCommand, usage: EXPORT_USAGE },
};

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`simdnet: unknown command '${cmd}' (expected train, eval, predict or export)\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`simdnet ${cmd}: ${err.message}\nRun 'simdnet ${cmd} --help' for the options.\n`);
      return 2;
    }
    const e = err as Error;
    process.stderr.write(`simdnet ${cmd}: error: ${e?.message ?? String(err)}\n`);
    if (process.env.SIMDNET_DEBUG) process.stderr.write(`${e?.stack}\n`);
    abortDistributed(1); // a data-parallel run: the other ranks cannot go on without this one
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`simdnet: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
