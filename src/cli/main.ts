#!/usr/bin/env node
// engram's command line: picks the command, sets up the engine, and turns engram's named errors into one
// line on stderr and a non-zero exit. Everything else is wiring; the work happens in src/tasks and below.
import { EngramError } from '../errors.js';
import { initEngine } from '../engine/index.js';
import { ENGRAM_VERSION } from '../version.js';
import { auditCommand, AUDIT_HELP } from './audit.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { exportCommand, EXPORT_HELP } from './export.js';
import { inspectCommand, INSPECT_HELP } from './inspect.js';
import { sampleCommand, SAMPLE_HELP } from './sample.js';
import { studioCommand, STUDIO_HELP } from './studio.js';
import { tagCommand, TAG_HELP } from './tag.js';
import { transcribeCommand, TRANSCRIBE_HELP } from './transcribe.js';
import { trainCommand, TRAIN_HELP } from './train.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  train: { run: trainCommand, help: TRAIN_HELP },
  sample: { run: sampleCommand, help: SAMPLE_HELP },
  inspect: { run: inspectCommand, help: INSPECT_HELP },
  tag: { run: tagCommand, help: TAG_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  demo: { run: demoCommand, help: DEMO_HELP },
  studio: { run: studioCommand, help: STUDIO_HELP },
  transcribe: { run: transcribeCommand, help: TRANSCRIBE_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
};

const USAGE = `engram ${ENGRAM_VERSION}: train small networks on real data, ship one weights file, sample, and measure what they remember.
usage: engram <command> [flags]    (engram <command> --help for its flags)
  train text   train a character-level transformer on a text dataset
  train image  train a diffusion model that draws images for tags (MNIST digits, Twemoji, or a folder)
  train tagger train a CNN that tags images (MNIST digits, Twemoji, or a folder)
  sample       generate text or images from a weights file with a temperature and a seed
  tag          tag images with a trained tagger
  train speech train a speech recogniser (WAV files with transcripts, or spoken digits)
  transcribe   write what a speech model hears in WAV files
  inspect      show a weights file's config, size and provenance
  audit        measure what a model remembers of its training data (JSON + HTML report)
  export       write a PyTorch module that loads a GPT weights file (and a nanoGPT checkpoint)
  demo         train a small model on WordNet and sample from it
  studio       serve the browser page: train, sample and audit in the browser`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  if (name === '--version') {
    console.log(ENGRAM_VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`engram: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  // The studio's engine runs in the browser, not here.
  if (!rest.includes('--help') && !rest.includes('-h') && name !== 'studio' && name !== 'export') await initEngine();
  await command.run(rest);
  return 0;
}

// A reader that stops early (engram transcribe ... | head) closes the pipe: that is the reader's choice, not an
// error. What is left to print is dropped and the command finishes its work (a training run still saves).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof EngramError) {
      console.error(`engram: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      // Not one of ours: a bug. Show everything so it can be reported.
      console.error('engram: internal error (please report):', err);
      process.exitCode = 70;
    }
  },
);
