import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizeName, normalizePhone, phoneTail } from './compare';
import { generateIdentities, type SyntheticIdentities } from './generator';

function byPerson(data: SyntheticIdentities): Map<string, string[]> {
  const people = new Map<string, string[]>();
  for (const [id, person] of data.truth) people.set(person, [...(people.get(person) ?? []), id]);
  return people;
}

describe('generateIdentities', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateIdentities({ seed: 42, people: 400, noise: 'medium' });
    const b = generateIdentities({ seed: 42, people: 400, noise: 'medium' });
    const c = generateIdentities({ seed: 43, people: 400, noise: 'medium' });
    expect(b.records).toEqual(a.records);
    expect([...b.truth]).toEqual([...a.truth]);
    expect(b.traps).toEqual(a.traps);
    expect(c.records).not.toEqual(a.records);
  });

  it('gives every record a unique id, a person, and a real identifier of its own', () => {
    const data = generateIdentities({ seed: 1, people: 2_000, noise: 'high' });
    const ids = data.records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(data.truth.size).toBe(ids.length);
    const people = byPerson(data);
    expect(people.size).toBe(2_000);
    const sizes = [...people.values()].map((records) => records.length);
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(6);
    expect(data.records.length / people.size).toBeGreaterThan(2.8);
    expect(data.records.length / people.size).toBeLessThan(3.4);
    for (const { fields } of data.records) {
      const genuine =
        (fields.email !== undefined && !fields.email.includes('@retailer.com')) ||
        fields.phone !== undefined ||
        (fields.loyaltyId !== undefined && !['0000000001', '1234567890'].includes(fields.loyaltyId)) ||
        fields.deviceId !== undefined;
      expect(genuine).toBe(true);
    }
  });

  it('lists trap groups of every kind, each spanning two or more people', () => {
    const data = generateIdentities({ seed: 2, people: 3_000, noise: 'medium' });
    expect(new Set(data.traps.map((t) => t.kind))).toEqual(new Set(['store-email', 'default-loyalty-id', 'household', 'shared-device']));
    const fieldsOf = new Map(data.records.map((r) => [r.id, r.fields]));
    for (const trap of data.traps) {
      expect(new Set(trap.recordIds.map((id) => data.truth.get(id))).size).toBeGreaterThanOrEqual(2);
      const values = trap.recordIds.map((id) => fieldsOf.get(id));
      if (trap.kind === 'store-email') expect(values.every((f) => f?.email === trap.value)).toBe(true);
      if (trap.kind === 'default-loyalty-id') expect(values.every((f) => f?.loyaltyId === trap.value)).toBe(true);
      if (trap.kind === 'shared-device') expect(values.every((f) => f?.deviceId === trap.value)).toBe(true);
    }
  });

  it('makes family members share a surname and a landline but not a first name', () => {
    const data = generateIdentities({ seed: 3, people: 3_000, noise: 'low' });
    const fieldsOf = new Map(data.records.map((r) => [r.id, r.fields]));
    const households = data.traps.filter((t) => t.kind === 'household');
    expect(households.length).toBeGreaterThan(50);
    /** Each member's most frequent value of a field. */
    const usual = (ids: readonly string[], read: (id: string) => string | undefined) => {
      const byMember = new Map<string, Map<string, number>>();
      for (const id of ids) {
        const value = read(id);
        if (value === undefined) continue;
        const person = data.truth.get(id) as string;
        const counts = byMember.get(person) ?? new Map<string, number>();
        counts.set(value, (counts.get(value) ?? 0) + 1);
        byMember.set(person, counts);
      }
      return [...byMember.values()].map((counts) => [...counts].sort((x, y) => y[1] - x[1])[0]?.[0] as string);
    };
    let sameSurname = 0;
    let sharedPhone = 0;
    for (const { recordIds } of households) {
      const firsts = usual(recordIds, (id) => normalizeName(fieldsOf.get(id)?.firstName));
      expect(new Set(firsts).size).toBe(firsts.length);
      const lasts = usual(recordIds, (id) => normalizeName(fieldsOf.get(id)?.lastName));
      if (new Set(lasts).size === 1) sameSurname++;
      const phones = usual(recordIds, (id) => {
        const digits = normalizePhone(fieldsOf.get(id)?.phone);
        return digits === undefined ? undefined : phoneTail(digits);
      });
      if (phones.length >= 2 && new Set(phones).size < phones.length) sharedPhone++;
    }
    expect(sameSurname / households.length).toBeGreaterThan(0.9);
    expect(sharedPhone / households.length).toBeGreaterThan(0.5);
  });

  it('is noisier at a higher level: more name spellings and fewer exact emails per person', () => {
    const spread = (noise: 'low' | 'high') => {
      const data = generateIdentities({ seed: 9, people: 2_000, noise });
      const fieldsOf = new Map(data.records.map((r) => [r.id, r.fields]));
      let spellings = 0;
      let emails = 0;
      for (const ids of byPerson(data).values()) {
        spellings += new Set(ids.map((id) => normalizeName(fieldsOf.get(id)?.firstName)).filter((v) => v !== undefined)).size;
        emails += new Set(ids.map((id) => normalizeEmail(fieldsOf.get(id)?.email)?.address).filter((v) => v !== undefined)).size;
      }
      return { spellings, emails };
    };
    const low = spread('low');
    const high = spread('high');
    expect(high.spellings).toBeGreaterThan(low.spellings * 1.1);
    expect(high.emails).toBeGreaterThan(low.emails * 1.05);
  });
});
