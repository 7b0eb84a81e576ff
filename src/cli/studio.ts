// engram studio: serves the browser page that trains, samples and audits with the same code as the CLI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultWebDir, startStudioServer } from '../web/server.js';
import { numberFlag, parseCommand } from './flags.js';
import { checkRange } from '../train/config.js';

export const STUDIO_HELP = `usage: engram studio [--port 5173] [--host 127.0.0.1] [--open]

Serves engram studio on this computer: a page that loads WordNet or MNIST (or your text file), trains a
model in a Web Worker, samples from it with temperature, runs the audit and downloads the weights file.
Everything runs in the browser; the server only hands out the page and the dataset files.
  --port N     port (default 5173; 0 picks a free one)
  --host H     address to listen on (default 127.0.0.1: only this computer can reach it)
  --open       open the page in the default browser`;

export async function studioCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' } });
  if (values.help) return console.log(STUDIO_HELP);
  const port = numberFlag(values, 'port', 5173);
  checkRange('port', port, { min: 0, max: 65535, integer: true });
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (!existsSync(path.join(defaultWebDir(), 'app.js'))) throw new ConfigError('the studio page is not built: run npm run build');
  let started;
  try {
    started = await startStudioServer({ port, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port` : `cannot listen on ${host}:${port}: ${code ?? (error as Error).message}`);
  }
  console.log(`engram studio at ${started.url} (Ctrl-C to stop)`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') console.log(`note: listening on ${host}, so other computers can reach it`);
  if (values.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [started.url], { stdio: 'ignore', detached: true }).on('error', () => console.log(`could not open a browser; open ${started.url} yourself`)).unref();
  }
  await new Promise(() => undefined); // serve until Ctrl-C
}
