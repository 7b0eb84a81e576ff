// engram studio's page: controls and views only. Every dataset, model, sample and audit comes from the
// engine's Web Worker (worker.ts) through protocol.ts, so the page never freezes while a model trains.
import { escapeHtml, lineChart } from '../report/svg.js';
import { encodeWav } from '../data/audio.js';
import { CONTROL, type ChosenFolder, type DatasetSummary, type HuntItem, type InitResult, type ModelSummary, type Progress, type Request, type Response, type Task, type TrainResultMessage } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker('./worker.js', { type: 'module' });
let nextId = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; onProgress?(p: Progress): void }>();

worker.onmessage = (event: MessageEvent<Response>) => {
  const m = event.data;
  const waiting = pending.get(m.id);
  if (!waiting) return;
  if (m.type === 'progress') return waiting.onProgress?.(m.progress);
  pending.delete(m.id);
  if (m.type === 'done') waiting.resolve(m.result);
  else waiting.reject(new Error(m.message));
};

function ask<T>(request: Request, onProgress?: (p: Progress) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
    worker.postMessage({ id, request });
  });
}

/** Shows an error in place, as one line (the CLI's message). */
function showError(where: HTMLElement, error: unknown): void {
  where.innerHTML = `<p class="error" role="alert">${escapeHtml((error as Error).message ?? String(error))}</p>`;
}

const SPECS: Record<Task, [string, string][]> = {
  text: [['wordnet:adv', 'WordNet adverbs (3,625 glosses)'], ['wordnet:verb', 'WordNet verbs'], ['wordnet:adj', 'WordNet adjectives'], ['wordnet:noun', 'WordNet nouns'], ['wordnet', 'all of WordNet (117,791)']],
  image: [['mnist:20', 'MNIST, 20 per digit'], ['mnist:100', 'MNIST, 100 per digit'], ['mnist', 'MNIST, all 10,000'], ['emoji', 'Twemoji (1,911 emoji, tags from their names)']],
  tagger: [['mnist:100', 'MNIST, 100 per digit'], ['mnist:20', 'MNIST, 20 per digit'], ['mnist', 'MNIST, all 10,000']],
  speech: [['folder', 'the folder of recordings chosen here']],
};

const task = () => $<HTMLSelectElement>('task').value as Task;
let droppedText: { name: string; bytes: Uint8Array } | undefined;
let chosenFolder: ChosenFolder | undefined;
let current: ModelSummary | undefined;

function fillSpecs(): void {
  $<HTMLSelectElement>('spec').innerHTML = SPECS[task()].map(([v, label]) => `<option value="${v}">${escapeHtml(label)}</option>`).join('');
  $('textfile').parentElement!.hidden = task() !== 'text';
  $('speech-folder').parentElement!.hidden = task() !== 'speech';
}

function showDataset(d: DatasetSummary): void {
  const preview = d.preview.map((e) => (e.image ? `<figure><img src="${e.image}" alt="${escapeHtml(e.input)}"><figcaption>${escapeHtml(e.input)}</figcaption></figure>` : `<pre><b>${escapeHtml(e.input)}</b>\t${escapeHtml(e.output)}</pre>`)).join('');
  $('data-out').innerHTML = `<p><b>${escapeHtml(d.name)}</b> ${escapeHtml(d.version)}: ${d.examples.toLocaleString('en-US')} examples, ${d.duplicates} exact duplicates, fingerprint <code>${d.fingerprint.slice(0, 16)}</code></p><div class="preview">${preview}</div>`;
}

async function loadData(): Promise<void> {
  $('data-out').textContent = 'loading...';
  try {
    const file = task() === 'text' ? droppedText : undefined;
    const folder = task() === 'speech' ? chosenFolder : undefined;
    showDataset(await ask<DatasetSummary>({ type: 'dataset', task: task(), spec: $<HTMLSelectElement>('spec').value, file, folder, imageSize: 16 }));
  } catch (error) {
    showError($('data-out'), error);
  }
}

function showModel(m: ModelSummary, where: HTMLElement): void {
  current = m;
  const p = m.provenance as { dataset: { name: string; version: string; examples: number }; steps: number; heldOutLoss: number };
  where.innerHTML = `<p><b>${escapeHtml(m.name)}</b>: ${escapeHtml(m.kind)} model for ${escapeHtml(m.task)}, ${m.parameters.toLocaleString('en-US')} parameters,
file ${(m.fileBytes / 1e6).toFixed(2)} MB against ${(m.datasetBytes / 1e6).toFixed(2)} MB of data (${(m.fileBytes / m.datasetBytes).toFixed(3)}x);
trained ${p.steps} steps on ${escapeHtml(p.dataset.name)} ${escapeHtml(p.dataset.version)} (${p.dataset.examples.toLocaleString('en-US')} examples), held-out loss ${Number(p.heldOutLoss).toFixed(3)}.</p>
<pre>config ${escapeHtml(JSON.stringify(m.modelConfig))}</pre>`;
  $('try-text').hidden = m.task !== 'text';
  $('try-image').hidden = m.task !== 'tags-to-image';
  $('try-tagger').hidden = m.task !== 'image-to-tags';
  $('try-speech').hidden = m.task !== 'speech-to-text';
  $('query-text').hidden = m.task !== 'text';
  $('query-image').hidden = m.task !== 'tags-to-image';
}

const losses: { step: number; train: number; heldOut: number }[] = [];
function drawChart(): void {
  $('chart').innerHTML = lineChart([
    { name: 'train', color: '#c0392b', points: losses.map((l) => [l.step, l.train] as const) },
    { name: 'held-out', color: '#2471a3', points: losses.map((l) => [l.step, l.heldOut] as const) },
  ], { title: 'Loss', xLabel: 'step', yLabel: { text: 'nats per character', image: 'denoising loss', tagger: 'nats per image', speech: 'CTC loss, nats per character' }[task()] });
}

let control: Int32Array | undefined;
async function train(): Promise<void> {
  const buttons = { train: $<HTMLButtonElement>('train'), pause: $<HTMLButtonElement>('pause'), stop: $<HTMLButtonElement>('stop') };
  const shared = typeof SharedArrayBuffer === 'function' && crossOriginIsolated;
  const buffer = shared ? new SharedArrayBuffer(8) : new ArrayBuffer(8);
  control = new Int32Array(buffer);
  buttons.train.disabled = true;
  buttons.pause.disabled = buttons.stop.disabled = !shared;
  buttons.pause.textContent = 'Pause';
  losses.length = 0;
  $('chart').innerHTML = '';
  $('samples').innerHTML = '';
  $<HTMLAnchorElement>('download').hidden = true;
  const started = performance.now();
  const steps = $<HTMLInputElement>('steps').value;
  try {
    const result = await ask<TrainResultMessage>({
      type: 'train', task: task(), spec: $<HTMLSelectElement>('spec').value, file: task() === 'text' ? droppedText : undefined, folder: task() === 'speech' ? chosenFolder : undefined,
      preset: $<HTMLSelectElement>('preset').value as 'tiny', steps: steps ? Number(steps) : undefined, seed: Number($<HTMLInputElement>('seed').value), control: buffer,
    }, (p) => {
      if (p.kind === 'step') {
        $<HTMLProgressElement>('progress').value = p.step / p.steps;
        const elapsed = (performance.now() - started) / 1000;
        const eta = p.step > 0 ? (elapsed / p.step) * (p.steps - p.step) : NaN;
        $('rate').textContent = `step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}, ${Math.round(p.itemsPerSecond).toLocaleString('en-US')} ${p.unit}, ETA ${Number.isFinite(eta) ? `${Math.round(eta)} s` : '-'}`;
      } else if (p.kind === 'eval') {
        losses.push({ step: p.step, train: p.trainLoss, heldOut: p.heldOutLoss });
        drawChart();
      } else if (p.kind === 'samples') {
        $('samples').innerHTML = `<p class="status">samples at step ${p.step}:</p>` + (p.texts ? `<pre>${p.texts.map(escapeHtml).join('\n')}</pre>` : (p.images ?? []).map((src, d) => `<img src="${src}" width="48" height="48" alt="digit ${d}">`).join(''));
      }
    });
    const link = $<HTMLAnchorElement>('download');
    link.href = URL.createObjectURL(new Blob([result.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    link.download = result.model.name;
    link.hidden = false;
    $('rate').textContent += ` - ${result.stopped ? 'stopped' : 'done'} in ${result.seconds.toFixed(1)} s`;
    showModel(result.model, $('model-out'));
  } catch (error) {
    showError($('samples'), error);
  } finally {
    buttons.train.disabled = false;
    buttons.pause.disabled = buttons.stop.disabled = true;
  }
}

async function sampleText(): Promise<void> {
  try {
    const texts = await ask<string[]>({
      type: 'sample-text', prompt: $<HTMLInputElement>('prompt').value, temperature: Number($<HTMLInputElement>('temperature').value),
      topK: Number($<HTMLInputElement>('topk').value), topP: Number($<HTMLInputElement>('topp').value), seed: Number($<HTMLInputElement>('sample-seed').value),
      samples: Number($<HTMLInputElement>('n').value), maxTokens: 200,
    });
    // As `engram sample` prints them: "prompt: output", one per line.
    const prompt = $<HTMLInputElement>('prompt').value;
    $('text-out').textContent = texts.map((t) => (prompt ? `${prompt}: ${t}` : t)).join('\n');
  } catch (error) {
    showError($('text-out'), error);
  }
}

async function drawImages(): Promise<void> {
  try {
    const src = await ask<string>({ type: 'sample-image', tags: $<HTMLInputElement>('tags').value, temperature: Number($<HTMLInputElement>('image-temperature').value), guidance: Number($<HTMLInputElement>('guidance').value), seed: 0, samples: 9, steps: 30 });
    $<HTMLImageElement>('image-out').src = src;
  } catch (error) {
    showError($('try-image'), error);
  }
}

async function audit(): Promise<void> {
  const status = $('audit-status');
  $<HTMLButtonElement>('audit').disabled = true;
  try {
    const result = await ask<{ verdict: string; html: string; hunt?: HuntItem[] }>({ type: 'audit', file: droppedText, folder: chosenFolder }, (p) => {
      if (p.kind === 'stage') status.textContent = `${p.stage}: ${p.done}/${p.total}`;
    });
    status.textContent = 'done';
    $('verdict').textContent = result.verdict;
    $('verdict').hidden = false;
    showCopyHunt(result.hunt);
    showReport('report', result.html);
  } catch (error) {
    showError(status, error);
  } finally {
    $<HTMLButtonElement>('audit').disabled = false;
  }
}

/** The copy hunt: a button per generation; choosing one shows it beside its nearest training images. */
function showCopyHunt(items: HuntItem[] | undefined): void {
  $('hunt').hidden = !items?.length;
  if (!items?.length) return;
  $('hunt-grid').innerHTML = items.map((h, i) => `<button data-hunt="${i}" class="${h.flagged ? 'flagged' : ''}" aria-label="generation ${i + 1}: ${escapeHtml(h.label)}"><img src="${h.generation}" alt=""></button>`).join('');
  $('hunt-detail').innerHTML = '';
  for (const button of $('hunt-grid').querySelectorAll<HTMLButtonElement>('button[data-hunt]')) {
    button.addEventListener('click', () => {
      const h = items[Number(button.dataset.hunt)];
      const figure = (src: string, caption: string) => `<figure><img src="${src}" alt="${escapeHtml(caption)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
      $('hunt-detail').innerHTML = `<p><b>${escapeHtml(h.label)}</b>: ratio ${h.ratio.toFixed(2)} (a near-copy below 1)${h.flagged ? ', <b>flagged</b>' : ''}.</p>
<div class="preview">${figure(h.generation, 'generated')}${h.nearest.map((n) => figure(n.src, `training #${n.index}, tiled L2 ${n.tiledL2.toFixed(3)}`)).join('')}${figure(h.robust.src, `robust match #${h.robust.index}, ${h.robust.distance.toFixed(3)}`)}</div>
<p>Membership of the nearest training image: ${escapeHtml(h.membership.answer)}</p>`;
    });
  }
}

/** A report page (the CLI's HTML) in its frame. */
function showReport(frameId: string, html: string): void {
  const frame = $<HTMLIFrameElement>(frameId);
  frame.srcdoc = html;
  frame.hidden = false;
}

/** A dropped image as RGB floats in [0, 1], decoded by the browser and composited over white. */
async function imagePixels(file: File): Promise<{ name: string; width: number; height: number; pixels: Float32Array }> {
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, bitmap.width, bitmap.height);
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const pixels = new Float32Array(bitmap.width * bitmap.height * 3);
  for (let i = 0; i < bitmap.width * bitmap.height; i++) for (let c = 0; c < 3; c++) pixels[3 * i + c] = rgba[4 * i + c] / 255;
  return { name: file.name, width: bitmap.width, height: bitmap.height, pixels };
}

async function askQuery(): Promise<void> {
  const out = $('query-out');
  out.textContent = 'asking...';
  $<HTMLButtonElement>('query').disabled = true;
  try {
    const file = $<HTMLInputElement>('query-file').files?.[0];
    const image = current?.task === 'tags-to-image' && file ? await imagePixels(file) : undefined;
    const result = await ask<{ answers: string[]; html: string }>({ type: 'query', text: $<HTMLTextAreaElement>('query-input').value, image, file: droppedText });
    out.innerHTML = result.answers.map((a) => `<p class="verdict">${escapeHtml(a)}</p>`).join('');
    showReport('query-report', result.html);
  } catch (error) {
    showError(out, error);
  } finally {
    $<HTMLButtonElement>('query').disabled = false;
  }
}

/** The last recordings or files transcribed, so moving the temperature transcribes them again. */
let speechFiles: { name: string; bytes: Uint8Array }[] = [];
/** Each transcription is numbered; only the latest one asked for may write its answer (an older one can finish later). */
let latestTranscription = 0;

/** Marks the output as waiting for an answer, so neither a person nor a test reads a stale one. */
function speechPending(): void {
  $('speech-out').setAttribute('aria-busy', 'true');
}

async function transcribeSpeech(): Promise<void> {
  const request = ++latestTranscription;
  const out = $('speech-out');
  if (speechFiles.length === 0) return out.setAttribute('aria-busy', 'false');
  speechPending();
  try {
    const lines = await ask<string[]>({
      type: 'transcribe', files: speechFiles, temperature: Number($<HTMLInputElement>('speech-temperature').value),
      seed: Number($<HTMLInputElement>('speech-seed').value), lexicon: $<HTMLInputElement>('speech-lexicon').value,
      wordnetSpelling: $<HTMLInputElement>('speech-lm').checked, adaptVoice: $<HTMLInputElement>('speech-adapt').checked,
    });
    if (request === latestTranscription) out.textContent = lines.join('\n');
  } catch (error) {
    if (request === latestTranscription) showError(out, error);
  } finally {
    if (request === latestTranscription) out.setAttribute('aria-busy', 'false');
  }
}

/**
 * This page's recordings: one voice (yours), transcribed together as `engram transcribe` hears files given
 * together, so a model that standardises over a speaker hears each new one with the statistics of them all.
 */
let recordings: { name: string; bytes: Uint8Array }[] = [];
const KEPT_RECORDINGS = 20;

/** Record from the microphone until pressed again; the browser decodes the recording and it goes on as a WAV file. */
let recorder: MediaRecorder | undefined;
async function toggleRecording(): Promise<void> {
  const button = $<HTMLButtonElement>('record');
  if (recorder) return recorder.stop();
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks: Blob[] = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = async () => {
      speechPending();
      stream.getTracks().forEach((track) => track.stop());
      recorder = undefined;
      button.textContent = 'Record';
      button.setAttribute('aria-pressed', 'false');
      const context = new AudioContext();
      try {
        const audio = await context.decodeAudioData(await new Blob(chunks).arrayBuffer());
        const recording = { name: `recording ${recordings.length + 1}.wav`, bytes: encodeWav({ sampleRate: audio.sampleRate, samples: audio.getChannelData(0) }) };
        recordings = [...recordings, recording].slice(-KEPT_RECORDINGS);
        speechFiles = recordings;
        await transcribeSpeech();
      } catch (error) {
        showError($('speech-out'), error);
        $('speech-out').setAttribute('aria-busy', 'false');
      } finally {
        await context.close();
      }
    };
    recorder.start();
    button.textContent = 'Stop';
    button.setAttribute('aria-pressed', 'true');
  } catch (error) {
    showError($('speech-out'), new Error(`no microphone: ${(error as Error).message}`));
  }
}

/**
 * The files of a chosen folder by their path inside it (the browser names them "folder/a/b.wav"): the
 * transcripts, the canaries and the WAV files; nothing else is read.
 */
async function readFolder(files: File[]): Promise<ChosenFolder | undefined> {
  if (files.length === 0) return undefined;
  const inside = (f: File) => (f.webkitRelativePath || f.name).split('/').slice(1).join('/') || f.name;
  const wanted = files.filter((f) => /^(transcripts|canaries)\.tsv$/.test(inside(f)) || /\.wav$/i.test(f.name));
  return {
    name: (files[0].webkitRelativePath || files[0].name).split('/')[0],
    files: await Promise.all(wanted.map(async (f) => ({ name: inside(f), bytes: new Uint8Array(await f.arrayBuffer()) }))),
  };
}

async function openModel(file: File): Promise<void> {
  try {
    showModel(await ask<ModelSummary>({ type: 'open', name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }), $('model-out'));
  } catch (error) {
    showError($('model-out'), error);
  }
}

function wire(): void {
  $('task').addEventListener('change', fillSpecs);
  $('load').addEventListener('click', loadData);
  $<HTMLInputElement>('textfile').addEventListener('change', async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    droppedText = file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } : undefined;
  });
  $<HTMLInputElement>('speech-folder').addEventListener('change', async (e) => {
    chosenFolder = await readFolder([...((e.target as HTMLInputElement).files ?? [])]);
    await loadData();
  });
  $('train').addEventListener('click', train);
  $('pause').addEventListener('click', () => {
    if (!control) return;
    const paused = Atomics.load(control, CONTROL.paused) === 1 ? 0 : 1;
    Atomics.store(control, CONTROL.paused, paused);
    Atomics.notify(control, CONTROL.paused);
    $('pause').textContent = paused ? 'Resume' : 'Pause';
  });
  $('stop').addEventListener('click', () => {
    if (!control) return;
    Atomics.store(control, CONTROL.stop, 1);
    Atomics.store(control, CONTROL.paused, 0);
    Atomics.notify(control, CONTROL.paused);
  });
  $('sample').addEventListener('click', sampleText);
  // The temperature slider re-samples as it moves, so a person sees what temperature does.
  $('temperature').addEventListener('input', () => {
    $('temperature-out').textContent = $<HTMLInputElement>('temperature').value;
    if (current?.task === 'text') void sampleText();
  });
  $('draw').addEventListener('click', drawImages);
  $('image-temperature').addEventListener('change', () => {
    $('image-temperature-out').textContent = $<HTMLInputElement>('image-temperature').value;
    if (current?.task === 'tags-to-image') void drawImages();
  });
  $('audit').addEventListener('click', audit);
  $<HTMLInputElement>('tag-file').addEventListener('change', async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const tags = await ask<{ tag: string; probability: number }[]>({ type: 'tag', image: await imagePixels(file) });
      $('tag-out').textContent = `${file.name}: ${tags.map((t) => `${t.tag} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`;
    } catch (error) {
      showError($('tag-out'), error);
    }
  });
  $<HTMLInputElement>('speech-files').addEventListener('change', async (e) => {
    const files = [...((e.target as HTMLInputElement).files ?? [])];
    speechPending();
    speechFiles = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    await transcribeSpeech();
  });
  $('record').addEventListener('click', toggleRecording);
  $('speech-temperature').addEventListener('input', () => {
    $('speech-temperature-out').textContent = $<HTMLInputElement>('speech-temperature').value;
    void transcribeSpeech();
  });
  $('speech-seed').addEventListener('change', transcribeSpeech);
  $('speech-lexicon').addEventListener('change', transcribeSpeech);
  $('speech-lm').addEventListener('change', transcribeSpeech);
  $('speech-adapt').addEventListener('change', transcribeSpeech);
  $('query').addEventListener('click', askQuery);
  $<HTMLInputElement>('modelfile').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void openModel(file);
  });
}

/** The models engram ships (npm run models): open one with a click, or read its audit report. */
async function listShippedModels(): Promise<void> {
  const response = await fetch('/models/index.json');
  const models = response.ok ? ((await response.json()) as { name: string; report?: string }[]) : [];
  if (models.length === 0) return;
  $('shipped').innerHTML = 'Models engram trained itself: ' + models.map((m) => `<button data-model="${escapeHtml(m.name)}">${escapeHtml(m.name)}</button>` +
    (m.report ? ` <a href="${escapeHtml(m.report)}" target="_blank">its audit</a>` : '')).join(' &nbsp; ');
  for (const button of $('shipped').querySelectorAll<HTMLButtonElement>('button[data-model]')) {
    button.addEventListener('click', async () => {
      const name = button.dataset.model!;
      try {
        const bytes = new Uint8Array(await (await fetch(`/models/${name}`)).arrayBuffer());
        showModel(await ask<ModelSummary>({ type: 'open', name, bytes }), $('model-out'));
      } catch (error) {
        showError($('model-out'), error);
      }
    });
  }
}

async function main(): Promise<void> {
  fillSpecs();
  wire();
  const started = performance.now();
  try {
    const info = await ask<InitResult>({ type: 'init' });
    $('backend').textContent = `Engine: ${info.backend}${info.crossOriginIsolated ? '' : ' (page not cross-origin isolated: one thread)'}; WebGPU ${info.webgpu ? 'offered by this browser, not used yet' : 'not offered'}; ready in ${Math.round(performance.now() - started)} ms.`;
    await listShippedModels();
    document.body.dataset.ready = 'true';
  } catch (error) {
    showError($('backend'), error);
  }
}

void main();
