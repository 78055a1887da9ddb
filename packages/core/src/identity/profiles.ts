/**
 * Stable public profile ids, kept apart from the graph's internal cluster ids (which are union-find roots and
 * change with every merge).
 *
 * - A merge keeps the **older** profile's id (created earlier in this graph; creation order, not event
 *   time, because the id handed out first is the one other systems already hold). The younger id is retired
 *   and resolves to the survivor from then on.
 * - A split keeps the id on the part holding the cluster's oldest identifier (first seen by the graph). Each
 *   other part takes back the id it had before the merge if that id was retired into this profile with the
 *   part's oldest identifier as its own oldest; otherwise it gets a new id. So unmerging a wrong merge gives
 *   both people their old ids back.
 */
export interface ProfileRecord {
  readonly id: string;
  /** Creation order: smaller is older. */
  readonly seq: number;
  /** Live: a member node of the profile's cluster. Retired: the absorbed cluster's oldest node. */
  node: number;
  /** Set once retired; always a live profile (chains are flattened on every merge). */
  mergedInto: ProfileRecord | undefined;
  /** Retired profiles that resolve to this one. */
  readonly aliases: ProfileRecord[];
}

export interface ProfileRegistry {
  readonly live: number;
  /** `key` is the identifier key of `node`, handed to the id source so ids can be derived from it. */
  create(node: number, key: string): ProfileRecord;
  /** Retires the younger of two live profiles into the older; `absorbedOldestNode` is the retired side's oldest node. */
  merge(a: ProfileRecord, b: ProfileRecord, oldestNodeOf: (record: ProfileRecord) => number): { survivor: ProfileRecord; absorbed: ProfileRecord };
  /** The live profile an id resolves to (itself, or the profile it was merged into). */
  current(id: string): ProfileRecord | undefined;
  /** The retired profile to give back to a part split off `from` whose oldest node is `oldestNode`, if any. */
  revive(from: ProfileRecord, oldestNode: number): ProfileRecord | undefined;
  /** Forgets a live profile and every id merged into it; returns those ids, the live one first. */
  remove(record: ProfileRecord): string[];
}

export function createProfileRegistry(createId: (key: string) => string): ProfileRegistry {
  const byId = new Map<string, ProfileRecord>();
  const retiredByNode = new Map<number, ProfileRecord>();
  let seq = 0;
  let live = 0;

  return {
    get live() {
      return live;
    },
    create(node, key) {
      let id = createId(key);
      // A host's id source should never repeat, but a repeat must not alias two people.
      while (byId.has(id)) id = `${id}~${seq}`;
      const record: ProfileRecord = { id, seq: seq++, node, mergedInto: undefined, aliases: [] };
      byId.set(id, record);
      live++;
      return record;
    },
    merge(a, b, oldestNodeOf) {
      const [survivor, absorbed] = a.seq <= b.seq ? [a, b] : [b, a];
      absorbed.node = oldestNodeOf(absorbed);
      absorbed.mergedInto = survivor;
      for (const alias of absorbed.aliases) alias.mergedInto = survivor;
      survivor.aliases.push(absorbed, ...absorbed.aliases);
      absorbed.aliases.length = 0;
      retiredByNode.set(absorbed.node, absorbed);
      live--;
      return { survivor, absorbed };
    },
    current(id) {
      const record = byId.get(id);
      return record?.mergedInto ?? record;
    },
    revive(from, oldestNode) {
      const record = retiredByNode.get(oldestNode);
      if (record === undefined || record.mergedInto !== from) return undefined;
      retiredByNode.delete(oldestNode);
      record.mergedInto = undefined;
      from.aliases.splice(from.aliases.indexOf(record), 1);
      live++;
      return record;
    },
    remove(record) {
      const ids = [record.id];
      byId.delete(record.id);
      live--;
      for (const alias of record.aliases) {
        ids.push(alias.id);
        byId.delete(alias.id);
        if (retiredByNode.get(alias.node) === alias) retiredByNode.delete(alias.node);
      }
      record.aliases.length = 0;
      return ids;
    },
  };
}
