import { useTrack } from '@tailor/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { CART_ID, addToCart, cartCount, cartValue, clearCart, removeFromCart, useCart, type CartLine } from './cart';
import { CATEGORIES, CURRENCY, PRODUCTS, findCategory, findProduct, formatPrice, productsIn, toEventProduct, type Product } from './catalog';
import { OfferSlot, ProductArt, ProductCard } from './components';
import { navigate } from './router';

const SHIPPING = 4.9;
const FREE_SHIPPING_FROM = 100;
/** Prices include VAT; the share of VAT in a gross amount at 21%. */
const VAT_SHARE = 0.21 / 1.21;
const round = (amount: number) => Math.round(amount * 100) / 100;

function ProductGrid({ products, listId }: { products: readonly Product[]; listId: string }) {
  const track = useTrack();
  return (
    <div className="grid">
      {products.map((product, index) => (
        <ProductCard
          key={product.id}
          product={product}
          position={index + 1}
          onOpen={(opened, position) => track('Product Clicked', { ...toEventProduct(opened, { position }), list_id: listId })}
        />
      ))}
    </div>
  );
}

export function HomePage() {
  const track = useTrack();
  useEffect(() => {
    track('Product List Viewed', { list_id: 'home', products: PRODUCTS.map((product, index) => toEventProduct(product, { position: index + 1 })) });
  }, [track]);
  return (
    <>
      <OfferSlot placement="home-hero" context={{ page: 'home' }} />
      <section className="categories">
        {CATEGORIES.map((category) => (
          <a key={category.id} className="tile" href={`#/category/${category.id}`} data-testid={`category-link-${category.id}`}>
            {category.name}
          </a>
        ))}
      </section>
      <h2>New this season</h2>
      <ProductGrid products={PRODUCTS} listId="home" />
    </>
  );
}

export function CategoryPage({ id }: { id: string }) {
  const track = useTrack();
  const category = findCategory(id);
  const products = useMemo(() => productsIn(id), [id]);
  useEffect(() => {
    if (category === undefined) return;
    track('Product List Viewed', {
      list_id: `category-${category.id}`,
      category: category.name,
      products: products.map((product, index) => toEventProduct(product, { position: index + 1 })),
    });
  }, [track, category, products]);
  if (category === undefined) return <NotFound />;
  return (
    <>
      <h1 data-testid="category-title">{category.name}</h1>
      <ProductGrid products={products} listId={`category-${category.id}`} />
    </>
  );
}

export function ProductPage({ id }: { id: string }) {
  const track = useTrack();
  const product = findProduct(id);
  useEffect(() => {
    if (product) track('Product Viewed', { ...toEventProduct(product), currency: CURRENCY, value: product.price });
  }, [track, product]);
  if (product === undefined) return <NotFound />;
  const add = () => {
    addToCart(product);
    track('Product Added', { ...toEventProduct(product, { quantity: 1 }), cart_id: CART_ID, currency: CURRENCY, value: product.price });
  };
  return (
    <div className="product-page">
      <ProductArt product={product} size={320} />
      <section className="details">
        <span className="brand">{product.brand}</span>
        <h1 data-testid="product-title">{product.name}</h1>
        <p>{product.description}</p>
        <p className="price">{formatPrice(product.price)}</p>
        <button data-testid="add-to-cart" onClick={add}>Add to cart</button>
      </section>
      <OfferSlot
        placement="product-sidebar"
        context={{ page: 'product', productId: product.id, category: product.category, brand: product.brand, price: product.price }}
      />
    </div>
  );
}

function CartTable({ cart, editable }: { cart: readonly CartLine[]; editable: boolean }) {
  return (
    <table className="cart">
      <tbody>
        {cart.map(({ product, quantity }) => (
          <tr key={product.id} data-testid={`cart-line-${product.id}`}>
            <td><a href={`#/product/${product.id}`}>{product.name}</a></td>
            <td>× {quantity}</td>
            <td>{formatPrice(product.price * quantity)}</td>
            {editable && (
              <td><button className="link" onClick={() => removeFromCart(product.id)}>Remove</button></td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const eventProducts = (cart: readonly CartLine[]) => cart.map((line, index) => toEventProduct(line.product, { quantity: line.quantity, position: index + 1 }));

export function CartPage() {
  const track = useTrack();
  const cart = useCart();
  const viewed = useRef(false);
  useEffect(() => {
    // Once per visit of the page, not on every quantity change.
    if (viewed.current) return;
    viewed.current = true;
    track('Cart Viewed', { cart_id: CART_ID, products: eventProducts(cart) });
  }, [track, cart]);
  const value = cartValue(cart);
  return (
    <div className="cart-page">
      <section>
        <h1>Your cart</h1>
        {cart.length === 0 ? <p data-testid="cart-empty">Your cart is empty.</p> : <CartTable cart={cart} editable />}
        <p className="total">Total {formatPrice(value)}</p>
        <button data-testid="checkout" disabled={cart.length === 0} onClick={() => navigate('/checkout')}>Checkout</button>
      </section>
      <OfferSlot placement="cart" context={{ page: 'cart', itemCount: cartCount(cart), value }} />
    </div>
  );
}

export function CheckoutPage() {
  const track = useTrack();
  const cart = useCart();
  const [checkoutId] = useState(() => `co-${crypto.randomUUID()}`);
  const subtotal = cartValue(cart);
  const shipping = subtotal >= FREE_SHIPPING_FROM || subtotal === 0 ? 0 : SHIPPING;
  const total = round(subtotal + shipping);
  const tax = round(subtotal * VAT_SHARE);
  const started = useRef(false);
  useEffect(() => {
    if (started.current || cart.length === 0) return;
    started.current = true;
    track('Checkout Started', { checkout_id: checkoutId, value: subtotal, revenue: round(subtotal - tax), shipping, tax, currency: CURRENCY, products: eventProducts(cart) });
  }, [track, cart, checkoutId, subtotal, shipping, tax]);
  if (cart.length === 0) return <p data-testid="cart-empty">Your cart is empty. <a href="#/">Keep shopping</a></p>;
  const placeOrder = () => {
    const orderId = `o-${Date.now().toString(36)}`;
    track('Order Completed', {
      checkout_id: checkoutId,
      order_id: orderId,
      subtotal,
      total,
      revenue: round(subtotal - tax),
      shipping,
      tax,
      currency: CURRENCY,
      products: eventProducts(cart),
    });
    clearCart();
    navigate(`/order/${orderId}`);
  };
  return (
    <div className="checkout">
      <h1>Checkout</h1>
      <CartTable cart={cart} editable={false} />
      <p>Shipping {shipping === 0 ? 'free' : formatPrice(shipping)}</p>
      <p className="total">To pay {formatPrice(total)} <small>(incl. {formatPrice(tax)} VAT)</small></p>
      <button data-testid="place-order" onClick={placeOrder}>Place order</button>
    </div>
  );
}

export function OrderPage({ id }: { id: string }) {
  return (
    <div className="order" data-testid="order-confirmation">
      <h1>Thank you!</h1>
      <p>Order <strong>{id}</strong> is on its way.</p>
      <a href="#/">Keep shopping</a>
    </div>
  );
}

function NotFound() {
  return <p>Not found. <a href="#/">Back to the shop</a></p>;
}
