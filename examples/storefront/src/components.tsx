import type { OfferItem } from '@tailor/browser/decisions';
import { Offer, useConsent, type OfferHelpers, type PlacementContext } from '@tailor/react';
import { useSyncExternalStore, type ReactNode } from 'react';
import { addToCart, cartCount, useCart } from './cart';
import { CATEGORIES, findProduct, formatPrice, type Product } from './catalog';

export function Header() {
  const cart = useCart();
  return (
    <header className="header">
      <a className="logo" href="#/">Tailor Outfitters</a>
      <nav>
        {CATEGORIES.map((category) => (
          <a key={category.id} href={`#/category/${category.id}`} data-testid={`nav-category-${category.id}`}>
            {category.name}
          </a>
        ))}
      </nav>
      <OfflineBadge />
      <a className="cart-link" href="#/cart" data-testid="cart-link">
        Cart <span className="count" data-testid="cart-count">{cartCount(cart)}</span>
      </a>
    </header>
  );
}

const subscribeOnline = (listener: () => void) => {
  window.addEventListener('online', listener);
  window.addEventListener('offline', listener);
  return () => {
    window.removeEventListener('online', listener);
    window.removeEventListener('offline', listener);
  };
};

/** Shown while the browser is offline: the SDK keeps events on the device and sends them when back. */
export function OfflineBadge() {
  const online = useSyncExternalStore(subscribeOnline, () => navigator.onLine, () => true);
  if (online) return null;
  return (
    <span className="offline" data-testid="offline-badge" title="Your activity is saved on this device and sent when you are back online">
      Offline
    </span>
  );
}

/** Asks once; "Privacy settings" in the footer asks again. */
export function ConsentBanner({ reopened, onClose }: { reopened: boolean; onClose: () => void }) {
  const [consent, setConsent] = useConsent();
  if (consent === undefined || (consent.source !== 'default' && !reopened)) return null;
  const choose = (allowed: boolean) => {
    setConsent({ measurement: allowed, personalization: allowed });
    onClose();
  };
  return (
    <aside className="consent" data-testid="consent-banner" role="dialog" aria-label="Privacy choices">
      <p>
        We use your activity on this site to measure it and to personalize offers. Nothing leaves your browser
        until you choose.
      </p>
      <button data-testid="consent-accept" onClick={() => choose(true)}>Accept</button>
      <button data-testid="consent-deny" className="secondary" onClick={() => choose(false)}>Deny</button>
    </aside>
  );
}

export function Footer({ onPrivacy }: { onPrivacy: () => void }) {
  const [consent] = useConsent();
  const personalized = consent?.purposes.personalization === true;
  return (
    <footer className="footer">
      <span data-testid="consent-status">{personalized ? 'Personalized offers on' : 'Personalized offers off'}</span>
      <button className="link" data-testid="consent-settings" onClick={onPrivacy}>Privacy settings</button>
    </footer>
  );
}

/** Product "photos" are drawn: no network images. */
export function ProductArt({ product, size = 160 }: { product: Product; size?: number }) {
  const shapes: Record<string, ReactNode> = {
    shoes: <path d="M20 70 Q40 40 70 55 L120 60 Q140 62 140 80 L20 80 Z" />,
    bags: <path d="M40 50 H120 L130 120 H30 Z M60 50 Q80 15 100 50" strokeWidth="6" />,
    outerwear: <path d="M55 30 L80 40 L105 30 L135 55 L120 70 L112 62 V130 H48 V62 L40 70 L25 55 Z" />,
    accessories: <circle cx="80" cy="75" r="40" />,
  };
  return (
    <svg className="art" width={size} height={size * 0.9} viewBox="0 0 160 144" role="img" aria-label={product.name}>
      <rect width="160" height="144" rx="12" fill="#f3f1ec" />
      <g fill={product.color} stroke={product.color}>{shapes[product.category]}</g>
    </svg>
  );
}

export function ProductCard({ product, position, onOpen }: { product: Product; position: number; onOpen?: (product: Product, position: number) => void }) {
  return (
    <a className="card" href={`#/product/${product.id}`} data-testid={`product-card-${product.id}`} onClick={() => onOpen?.(product, position)}>
      <ProductArt product={product} />
      <span className="brand">{product.brand}</span>
      <strong>{product.name}</strong>
      <span className="price">{formatPrice(product.price)}</span>
    </a>
  );
}

/** What a placement shows when it has no offer (deciding, no consent for personalization, collector away). */
const HOUSE_OFFERS: Record<string, { title: string; body: string }> = {
  'home-hero': { title: 'Free returns for 30 days', body: 'Try it at home; send it back free if it is not right.' },
  'product-sidebar': { title: 'Free shipping over €100', body: 'Delivered in 2–3 working days.' },
  cart: { title: 'Members save 10%', body: 'Join at checkout and the discount applies to this order.' },
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A next-best-offer slot. The creative comes from the collector's offer catalog; a product offer links to it. */
export function OfferSlot({ placement, context }: { placement: string; context?: PlacementContext }) {
  const house = HOUSE_OFFERS[placement];
  return (
    <Offer
      placement={placement}
      context={context}
      className={`offer offer-${placement}`}
      data-testid={`offer-${placement}`}
      fallback={house && <OfferCard title={house.title} body={house.body} />}
      render={(offer, helpers) => <ChosenOffer offer={offer} helpers={helpers} />}
    />
  );
}

function ChosenOffer({ offer, helpers }: { offer: OfferItem; helpers: OfferHelpers }) {
  const creative = offer.creative;
  const product = findProduct(text(creative.productId) ?? text(creative.product_id) ?? '');
  const title = text(creative.title) ?? product?.name ?? offer.offerId;
  const body = text(creative.body) ?? text(creative.description) ?? product?.description ?? '';
  const href = product ? `#/product/${product.id}` : text(creative.href) ?? text(creative.url);
  return (
    <OfferCard title={title} body={body} personalized>
      {product && <ProductArt product={product} size={96} />}
      {href && (
        <a className="cta" href={href} data-testid="offer-cta" onClick={helpers.click}>
          {text(creative.cta) ?? 'Have a look'}
        </a>
      )}
      {product && (
        <button
          data-testid="offer-add"
          onClick={() => {
            addToCart(product);
            helpers.convert(product.price);
          }}
        >
          Add · {formatPrice(product.price)}
        </button>
      )}
      <button className="link" data-testid="offer-dismiss" onClick={helpers.dismiss}>Not for me</button>
    </OfferCard>
  );
}

function OfferCard({ title, body, personalized = false, children }: { title: string; body: string; personalized?: boolean; children?: ReactNode }) {
  return (
    <div className={personalized ? 'offer-card personalized' : 'offer-card'}>
      <strong>{title}</strong>
      <p>{body}</p>
      {children}
    </div>
  );
}
