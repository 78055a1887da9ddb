/**
 * What the feature spec reads from an event: a structural slice of a Segment call, so a validated
 * `SegmentEvent`, a row from the event log and a training-set record all fit.
 */
export interface FeatureEvent {
  readonly type?: string;
  /** The track event's name, e.g. `Order Completed`. */
  readonly event?: string;
  /** When it happened: an ISO 8601 string (Segment's form) or epoch milliseconds. */
  readonly timestamp?: string | number;
  readonly originalTimestamp?: string | number;
  readonly receivedAt?: string | number;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly context?: { readonly channel?: string };
}

/**
 * One definition of the real-time profile features, shared by the device, the collector and training,
 * so serving and training compute the same numbers. Plain JSON; validate with `parseFeatureSpec`.
 */
export interface FeatureSpec {
  /** Names this definition. A stored state built under another version must be rebuilt from the log. */
  readonly version: string;
  /** Which track events count as what. Several names per role: web and in-store orders are both orders. */
  readonly events: {
    readonly order: readonly string[];
    readonly productView: readonly string[];
    readonly productAdd: readonly string[];
    readonly productRemove: readonly string[];
    readonly search: readonly string[];
    readonly cartView: readonly string[];
  };
  readonly rfm: {
    /** Exact counts and sums over these trailing windows, in days. */
    readonly windowsDays: readonly number[];
    /** Half-life of the decayed order count and revenue. */
    readonly halfLifeDays: number;
    /** Recency features never exceed this (and take it when there was no order). */
    readonly recencyCapDays: number;
    /** The most recent orders kept for the windows; a window holding more is counted up to this many. */
    readonly maxRecentOrders: number;
  };
  readonly affinity: {
    /** Product fields to score, e.g. `category`, `brand`. */
    readonly dimensions: readonly string[];
    readonly halfLifeDays: number;
    /** Values kept per dimension; when full, the weakest one makes way. */
    readonly maxKeys: number;
    /** Score added per product viewed, added to cart, and bought (per order line). */
    readonly weights: { readonly view: number; readonly add: number; readonly purchase: number };
  };
  readonly session: {
    /** A session ends after this much inactivity. */
    readonly timeoutMinutes: number;
  };
  readonly channel: {
    /** Channels reported in the channel mix (`context.channel` values). */
    readonly channels: readonly string[];
  };
}

/** A sum of amounts that halves every half-life: `value` as of `at` (epoch ms), decayed lazily on read. */
export interface DecayedSum {
  value: number;
  at: number;
}

/** Scores per value of one product field, and the decayed total of everything scored. */
export interface AffinityState {
  total: DecayedSum;
  /** By feature name, `affinity.<dimension>.<normalized value>`, so reads build no strings. */
  keys: Record<string, DecayedSum>;
}

/** The current session; null before the first event. Times are epoch ms. */
export interface SessionState {
  startAt: number;
  lastAt: number;
  events: number;
  productViews: number;
  searches: number;
  addToCarts: number;
  cartValue: number;
  /** Time of the last cart snapshot (Cart Viewed, an order); older cart changes are already in it. */
  cartAt: number;
}

/**
 * A profile's feature state: plain JSON (store it as JSON or msgpack), bounded in size by the spec,
 * updated in place by `applyEvent` and read at any time by `readFeatures`.
 */
export interface FeatureState {
  /** Layout version of this object. */
  readonly v: 1;
  /** `FeatureSpec.version` it was built with. */
  readonly specVersion: string;
  /** Latest event time applied (epoch ms), null before any. */
  lastEventAt: number | null;
  /** Events skipped because they had no usable time. */
  ignored: number;
  rfm: {
    orders: number;
    revenue: number;
    firstOrderAt: number | null;
    lastOrderAt: number | null;
    ordersDecayed: DecayedSum;
    revenueDecayed: DecayedSum;
    /** `[at, revenue]` of the most recent orders, oldest first, at most `maxRecentOrders`. */
    recent: [number, number][];
  };
  affinity: Record<string, AffinityState>;
  session: SessionState | null;
  price: {
    orders: number;
    discountedOrders: number;
    paidSum: number;
    paidUnits: number;
    viewedSum: number;
    viewedCount: number;
  };
  channel: {
    events: Record<string, number>;
    orders: Record<string, number>;
    totalEvents: number;
    totalOrders: number;
  };
}
