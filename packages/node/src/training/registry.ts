import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TailorError } from '@tailor/core';

/** One registered model version: `<root>/<modelId>/<version>/model.onnx` and `report.json`. */
export interface ModelVersion {
  readonly modelId: string;
  readonly version: number;
  readonly dir: string;
  readonly modelPath: string;
  readonly reportPath: string;
  /** When it was registered (epoch ms, the directory's modification time). */
  readonly createdAt: number;
  readonly promoted: boolean;
}

export interface ModelRegistry {
  readonly root: string;
  /**
   * Registers the next version of `modelId`: `build(version)` returns the files (the ONNX metadata names
   * its own version, so the bytes depend on it). The version is one more than any this registry has handed
   * out for the id, and appears only complete (written aside, then renamed into place).
   */
  register(modelId: string, build: (version: number) => { readonly model: Uint8Array; readonly report: unknown }): Promise<ModelVersion>;
  /** Versions of one model (or of every model), oldest first. */
  list(modelId?: string): Promise<ModelVersion[]>;
  get(modelId: string, version: number): Promise<ModelVersion | undefined>;
  getLatest(modelId: string): Promise<ModelVersion | undefined>;
  /** The version serving should use: the promoted one. */
  getPromoted(modelId: string): Promise<ModelVersion | undefined>;
  /** Marks a registered version as the one to serve. Throws a TailorError for a version that does not exist. */
  promote(modelId: string, version: number): Promise<ModelVersion>;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERSION_DIR = /^[1-9]\d{0,8}$/;
const HIGH_WATER = 'last-version';
const PROMOTED = 'promoted.json';

/**
 * A model registry in a directory: `<root>/<modelId>/<version>/model.onnx + report.json`, versions
 * 1, 2, 3… never reused (a high-water mark survives deleted versions), and `promoted.json` naming the version
 * to serve. Several processes may register at once: a version directory is claimed by an atomic rename.
 *
 * @example
 * const registry = createModelRegistry('models');
 * const entry = await registry.register('purchase-7d', (version) => ({ model: exportOnnx(model, { modelId: 'purchase-7d', modelVersion: String(version) }), report }));
 * await registry.promote('purchase-7d', entry.version);
 */
export function createModelRegistry(root: string): ModelRegistry {
  const base = resolve(root);
  const checkId = (modelId: string, method: string) => {
    if (!MODEL_ID.test(modelId)) {
      throw new TailorError('invalid_options', `ModelRegistry.${method}: model id ${JSON.stringify(modelId)} must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
  };

  async function versionsOf(modelId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(join(base, modelId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => VERSION_DIR.test(name)).map(Number).sort((a, b) => a - b);
  }

  async function promotedVersion(modelId: string): Promise<number | undefined> {
    try {
      const parsed = JSON.parse(await readFile(join(base, modelId, PROMOTED), 'utf8')) as { version?: unknown };
      return typeof parsed.version === 'number' ? parsed.version : undefined;
    } catch {
      return undefined;
    }
  }

  async function entry(modelId: string, version: number, promoted: number | undefined): Promise<ModelVersion | undefined> {
    const dir = join(base, modelId, String(version));
    try {
      const info = await stat(join(dir, 'model.onnx'));
      return { modelId, version, dir, modelPath: join(dir, 'model.onnx'), reportPath: join(dir, 'report.json'), createdAt: info.mtimeMs, promoted: promoted === version };
    } catch {
      return undefined;
    }
  }

  async function highWater(modelId: string): Promise<number> {
    try {
      const value = Number((await readFile(join(base, modelId, HIGH_WATER), 'utf8')).trim());
      return Number.isSafeInteger(value) && value > 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  const registry: ModelRegistry = {
    root: base,

    async register(modelId, build) {
      checkId(modelId, 'register');
      const modelDir = join(base, modelId);
      await mkdir(modelDir, { recursive: true });
      for (let attempt = 0; attempt < 100; attempt++) {
        const existing = await versionsOf(modelId);
        const version = Math.max(existing[existing.length - 1] ?? 0, await highWater(modelId)) + 1;
        const files = build(version);
        const staging = join(modelDir, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
        await mkdir(staging);
        try {
          await writeFile(join(staging, 'model.onnx'), files.model);
          await writeFile(join(staging, 'report.json'), `${JSON.stringify(files.report, null, 2)}\n`);
          await rename(staging, join(modelDir, String(version)));
        } catch (error) {
          await rm(staging, { recursive: true, force: true });
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' || code === 'EEXIST') continue; // another process took this version
          throw error;
        }
        if ((await highWater(modelId)) < version) await writeAtomically(join(modelDir, HIGH_WATER), `${version}\n`);
        return (await entry(modelId, version, await promotedVersion(modelId))) as ModelVersion;
      }
      throw new TailorError('internal', `ModelRegistry.register: could not claim a version directory under ${modelDir} after 100 attempts`);
    },

    async list(modelId) {
      let ids: string[];
      if (modelId !== undefined) {
        checkId(modelId, 'list');
        ids = [modelId];
      } else {
        try {
          ids = (await readdir(base, { withFileTypes: true })).filter((item) => item.isDirectory() && MODEL_ID.test(item.name)).map((item) => item.name).sort();
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw error;
        }
      }
      const out: ModelVersion[] = [];
      for (const id of ids) {
        const promoted = await promotedVersion(id);
        for (const version of await versionsOf(id)) {
          const found = await entry(id, version, promoted);
          if (found) out.push(found);
        }
      }
      return out;
    },

    async get(modelId, version) {
      checkId(modelId, 'get');
      return entry(modelId, version, await promotedVersion(modelId));
    },

    async getLatest(modelId) {
      const all = await registry.list(modelId);
      return all[all.length - 1];
    },

    async getPromoted(modelId) {
      checkId(modelId, 'getPromoted');
      const version = await promotedVersion(modelId);
      return version === undefined ? undefined : entry(modelId, version, version);
    },

    async promote(modelId, version) {
      checkId(modelId, 'promote');
      const found = await entry(modelId, version, version);
      if (found === undefined) {
        const known = (await versionsOf(modelId)).join(', ') || 'none';
        throw new TailorError('invalid_options', `ModelRegistry.promote: ${modelId} has no version ${version} in ${base} (versions: ${known})`);
      }
      await writeAtomically(join(base, modelId, PROMOTED), `${JSON.stringify({ version, promotedAt: new Date().toISOString() })}\n`);
      return found;
    },
  };
  return registry;
}
