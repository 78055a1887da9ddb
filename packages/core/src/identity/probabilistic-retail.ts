import { canonicalFirstName, normalizeName, soundex } from './compare';
import {
  dobSurnameBlock,
  emailBlock,
  emailLocalPartBlock,
  exactBlock,
  firstNamePostcodeBlock,
  firstNameSoundexBlock,
  fullNameBlock,
  namePostcodeBlock,
  phoneBlock,
  surnameInitialBlock,
} from './probabilistic-blocking';
import {
  GENERIC_IDENTIFIER_PEOPLE,
  contactComparison,
  dateOfBirthComparison,
  exactComparison,
  nameComparison,
} from './probabilistic-comparisons';
import { emailComparison } from './probabilistic-email';
import type { MatcherConfig } from './probabilistic-types';

/**
 * The comparisons and blocking rules for retail identity records with the fields `firstName`,
 * `lastName`, `email`, `phone`, `address`, `postcode`, `dob`, `loyaltyId` and `deviceId`.
 *
 * @example
 * const matcher = createMatcher(createRetailMatcherConfig());
 */
export function createRetailMatcherConfig(overrides: Partial<MatcherConfig> = {}): MatcherConfig {
  return {
    comparisons: [
      nameComparison({ field: 'firstName' }),
      nameComparison({ field: 'lastName', nicknames: false }),
      emailComparison({ nameFields: ['firstName', 'lastName'] }),
      contactComparison(),
      dateOfBirthComparison(),
      exactComparison({ field: 'loyaltyId', genericAbove: GENERIC_IDENTIFIER_PEOPLE }),
      exactComparison({ field: 'deviceId', genericAbove: GENERIC_IDENTIFIER_PEOPLE }),
    ],
    blocking: [
      emailBlock(),
      emailLocalPartBlock(),
      // A home phone, a family tablet and a household's postcode find family members, who agree on
      // surname and address: good candidates, poor EM training pairs.
      phoneBlock('phone', 9, { train: false }),
      { ...namePostcodeBlock(), train: false },
      dobSurnameBlock(),
      fullNameBlock(),
      firstNameSoundexBlock(),
      exactBlock('loyaltyId'),
      exactBlock('deviceId', { train: false }),
      // Surname typos that change its Soundex (`Bennetyt`) and first-name typos that change the first
      // name's (`Susaln`); a surname and an initial are worth their candidates only while few share them.
      firstNamePostcodeBlock(),
      surnameInitialBlock({ maxBlockSize: 10 }),
    ],
    personKey: (fields) => {
      const first = normalizeName(fields.firstName);
      return first === undefined ? undefined : soundex(canonicalFirstName(first)) || undefined;
    },
    // Family members share a surname, a home and a tablet, and may have similar first names (Christine
    // and Christopher; John and Jonathan are both "Jon"), but not the same one, nor a name and its only
    // short form (Robert and Bob), nor one typo apart.
    correlatedGroups: [
      { comparisons: ['firstName', 'lastName', 'contact', 'deviceId'], independentWhen: { comparison: 'firstName', levels: ['exact', 'nickname', 'one typo'] } },
    ],
    ...overrides,
  };
}
