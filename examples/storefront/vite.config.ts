import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Port 5173 for both `dev` and `preview`: the demo collector (examples/collector) allows this origin.
const PORT = 5173;

export default defineConfig({
  plugins: [react()],
  // The workspace packages are used from their TypeScript sources: no package build needed to run the demo.
  resolve: { conditions: ['tailor-source', ...defaultClientConditions] },
  server: { port: PORT, strictPort: true },
  preview: { port: PORT, strictPort: true },
  build: { target: 'es2022' },
});
