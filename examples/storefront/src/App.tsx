import { useTailor } from '@tailor/react';
import { useLayoutEffect, useState } from 'react';
import { ConsentBanner, Footer, Header } from './components';
import { CartPage, CategoryPage, CheckoutPage, HomePage, OrderPage, ProductPage } from './pages';
import { parseRoute, useHash, type Route } from './router';

const TITLES: Record<Route['name'], string> = {
  home: 'Home',
  category: 'Category',
  product: 'Product',
  cart: 'Cart',
  checkout: 'Checkout',
  order: 'Order Confirmation',
};

export function App() {
  const tailor = useTailor();
  const hash = useHash();
  const route = parseRoute(hash);
  const [privacyOpen, setPrivacyOpen] = useState(false);

  // A layout effect runs before every passive effect of the new page, so the page view is recorded before
  // the page's own events (Product Viewed, Cart Viewed ...). One per navigation: `route` derives from `hash`.
  useLayoutEffect(() => {
    tailor.page(TITLES[route.name], { path: hash || '#/' });
    window.scrollTo(0, 0);
  }, [tailor, hash]);

  return (
    <>
      <Header />
      <main className="main">{page(route)}</main>
      <Footer onPrivacy={() => setPrivacyOpen(true)} />
      <ConsentBanner reopened={privacyOpen} onClose={() => setPrivacyOpen(false)} />
    </>
  );
}

function page(route: Route) {
  switch (route.name) {
    case 'home':
      return <HomePage />;
    case 'category':
      return <CategoryPage key={route.id} id={route.id} />;
    case 'product':
      return <ProductPage key={route.id} id={route.id} />;
    case 'cart':
      return <CartPage />;
    case 'checkout':
      return <CheckoutPage />;
    case 'order':
      return <OrderPage id={route.id} />;
  }
}
