import type { Profile } from './types';
import type { DeleteProfileResult, ResolvedTarget, TargetResolver } from './profile-projector';
import type { ProfileStore } from './profile-store';

/** What the HTTP layer needs to read and erase profiles; in a cluster worker, deletes go to the primary. */
export interface ProfileService {
  get(sourceId: string, target: string): { readonly status: 'found'; readonly profile: Profile } | { readonly status: 'not-found' } | { readonly status: 'bad-identifier'; readonly message: string };
  delete(sourceId: string, target: string): Promise<DeleteProfileResult>;
}

/**
 * Reads from the profile store (committed state, any process) and erases through `erase` (the projector, here
 * or in the primary).
 */
export function createProfileService(profiles: ProfileStore, resolveTarget: TargetResolver, erase: (sourceId: string, target: string) => Promise<DeleteProfileResult>): ProfileService {
  return {
    get(sourceId, target) {
      const resolved: ResolvedTarget = resolveTarget(target);
      if (resolved.kind === 'invalid') return { status: 'bad-identifier', message: resolved.message };
      const profile = resolved.kind === 'profile' ? profiles.getProfile(sourceId, resolved.value) : profiles.findProfile(sourceId, resolved.value);
      return profile === undefined ? { status: 'not-found' } : { status: 'found', profile };
    },
    delete: erase,
  };
}
