// Command-line parsing: node's util.parseArgs (strict: unknown flags are errors), and typed config
// objects overridden by kebab-case flags (--learning-rate sets learningRate), checked against the defaults' types.
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Flags (all taking a value) for every key of a config object. */
export function configFlags(defaults: object): FlagSpec {
  return Object.fromEntries(Object.keys(defaults).map((k) => [kebab(k), { type: 'string' as const }]));
}

export function parseCommand(argv: string[], options: FlagSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0]);
  }
}

/** A copy of `defaults` with every key whose flag was given replaced, parsed to the default's type. */
export function overrideConfig<T extends object>(defaults: T, values: Record<string, string | boolean | undefined>): { config: T; given: (keyof T)[] } {
  const config = { ...defaults } as Record<string, unknown>;
  const given: (keyof T)[] = [];
  for (const [key, fallback] of Object.entries(defaults)) {
    const raw = values[kebab(key)];
    if (raw === undefined) continue;
    given.push(key as keyof T);
    if (typeof fallback === 'number') {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) throw new ConfigError(`--${kebab(key)} must be a number, got "${raw}"`);
      config[key] = n;
    } else {
      config[key] = raw;
    }
  }
  return { config: config as T, given };
}

export function numberFlag(values: Record<string, string | boolean | undefined>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw === '' || !Number.isFinite(n)) throw new ConfigError(`--${name} must be a number, got "${raw}"`);
  return n;
}
