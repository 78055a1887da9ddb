'use client';
import type { ExperimentAssignment } from '@tailor/core';
import { useCallback, useSyncExternalStore } from 'react';
import { useDecisionsFor } from './provider';

const unassigned = (): undefined => undefined;

/**
 * The person's assignment in an experiment of the decision config: deterministic and sticky, `undefined`
 * until the config is loaded, on the server and while hydrating. Re-renders when the assignment changes
 * (config loaded, sign-in).
 *
 * @example
 * const layout = useExperiment('pdp-layout');
 * return layout?.variationKey === 'gallery' ? <Gallery /> : <Classic />;
 */
export function useExperiment(key: string): ExperimentAssignment | undefined {
  const decisions = useDecisionsFor('useExperiment');
  const subscribe = useCallback((listener: () => void) => decisions.subscribe(listener), [decisions]);
  const getAssignment = useCallback(() => decisions.getExperiment(key), [decisions, key]);
  return useSyncExternalStore(subscribe, getAssignment, unassigned);
}
