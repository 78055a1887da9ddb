/**
 * Typical retail events, deterministic for a given index: the mix a storefront sends (browse, cart,
 * checkout, order) with 1–10 products where the event carries a list.
 */
const CATEGORIES = ['Games', 'Shoes', 'Kitchen', 'Toys', 'Outdoor', 'Books'];
const BRANDS = ['Hasbro', 'Acme', 'Nordic', 'Lumen', 'Trail', 'Paperhouse'];

function product(i: number, position: number) {
  return {
    product_id: `507f1f77bcf86cd7994${(390 + i * 7 + position).toString().padStart(5, '0')}`,
    sku: `SKU-${(i * 31 + position) % 9973}`,
    category: CATEGORIES[(i + position) % CATEGORIES.length],
    name: `Product ${i}-${position} with a name of realistic length`,
    brand: BRANDS[(i * 3 + position) % BRANDS.length],
    variant: position % 2 === 0 ? 'blue' : 'red',
    price: Math.round(((i % 97) + position * 3.5 + 4.99) * 100) / 100,
    quantity: 1 + (position % 3),
    position: position + 1,
    url: `https://shop.example/p/${i}-${position}`,
    image_url: `https://cdn.shop.example/i/${i}-${position}.jpg`,
  };
}

function context(i: number) {
  return {
    library: { name: '@tailor/browser', version: '0.1.0' },
    page: { path: '/c/games', referrer: 'https://search.example/', search: '', title: 'Games', url: 'https://shop.example/c/games' },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36',
    locale: 'en-GB',
    ip: `203.0.113.${i % 250}`,
    campaign: { name: 'winter', source: 'newsletter', medium: 'email' },
  };
}

export function retailEvent(i: number): Record<string, unknown> {
  const count = 1 + (i % 10);
  const products = Array.from({ length: count }, (_, p) => product(i, p));
  const base = {
    type: 'track',
    messageId: `msg-${i.toString(36)}-${(i * 2654435761) % 2 ** 32}`,
    anonymousId: `anon-${i % 5000}`,
    ...(i % 3 === 0 ? { userId: `user-${i % 1200}` } : {}),
    timestamp: new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + i * 1000).toISOString(),
    context: context(i),
  };
  switch (i % 5) {
    case 0:
      return { ...base, event: 'Product List Viewed', properties: { list_id: `list-${i % 40}`, category: 'Games', products } };
    case 1:
      return { ...base, event: 'Product Added', properties: { cart_id: `cart-${i % 900}`, ...product(i, 0), currency: 'EUR', value: 24.99 } };
    case 2:
      return { ...base, event: 'Cart Viewed', properties: { cart_id: `cart-${i % 900}`, products } };
    case 3:
      return {
        ...base,
        event: 'Checkout Started',
        properties: { order_id: `o-${i}`, value: 99.5, revenue: 90, shipping: 4.5, tax: 5, currency: 'EUR', products },
      };
    default:
      return {
        ...base,
        event: 'Order Completed',
        properties: {
          checkout_id: `c-${i}`, order_id: `o-${i}`, affiliation: 'Web', subtotal: 90, total: 99.5, revenue: 90,
          shipping: 4.5, tax: 5, discount: 0, coupon: 'WINTER', currency: 'EUR', products,
        },
      };
  }
}
