/** Unknown CLI flags are refused like unknown options: naming the flag and the nearest valid one. */
import { parseFlags, UsageError } from '../../lib/cli/args';

const FLAGS = { epochs: { type: 'string' as const }, 'val-split': { type: 'string' as const }, 'model-file': { type: 'string' as const }, quiet: { type: 'boolean' as const } };
const fail = (argv: string[]) => {
  try {
    parseFlags('train', argv, FLAGS);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

test('unknown flags name the nearest valid flag (snake_case, typos), or none when nothing is near', () => {
  expect(fail(['--val_split', '0.2'])).toBe('unknown flag --val_split (did you mean --val-split?)');
  expect(fail(['--epoch', '3'])).toBe('unknown flag --epoch (did you mean --epochs?)');
  expect(fail(['--modelfile', 'x'])).toBe('unknown flag --modelfile (did you mean --model-file?)');
  expect(fail(['--zzz'])).toBe('unknown flag --zzz');
  expect(parseFlags('train', ['--epochs', '3', '--quiet'], FLAGS).values).toEqual({ epochs: '3', quiet: true });
});
