import { TailorError } from '../errors';
import { DEFAULT_BLOCKED_VALUES, type BlockedPattern, type BuiltInIdentifierType, type IdentifierType } from './identifiers';

/** How the graph treats one identifier type. */
export interface IdentifierRule {
  /**
   * Higher wins. The highest-priority identifier of an event is its anchor: the other identifiers are joined
   * to it in priority order, so when a limit is hit it is the lower-priority identifiers that are refused.
   * The weakest-link guard also reads it.
   */
  readonly priority: number;
  /** How many distinct values of this type one profile may hold (userId 1: the shared-tablet guard). `Infinity` for no limit. */
  readonly maxValuesPerProfile: number;
  /** Values never used (placeholders such as `0000`, `test@test.com`). */
  readonly blocked: readonly BlockedPattern[];
  /**
   * Demote a value once it has been seen with more than this many distinct values of any one of
   * {@link peopleTypes} (a store's generic email, a cashier's default loyalty id, a shared device).
   * `Infinity` never demotes.
   */
  readonly maxDistinctPeople: number;
  /** The types whose distinct values count as distinct people for {@link maxDistinctPeople}. */
  readonly peopleTypes: readonly IdentifierType[];
  /** Hash the normalized value with the graph's `hash` function (personal data: emails, phones). */
  readonly hashed: boolean;
}

/** Per-type overrides; `custom` is the default for every `custom:<name>` type without its own entry. */
export type IdentityRules = {
  readonly [T in BuiltInIdentifierType | 'custom']?: Partial<IdentifierRule>;
} & { readonly [custom: `custom:${string}`]: Partial<IdentifierRule> | undefined };

const PERSON_TYPES: readonly IdentifierType[] = ['userId', 'email', 'phone', 'loyaltyId', 'posCustomerId'];
const othersThan = (type: IdentifierType) => PERSON_TYPES.filter((t) => t !== type);

function rule(priority: number, maxValuesPerProfile: number, maxDistinctPeople: number, peopleTypes: readonly IdentifierType[], hashed = false): IdentifierRule {
  return Object.freeze({ priority, maxValuesPerProfile, blocked: DEFAULT_BLOCKED_VALUES, maxDistinctPeople, peopleTypes, hashed });
}

/**
 * The defaults. A person has one login (userId), a couple of loyalty cards, a few emails and phones and
 * devices, and any number of cookies. A value seen with more distinct people than a household (devices,
 * cookies: more than 3 userIds) or than one person plausibly owns (an email with more than 20 userIds,
 * loyalty ids or phones — Amperity's figure) is not a person's and is demoted.
 */
export const DEFAULT_IDENTITY_RULES: Readonly<Record<BuiltInIdentifierType | 'custom', IdentifierRule>> = Object.freeze({
  userId: rule(100, 1, Infinity, []),
  loyaltyId: rule(90, 2, 10, othersThan('loyaltyId')),
  posCustomerId: rule(85, 3, 10, othersThan('posCustomerId')),
  email: rule(80, 5, 20, othersThan('email'), true),
  phone: rule(70, 3, 10, othersThan('phone'), true),
  custom: rule(50, Infinity, Infinity, []),
  deviceId: rule(30, 10, 3, ['userId']),
  anonymousId: rule(20, Infinity, 3, ['userId']),
});

/** The rule of every type, defaults filled in. */
export interface RuleTable {
  get(type: IdentifierType): IdentifierRule;
  /** Types with a finite `maxValuesPerProfile`, known at construction (the guard counts them per cluster). */
  readonly limitedTypes: readonly IdentifierType[];
}

/** Fills in {@link DEFAULT_IDENTITY_RULES}; throws for rules that cannot be honoured. */
export function resolveIdentityRules(overrides: IdentityRules = {}): RuleTable {
  const resolved = new Map<string, IdentifierRule>();
  const customDefault: IdentifierRule = Object.freeze({ ...DEFAULT_IDENTITY_RULES.custom, ...overrides.custom });
  if (Number.isFinite(customDefault.maxValuesPerProfile)) {
    throw new TailorError('invalid_options', 'identity rules: "custom.maxValuesPerProfile" must be Infinity; give each limited custom type its own entry, e.g. rules["custom:crmId"]');
  }
  for (const [type, base] of Object.entries(DEFAULT_IDENTITY_RULES)) {
    if (type !== 'custom') resolved.set(type, Object.freeze({ ...base, ...(overrides as Record<string, Partial<IdentifierRule>>)[type] }));
  }
  for (const [type, override] of Object.entries(overrides)) {
    if (type.startsWith('custom:') && override) resolved.set(type, Object.freeze({ ...customDefault, ...override }));
  }
  for (const [type, value] of resolved) {
    if (!(value.maxValuesPerProfile >= 1)) throw new TailorError('invalid_options', `identity rules: "${type}.maxValuesPerProfile" must be at least 1`);
    if (!(value.maxDistinctPeople >= 0)) throw new TailorError('invalid_options', `identity rules: "${type}.maxDistinctPeople" must be a number ≥ 0`);
  }
  return {
    get: (type) => resolved.get(type) ?? customDefault,
    limitedTypes: [...resolved].filter(([, value]) => Number.isFinite(value.maxValuesPerProfile)).map(([type]) => type as IdentifierType),
  };
}
