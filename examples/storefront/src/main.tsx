import { TailorProvider } from '@tailor/react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { decisions, tailor } from './tailor';
import './styles.css';

// No <StrictMode>: its doubled effects in development would send every page view and product view twice
// to the collector you are watching.
createRoot(document.getElementById('root')!).render(
  <TailorProvider client={tailor} decisions={decisions}>
    <App />
  </TailorProvider>,
);
