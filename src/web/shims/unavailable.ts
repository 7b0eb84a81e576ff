// node:fs, node:path, node:module, node:os, node:worker_threads in the browser bundle: modules that import
// them load, but calling them is a bug (the browser reads data through src/web/datasets.ts instead).
const unavailable = (name: string) => () => {
  throw new Error(`${name} is not available in the browser`);
};
export const readFileSync = unavailable('fs.readFileSync');
export const statSync = unavailable('fs.statSync');
export const existsSync = unavailable('fs.existsSync');
export const readdirSync = unavailable('fs.readdirSync');
export const realpathSync = unavailable('fs.realpathSync');
export const openSync = unavailable('fs.openSync');
export const closeSync = unavailable('fs.closeSync');
export const fstatSync = unavailable('fs.fstatSync');
export const readSync = unavailable('fs.readSync');
export const renameSync = unavailable('fs.renameSync');
export const rmSync = unavailable('fs.rmSync');
export const mkdirSync = unavailable('fs.mkdirSync');
export const writeFileSync = unavailable('fs.writeFileSync');
export const createRequire = unavailable('module.createRequire');
const path = { join: (...parts: string[]) => parts.join('/'), basename: (p: string) => p.split('/').pop() ?? p, dirname: (p: string) => p.split('/').slice(0, -1).join('/'), resolve: (p: string) => p };
export default path;
