import type { RandomSource } from '../platform';
import { NICKNAMES, normalizeEmail } from './compare';
import type { IdentityRecord } from './probabilistic-comparisons';
import { createSeededRandom, randomInt } from './probabilistic-random';

/**
 * A seeded generator of synthetic retail identity records with ground truth, for measuring linkage
 * quality: people with several records each from web, app, POS, loyalty and CRM sources, noise at three
 * levels, households, shared devices, and the trap cases that wrong merges come from in practice (a
 * store's generic email on many receipts, a cashier's default loyalty number, family members sharing a
 * surname, an address and a phone). The name lists are long because realistic name frequencies are what
 * make term-frequency adjustment matter.
 */

export type NoiseLevel = 'low' | 'medium' | 'high';

/** Probabilities behind one noise level; each can be overridden. */
export interface NoiseRates {
  /** A one-character typo in a name or street, per field per record. */
  readonly typo: number;
  /** A nickname instead of the formal first name, per record. */
  readonly nickname: number;
  /** An email written differently but equal after normalization (Gmail dots, `+tag`, case). */
  readonly emailVariant: number;
  /** A really different email: same local part at another provider, a typo, or a second address. */
  readonly emailOther: number;
  /** Share of people who moved; about half of their records carry the old address. */
  readonly moved: number;
  /** Extra chance that an optional field is missing. */
  readonly missing: number;
  /** A date of birth with one digit wrong or day and month swapped. */
  readonly dobError: number;
  /** A phone number with one digit wrong. */
  readonly phoneTypo: number;
  /** POS records that carry the store's generic email instead of the shopper's. */
  readonly storeEmail: number;
  /** POS records that carry the cashier's default loyalty number. */
  readonly defaultLoyaltyId: number;
  /** App and web records of a family member made on the family's shared tablet. */
  readonly sharedDevice: number;
  /** Share of people who live in a household of two to four. */
  readonly household: number;
}

export const NOISE_LEVELS: Readonly<Record<NoiseLevel, NoiseRates>> = {
  low: { typo: 0.02, nickname: 0.05, emailVariant: 0.05, emailOther: 0.03, moved: 0.05, missing: 0.05, dobError: 0.01, phoneTypo: 0.01, storeEmail: 0.05, defaultLoyaltyId: 0.03, sharedDevice: 0.1, household: 0.3 },
  medium: { typo: 0.06, nickname: 0.12, emailVariant: 0.15, emailOther: 0.08, moved: 0.12, missing: 0.12, dobError: 0.03, phoneTypo: 0.02, storeEmail: 0.12, defaultLoyaltyId: 0.08, sharedDevice: 0.2, household: 0.35 },
  high: { typo: 0.12, nickname: 0.2, emailVariant: 0.25, emailOther: 0.15, moved: 0.2, missing: 0.22, dobError: 0.06, phoneTypo: 0.04, storeEmail: 0.2, defaultLoyaltyId: 0.15, sharedDevice: 0.3, household: 0.4 },
};

export interface GeneratorOptions {
  readonly seed: number;
  /** Number of people; each has 1–6 records (3.1 on average). */
  readonly people: number;
  /** Default 'medium'. */
  readonly noise?: NoiseLevel;
  readonly rates?: Partial<NoiseRates>;
}

export type TrapKind = 'store-email' | 'default-loyalty-id' | 'household' | 'shared-device';

/** Records of two or more different people that share a value; no two of them may be merged across people. */
export interface TrapGroup {
  readonly kind: TrapKind;
  /** The shared value: the email, the loyalty number, the device id, or `household <n>` for a family. */
  readonly value: string;
  readonly recordIds: readonly string[];
}

export interface SyntheticIdentities {
  readonly records: IdentityRecord[];
  /** Record id → person id. */
  readonly truth: Map<string, string>;
  readonly traps: TrapGroup[];
}

export type RecordSource = 'web' | 'app' | 'pos' | 'loyalty' | 'crm';

const MALE_NAMES = [
  'james', 'john', 'robert', 'michael', 'william', 'david', 'richard', 'joseph', 'thomas', 'charles', 'christopher',
  'daniel', 'matthew', 'anthony', 'andrew', 'stephen', 'peter', 'edward', 'benjamin', 'samuel', 'alexander',
  'nicholas', 'jonathan', 'timothy', 'kenneth', 'gregory', 'patrick', 'henry', 'frederick', 'lawrence', 'gerald',
  'theodore', 'zachary', 'joshua', 'oliver', 'harry', 'george', 'jacob', 'noah', 'leo', 'oscar', 'arthur', 'muhammad',
  'ethan', 'lucas', 'adam', 'ryan', 'luke', 'callum', 'aaron', 'connor', 'kieran', 'liam', 'mason', 'owen', 'rhys',
  'josé', 'françois', 'jürgen', 'søren', 'ángel', 'raúl', 'björn', 'piotr', 'tomasz', 'arjun', 'rohan', 'kwame',
];
const FEMALE_NAMES = [
  'mary', 'elizabeth', 'jennifer', 'susan', 'margaret', 'sarah', 'jessica', 'emily', 'katherine', 'catherine',
  'rebecca', 'deborah', 'patricia', 'christine', 'victoria', 'abigail', 'samantha', 'alexandra', 'josephine',
  'eleanor', 'isabella', 'olivia', 'sophia', 'amanda', 'barbara', 'dorothy', 'jacqueline', 'emma', 'charlotte',
  'amelia', 'ava', 'mia', 'grace', 'lily', 'hannah', 'lucy', 'chloe', 'ella', 'freya', 'poppy', 'ruby', 'evie',
  'laura', 'rachel', 'helen', 'claire', 'nicola', 'joanne', 'karen', 'julie', 'fiona', 'amy', 'megan', 'holly',
  'zoë', 'chloé', 'renée', 'anaïs', 'inès', 'małgorzata', 'aisha', 'priya', 'fatima', 'siobhán', 'niamh', 'ayesha',
];
const COMMON_SURNAMES = [
  'smith', 'jones', 'williams', 'taylor', 'brown', 'davies', 'evans', 'wilson', 'thomas', 'johnson', 'roberts',
  'robinson', 'thompson', 'wright', 'walker', 'white', 'edwards', 'hughes', 'green', 'hall', 'lewis', 'harris',
  'clarke', 'patel', 'jackson', 'wood', 'turner', 'martin', 'cooper', 'hill', 'ward', 'morris', 'moore', 'clark',
  'lee', 'king', 'baker', 'harrison', 'morgan', 'allen', 'james', 'scott', 'phillips', 'watson', 'davis', 'parker',
  'price', 'bennett', 'young', 'griffiths', 'mitchell', 'kelly', 'cook', 'carter', 'richardson', 'bailey',
  'collins', 'bell', 'shaw', 'murphy', 'miller', 'cox', 'richards', 'khan', 'marshall', 'anderson', 'simpson',
  'ellis', 'adams', 'singh', 'begum', 'wilkinson', 'foster', 'chapman', 'powell', 'webb', 'rogers', 'gray', 'mason',
  'ali', 'hunt', 'hussain', 'campbell', 'matthews', 'owen', 'palmer', 'holmes', 'mills', 'barnes', 'knight', 'lloyd',
  'butler', 'russell', 'barker', 'fisher', 'stevens', 'jenkins', 'murray', 'dixon', 'harvey', 'garcía', 'müller',
  'núñez', "o'brien", 'nguyen', 'kowalski', 'schröder', 'dubois', 'rossi', 'fernández', 'okafor', 'mensah',
];
const SURNAME_HEADS = [
  'ash', 'black', 'brad', 'cald', 'dun', 'fair', 'glen', 'hart', 'kings', 'lang', 'mar', 'nor', 'pen', 'red', 'stan',
  'thorn', 'wal', 'whit', 'win', 'yar', 'ames', 'bram', 'cros', 'dal', 'ell', 'fern', 'gold', 'hal', 'ing', 'kel',
  'lock', 'mel', 'new', 'oak', 'pres', 'rad', 'sel', 'tal', 'wes', 'wy',
];
const SURNAME_TAILS = ['ford', 'well', 'ton', 'by', 'ley', 'wick', 'field', 'more', 'ham', 'combe', 'worth', 'stone', 'bury', 'dale', 'wood', 'ridge', 'holt', 'croft', 'mere', 'shaw'];
const STREET_NAMES = [
  'oak', 'elm', 'station', 'church', 'mill', 'park', 'victoria', 'queens', 'kings', 'high', 'london', 'manor',
  'york', 'windsor', 'green', 'chestnut', 'willow', 'meadow', 'orchard', 'springfield', 'grange', 'albert',
  'cedar', 'beech', 'maple', 'ash', 'hawthorn', 'rose', 'cherry', 'riverside', 'bridge', 'castle', 'abbey', 'farm',
  'forest', 'heath', 'hill', 'lake', 'north', 'south', 'west', 'east', 'new', 'old', 'school', 'market', 'college',
  'harbour', 'moor', 'priory',
];
const STREET_TYPES = [
  ['Street', 'St', 'St.'], ['Road', 'Rd', 'Rd.'], ['Avenue', 'Ave', 'Av.'], ['Lane', 'Ln'], ['Drive', 'Dr'],
  ['Close', 'Cl'], ['Court', 'Ct'], ['Place', 'Pl'], ['Crescent', 'Cres'], ['Gardens', 'Gdns'], ['Way'], ['Grove', 'Gr'],
] as const;
const PROVIDERS: readonly (readonly [string, number])[] = [
  ['gmail.com', 35], ['outlook.com', 12], ['hotmail.co.uk', 10], ['icloud.com', 10], ['yahoo.co.uk', 8],
  ['btinternet.com', 6], ['sky.com', 5], ['live.co.uk', 4], ['virginmedia.com', 4], ['aol.com', 3], ['proton.me', 3],
];
const WORK_DOMAINS = ['acme.co.uk', 'nhs.net', 'council.gov.uk', 'globex.com', 'initech.io', 'uni.ac.uk'];
const DEFAULT_LOYALTY_IDS = ['0000000001', '1234567890'];
const SOURCE_WEIGHTS: readonly (readonly [RecordSource, number])[] = [['web', 25], ['app', 20], ['pos', 30], ['loyalty', 10], ['crm', 15]];
/**
 * Share of the records of each source that carry a field, before noise drops some. The CRM holds members'
 * loyalty numbers and the app shows the digital card, so both carry the loyalty id of members.
 */
const SOURCE_FIELDS: Readonly<Record<RecordSource, Readonly<Record<string, number>>>> = {
  crm: { firstName: 1, lastName: 1, email: 0.95, phone: 0.85, address: 0.9, dob: 0.8, loyaltyId: 0.7 },
  loyalty: { firstName: 1, lastName: 1, email: 0.9, phone: 0.8, address: 0.85, dob: 0.9, loyaltyId: 1 },
  web: { firstName: 0.95, lastName: 0.95, email: 1, phone: 0.5, address: 0.6, deviceId: 0.9, loyaltyId: 0.2 },
  app: { firstName: 0.9, lastName: 0.9, email: 0.95, phone: 0.6, deviceId: 1, dob: 0.3, loyaltyId: 0.5 },
  pos: { firstName: 0.85, lastName: 0.9, email: 0.55, phone: 0.3, postcode: 0.35, loyaltyId: 0.85 },
};
const RECORDS_PER_PERSON: readonly (readonly [number, number])[] = [[1, 15], [2, 25], [3, 25], [4, 18], [5, 10], [6, 7]];

interface Address {
  readonly number: number;
  readonly street: string;
  readonly type: number;
  readonly postcode: string;
}

interface Person {
  readonly id: string;
  readonly first: string;
  readonly last: string;
  readonly dob: string;
  readonly email: string;
  readonly secondEmail: string;
  readonly mobile: string;
  /** The phone this person gives: the mobile, or the household's landline. */
  readonly phone: string;
  readonly address: Address;
  readonly oldAddress: Address | undefined;
  readonly loyaltyId: string | undefined;
  readonly devices: readonly string[];
  readonly sharedDevice: string | undefined;
  readonly store: number;
  readonly household: number;
}

/** Weighted choice over fixed weights, by binary search on the cumulative sums. */
function weighted<T>(items: readonly (readonly [T, number])[]): (random: RandomSource) => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (const [, weight] of items) cumulative.push((sum += weight));
  return (random) => {
    const target = random.random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return (items[lo] as readonly [T, number])[0];
  };
}

/** Zipf-like weights: realistic names are a few very common ones and a long tail. */
function zipf(names: readonly string[], offset: number): (readonly [string, number])[] {
  return names.map((name, rank) => [name, 1 / (rank + offset)] as const);
}

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[randomInt(random, items.length)] as T;
}

function chance(random: RandomSource, p: number): boolean {
  return random.random() < p;
}

function digits(random: RandomSource, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += String(randomInt(random, 10));
  return text;
}

function titleCase(name: string): string {
  return name.replace(/(^|[\s'-])(\p{L})/gu, (_, separator: string, letter: string) => separator + letter.toUpperCase());
}

function ascii(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/ø/g, 'o').replace(/ł/g, 'l').replace(/[^a-z0-9]/g, '');
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const LETTER_LIST = LETTERS.split('');

/** One random edit: substitute, insert, delete or swap two neighbours. Never touches the first letter. */
function typo(random: RandomSource, text: string): string {
  if (text.length < 3) return text;
  const at = 1 + randomInt(random, text.length - 1);
  switch (randomInt(random, 4)) {
    case 0:
      return text.slice(0, at) + pick(random, LETTER_LIST) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + pick(random, LETTER_LIST) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1);
    default:
      return at + 1 < text.length ? text.slice(0, at) + (text[at + 1] as string) + (text[at] as string) + text.slice(at + 2) : text.slice(0, at);
  }
}

function digitTypo(random: RandomSource, text: string): string {
  const positions = [...text].flatMap((ch, i) => (/\d/.test(ch) ? [i] : []));
  const at = positions[Math.max(0, positions.length - 1 - randomInt(random, Math.min(6, positions.length)))];
  if (at === undefined) return text;
  const next = (Number(text[at]) + 1 + randomInt(random, 9)) % 10;
  return text.slice(0, at) + String(next) + text.slice(at + 1);
}

function formatPhone(random: RandomSource, national: string): string {
  // national is 0 + 10 digits.
  const rest = national.slice(1);
  switch (randomInt(random, 5)) {
    case 0:
      return `+44 ${rest.slice(0, 4)} ${rest.slice(4)}`;
    case 1:
      return `${national.slice(0, 5)} ${national.slice(5)}`;
    case 2:
      return `+44 (0)${rest.slice(0, 4)} ${rest.slice(4, 7)} ${rest.slice(7)}`;
    case 3:
      return `0044${rest}`;
    default:
      return national;
  }
}

function formatAddress(random: RandomSource, address: Address, typos: number): string {
  const forms = STREET_TYPES[address.type] as readonly string[];
  let street = titleCase(address.street);
  if (chance(random, typos)) street = titleCase(typo(random, address.street));
  const text = `${address.number}${chance(random, 0.2) ? ',' : ''} ${street} ${pick(random, forms)}`;
  return chance(random, 0.1) ? text.toUpperCase() : text;
}

function formatPostcode(random: RandomSource, postcode: string): string {
  const spaced = `${postcode.slice(0, -3)} ${postcode.slice(-3)}`;
  return chance(random, 0.3) ? postcode.toLowerCase() : chance(random, 0.5) ? spaced : postcode;
}

function formatDob(random: RandomSource, iso: string, rates: NoiseRates): string {
  let [year, month, day] = iso.split('-') as [string, string, string];
  if (chance(random, rates.dobError)) {
    if (Number(day) <= 12 && chance(random, 0.5)) [month, day] = [day, month];
    else {
      const wrong = digitTypo(random, `${year}${month}${day}`);
      const candidate = [wrong.slice(0, 4), wrong.slice(4, 6), wrong.slice(6, 8)] as [string, string, string];
      if (Number(candidate[1]) >= 1 && Number(candidate[1]) <= 12 && Number(candidate[2]) >= 1 && Number(candidate[2]) <= 28) [year, month, day] = candidate;
    }
  }
  return chance(random, 0.5) ? `${year}-${month}-${day}` : `${day}/${month}/${year}`;
}

function emailVariant(random: RandomSource, email: string): string {
  const [local, domain] = email.split('@') as [string, string];
  if (domain === 'gmail.com') {
    const choice = randomInt(random, 3);
    if (choice === 0) return `${local}+shop@${domain}`;
    if (choice === 1 && local.length > 3) return `${local.slice(0, 2)}.${local.slice(2)}@${domain}`;
    return `${local}@googlemail.com`;
  }
  if (domain === 'outlook.com' || domain === 'icloud.com') return chance(random, 0.5) ? `${local}+deals@${domain}` : email.toUpperCase();
  return chance(random, 0.5) ? email.toUpperCase() : ` ${email} `;
}

/** Generates people, households and their records; deterministic for a seed. */
export function generateIdentities(options: GeneratorOptions): SyntheticIdentities {
  const random = createSeededRandom(options.seed);
  const rates: NoiseRates = { ...NOISE_LEVELS[options.noise ?? 'medium'], ...options.rates };
  const surnames = [
    ...zipf(COMMON_SURNAMES, 12),
    ...SURNAME_HEADS.flatMap((head) => SURNAME_TAILS.map((tail) => [head + tail, 0.004] as const)),
  ];
  const chooseSurname = weighted(surnames);
  const chooseMale = weighted(zipf(MALE_NAMES, 6));
  const chooseFemale = weighted(zipf(FEMALE_NAMES, 6));
  const chooseProvider = weighted(PROVIDERS);
  const chooseSource = weighted(SOURCE_WEIGHTS);
  const chooseRecordCount = weighted(RECORDS_PER_PERSON);
  const stores = Math.max(3, Math.round(options.people / 400));
  const streets = Array.from({ length: Math.max(20, Math.round(options.people / 8)) }, (_, i) => ({
    street: `${pick(random, STREET_NAMES)}${i % 3 === 0 ? '' : ` ${pick(random, ['view', 'side', 'field', 'wood', 'bank', 'hurst'])}`}`,
    type: randomInt(random, STREET_TYPES.length),
    postcode: `${pick(random, ['AB', 'BS', 'CF', 'DN', 'EH', 'GL', 'LS', 'M', 'NE', 'OX', 'RG', 'SW', 'TN'])}${1 + randomInt(random, 20)}${randomInt(random, 10)}${LETTERS[randomInt(random, 26)]?.toUpperCase()}${LETTERS[randomInt(random, 26)]?.toUpperCase()}`,
  }));
  const newAddress = (): Address => {
    const street = pick(random, streets);
    return { number: 1 + randomInt(random, 180), street: street.street, type: street.type, postcode: street.postcode };
  };
  const usedEmails = new Set<string>();
  // Unique as mailboxes: `josephjones@gmail.com` and `joseph.jones@gmail.com` are one Gmail box.
  const uniqueEmail = (local: string, domain: string): string => {
    let email = `${local}@${domain}`;
    const box = (address: string) => normalizeEmail(address)?.address ?? address;
    while (usedEmails.has(box(email))) email = `${local}${randomInt(random, 100)}@${domain}`;
    usedEmails.add(box(email));
    return email;
  };
  const newDevice = () => `dev-${digits(random, 4)}-${digits(random, 8)}`;
  const newMobile = () => `07${digits(random, 9)}`;

  const people: Person[] = [];
  let household = 0;
  while (people.length < options.people) {
    const size = chance(random, rates.household) ? 2 + randomInt(random, 3) : 1;
    const family = size > 1 && chance(random, 0.8);
    const sharedSurname = chooseSurname(random);
    const address = newAddress();
    const landline = `01${digits(random, 9)}`;
    const tablet = size > 1 ? newDevice() : undefined;
    const store = randomInt(random, stores);
    const firstNames = new Set<string>();
    for (let member = 0; member < size && people.length < options.people; member++) {
      let first: string;
      // Nobody names two children alike: members of one household have different first names.
      do first = chance(random, 0.5) ? chooseFemale(random) : chooseMale(random);
      while (firstNames.has(ascii(first)));
      firstNames.add(ascii(first));
      const last = family ? sharedSurname : chooseSurname(random);
      const year = 1945 + randomInt(random, 62);
      const dob = `${year}-${String(1 + randomInt(random, 12)).padStart(2, '0')}-${String(1 + randomInt(random, 28)).padStart(2, '0')}`;
      const f = ascii(first);
      const l = ascii(last);
      const pattern = randomInt(random, 6);
      const local = [`${f}.${l}`, `${f}${l}`, `${f[0]}${l}`, `${f}_${l}${randomInt(random, 100)}`, `${f}${year % 100}`, `${l}${f[0]}${randomInt(random, 100)}`][pattern] as string;
      const mobile = newMobile();
      people.push({
        id: `p${people.length}`,
        first,
        last,
        dob,
        email: uniqueEmail(local, chooseProvider(random)),
        secondEmail: uniqueEmail(`${f}.${l}`, pick(random, WORK_DOMAINS)),
        mobile,
        phone: family && chance(random, 0.7) ? landline : mobile,
        address,
        oldAddress: chance(random, rates.moved) ? newAddress() : undefined,
        loyaltyId: chance(random, 0.7) ? `${1 + randomInt(random, 9)}${digits(random, 9)}` : undefined,
        devices: chance(random, 0.4) ? [newDevice(), newDevice()] : [newDevice()],
        sharedDevice: tablet,
        store: chance(random, 0.85) ? store : randomInt(random, stores),
        household,
      });
    }
    household++;
  }

  const drafts: { person: Person; fields: Record<string, string | undefined> }[] = [];
  for (const person of people) {
    const count = chooseRecordCount(random);
    for (let r = 0; r < count; r++) {
      let source = chooseSource(random);
      if (source === 'loyalty' && person.loyaltyId === undefined) source = 'crm';
      drafts.push({ person, fields: makeRecord(random, person, source, rates) });
    }
  }
  // Shuffle so that records of one person are not adjacent (Fisher–Yates).
  for (let i = drafts.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [drafts[i], drafts[j]] = [drafts[j] as (typeof drafts)[number], drafts[i] as (typeof drafts)[number]];
  }
  const width = String(drafts.length).length;
  const records: IdentityRecord[] = [];
  const truth = new Map<string, string>();
  drafts.forEach((draft, i) => {
    const id = `r${String(i).padStart(width, '0')}`;
    records.push({ id, fields: draft.fields });
    truth.set(id, draft.person.id);
  });
  return { records, truth, traps: findTraps(records, truth, drafts.map((draft) => draft.person)) };
}

function makeRecord(random: RandomSource, person: Person, source: RecordSource, rates: NoiseRates): Record<string, string | undefined> {
  const present = (base: number) => chance(random, base * (1 - rates.missing));
  const fields: Record<string, string | undefined> = { source };
  const nicknames = NICKNAMES[person.first];
  let first = nicknames !== undefined && chance(random, rates.nickname) ? pick(random, nicknames) : person.first;
  if (chance(random, rates.typo)) first = typo(random, first);
  if (chance(random, 0.3)) first = ascii(first);
  let last = chance(random, rates.typo) ? typo(random, person.last) : person.last;
  if (chance(random, 0.3)) last = ascii(last);
  const caseOf = (name: string) => (chance(random, 0.1) ? name.toUpperCase() : chance(random, 0.1) ? name : titleCase(name));
  const address = person.oldAddress !== undefined && chance(random, 0.5) ? person.oldAddress : person.address;
  let email = person.email;
  if (chance(random, rates.emailOther)) {
    const [local] = person.email.split('@') as [string];
    const kind = randomInt(random, 3);
    email = kind === 0 ? `${local}@${pick(random, PROVIDERS)[0]}` : kind === 1 ? `${typo(random, local)}@${person.email.split('@')[1]}` : person.secondEmail;
  } else if (chance(random, rates.emailVariant)) email = emailVariant(random, email);
  const phone = formatPhone(random, chance(random, rates.phoneTypo) ? digitTypo(random, person.phone) : person.phone);
  const device = person.sharedDevice !== undefined && chance(random, rates.sharedDevice) ? person.sharedDevice : pick(random, person.devices);

  const want = SOURCE_FIELDS[source];
  // Names, a web account's login email and the loyalty id on a loyalty record identify the record: noise
  // never drops them.
  if (chance(random, want.firstName ?? 0)) fields.firstName = caseOf(first);
  if (chance(random, want.lastName ?? 0)) fields.lastName = caseOf(last);
  if (source === 'web' || present(want.email ?? 0)) fields.email = email;
  if (present(want.phone ?? 0)) fields.phone = phone;
  if (present(want.address ?? 0)) {
    fields.address = formatAddress(random, address, rates.typo / 2);
    if (chance(random, 0.9)) fields.postcode = formatPostcode(random, address.postcode);
  } else if (present(want.postcode ?? 0)) fields.postcode = formatPostcode(random, address.postcode);
  if (present(want.dob ?? 0)) fields.dob = formatDob(random, person.dob, rates);
  if (source === 'loyalty') fields.loyaltyId = person.loyaltyId;
  else if (person.loyaltyId !== undefined && present(want.loyaltyId ?? 0)) fields.loyaltyId = person.loyaltyId;
  if (present(want.deviceId ?? 0)) fields.deviceId = device;
  if (source === 'pos') {
    if (chance(random, rates.storeEmail)) fields.email = `store${person.store}@retailer.com`;
    if (chance(random, rates.defaultLoyaltyId)) fields.loyaltyId = DEFAULT_LOYALTY_IDS[person.store % 7 === 0 ? 1 : 0];
  }
  // Only records with a real identifier of their own reach an identity export; a receipt with nothing
  // but a generic email and a default loyalty number is an anonymous sale.
  const genuine = (fields.email !== undefined && !fields.email.includes('@retailer.com')) ||
    fields.phone !== undefined ||
    (fields.loyaltyId !== undefined && !DEFAULT_LOYALTY_IDS.includes(fields.loyaltyId)) ||
    fields.deviceId !== undefined;
  if (!genuine) {
    if (person.loyaltyId !== undefined && source === 'pos') fields.loyaltyId = person.loyaltyId;
    else fields.email = email;
  }
  return fields;
}

function findTraps(records: readonly IdentityRecord[], truth: ReadonlyMap<string, string>, people: readonly Person[]): TrapGroup[] {
  const groups = new Map<string, { kind: TrapKind; value: string; recordIds: string[] }>();
  const add = (kind: TrapKind, value: string, id: string) => {
    const key = `${kind}|${value}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { kind, value, recordIds: [id] });
    else group.recordIds.push(id);
  };
  records.forEach((record, i) => {
    const person = people[i] as Person;
    const { email, loyaltyId, deviceId } = record.fields;
    if (email?.endsWith('@retailer.com')) add('store-email', email, record.id);
    if (loyaltyId !== undefined && DEFAULT_LOYALTY_IDS.includes(loyaltyId)) add('default-loyalty-id', loyaltyId, record.id);
    if (deviceId !== undefined && deviceId === person.sharedDevice) add('shared-device', deviceId, record.id);
    // A family sharing surname, address and landline: every record of each member who gives the landline.
    if (person.phone !== person.mobile) add('household', `household ${person.household}`, record.id);
  });
  return [...groups.values()].filter((group) => new Set(group.recordIds.map((id) => truth.get(id))).size >= 2);
}
