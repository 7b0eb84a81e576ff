// The experiments' flags: `--name value` from the command line, or the fallback.
export function flag(name: string, fallback: string): string;
export function flag(name: string, fallback?: string): string | undefined;
export function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
