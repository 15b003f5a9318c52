import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Borealis, compose, systemClock } from '../compose.js';
import { type Config, type ConfigOverrides, loadConfig } from '../config.js';

export class UsageError extends Error {}
/** The command was well formed but names nothing that exists, or asks what cannot be done: exit 2, no usage. */
export class CommandError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    // parseArgs quotes a stray argument, which may be a password typed without its option.
    if ((error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError('an argument without its --option (not shown: it may be a secret)');
    }
    throw new UsageError((error as Error).message);
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Runs `work` against the configured database, then closes it. */
export async function withBorealis<T>(overrides: ConfigOverrides, work: (b: Borealis, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, overrides, (m) => process.stderr.write(`warning: ${m}\n`));
  const borealis = await compose(config, systemClock, { migrate: false });
  try {
    return await work(borealis, config);
  } finally {
    await borealis.close();
  }
}

/**
 * A value from anyone (a registered client's name, a signed-up email) made safe for a terminal:
 * C0/C1 controls, DEL, and the bidirectional and invisible format characters are written as
 * `\u{…}`. Raw, a carriage return or an escape sequence could overwrite another client's line
 * or retitle the terminal, and mislead the operator about which client to act on.
 */
export const printable = (value: string) =>
  value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);

/** `--json` prints one JSON object on stdout; otherwise a human line. */
export function output(json: boolean | undefined, value: Record<string, unknown>, human: string) {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human + '\n');
}
