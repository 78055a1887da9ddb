import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TailorError, type TrackingPlan } from '@tailor/core';

function isTrackingPlan(value: unknown): value is TrackingPlan {
  return typeof value === 'object' && value !== null && typeof (value as TrackingPlan).getEventSchema === 'function' && typeof (value as TrackingPlan).name === 'string';
}

/**
 * Loads a source's tracking plan from a module whose default export (or `plan` export) is the result of
 * `defineTrackingPlan(...)`. TypeScript modules load through tsx, so a plan can be the same file the
 * storefront imports its types from.
 */
export async function loadTrackingPlan(path: string, baseDir: string): Promise<TrackingPlan> {
  const file = isAbsolute(path) ? path : resolve(baseDir, path);
  let module: Record<string, unknown>;
  try {
    if (/\.(c|m)?ts$/.test(file)) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new TailorError('invalid_config', `could not load the tracking plan ${file}: ${(error as Error).message}`, { cause: error });
  }
  const candidate = module.default ?? module.plan;
  const plan = isTrackingPlan(candidate) ? candidate : isTrackingPlan((candidate as { default?: unknown })?.default) ? (candidate as { default: TrackingPlan }).default : undefined;
  if (plan === undefined) {
    throw new TailorError('invalid_config', `${file} must export a tracking plan as its default export: export default defineTrackingPlan({ name, events })`);
  }
  return plan;
}
