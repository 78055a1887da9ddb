import { DEFAULT_RETAIL_FEATURE_SPEC, readFeatures, type FeatureValues } from '@tailor/core';
import type { Profile } from './types';

const DAY_MS = 86_400_000;

/**
 * The feature values decisions read for a profile at `now`: the shared feature spec's values (recency,
 * frequency, monetary, affinities, session intent, price sensitivity: the same numbers the device and
 * training compute), plus the profile's event counters (`count.<Event Name>`, `calls.<type>`) and its age and
 * recency in days.
 */
export function profileFeatures(profile: Profile, now: number): FeatureValues {
  const values: Record<string, number> = {};
  for (const [name, count] of Object.entries(profile.events)) values[`count.${name}`] = count;
  for (const [type, count] of Object.entries(profile.counts)) values[`calls.${type}`] = count;
  values['profile.days_since_first_seen'] = Math.max(0, (now - profile.firstSeen) / DAY_MS);
  values['profile.days_since_last_seen'] = Math.max(0, (now - profile.lastSeen) / DAY_MS);
  if (profile.features !== undefined && profile.features.specVersion === DEFAULT_RETAIL_FEATURE_SPEC.version) {
    Object.assign(values, readFeatures(profile.features.state, DEFAULT_RETAIL_FEATURE_SPEC, now));
  }
  return values;
}
