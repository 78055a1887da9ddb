import type { AsyncProfileStore } from '../storage/async-store';
import type { Profile } from './types';
import type { DeleteProfileResult, ResolvedTarget, TargetResolver } from './profile-projector';

export type ProfileReadResult = { readonly status: 'found'; readonly profile: Profile } | { readonly status: 'not-found' } | { readonly status: 'bad-identifier'; readonly message: string };

/** What the HTTP layer needs to read and erase profiles; in a cluster worker, deletes go to the primary. */
export interface ProfileService {
  get(sourceId: string, target: string): Promise<ProfileReadResult>;
  delete(sourceId: string, target: string): Promise<DeleteProfileResult>;
}

/**
 * Reads from the profile store (committed state, any process; `toAsyncProfileStore(store.profiles)` for LMDB)
 * and erases through `erase` (the projector, here or in the primary).
 *
 * @example
 * const service = createProfileService(toAsyncProfileStore(store.profiles), createTargetResolver(), (source, target) => projector.deleteProfile(source, target));
 * await service.get('shop', 'userId:u1');
 */
export function createProfileService(
  profiles: Pick<AsyncProfileStore, 'getProfile' | 'findProfile'>,
  resolveTarget: TargetResolver,
  erase: (sourceId: string, target: string) => Promise<DeleteProfileResult>,
): ProfileService {
  return {
    async get(sourceId, target) {
      const resolved: ResolvedTarget = resolveTarget(target);
      if (resolved.kind === 'invalid') return { status: 'bad-identifier', message: resolved.message };
      const profile = resolved.kind === 'profile' ? await profiles.getProfile(sourceId, resolved.value) : await profiles.findProfile(sourceId, resolved.value);
      return profile === undefined ? { status: 'not-found' } : { status: 'found', profile };
    },
    delete: erase,
  };
}
