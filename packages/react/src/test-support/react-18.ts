import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReactElement } from 'react';
import type { Harness } from './hooks.suite';

/**
 * React 18 lives in its own workspace (test/react-18) so npm nests it apart from the root's React 19.
 * It is loaded with Node's `require` from there, so react-dom 18 and the code under test share one copy.
 */
// A path, not `new URL(...)`: under happy-dom the global URL resolves file URLs against its own page origin.
const require18 = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../test/react-18/package.json'));

/** A React 18 module shaped for `vi.mock`: named exports plus the CommonJS object as `default`. */
export function load18(id: 'react' | 'react/jsx-runtime' | 'react/jsx-dev-runtime'): Record<string, unknown> {
  const module = require18(id) as Record<string, unknown>;
  return { ...module, default: module };
}

interface Root18 {
  render(ui: ReactElement): void;
  unmount(): void;
}

/** Renders with react-dom 18's `createRoot` inside React 18's `act`, the way testing-library does. */
export function react18Harness(): Harness {
  const React = require18('react') as { version: string; act(callback: () => unknown): Promise<void> | void };
  const { createRoot } = require18('react-dom/client') as { createRoot(container: Element): Root18 };
  const mounted = new Set<{ root: Root18; container: HTMLElement }>();
  const act = (callback: () => void) => void React.act(callback);
  return {
    name: `React ${React.version}`,
    render(ui) {
      (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
      const container = document.body.appendChild(document.createElement('div'));
      const root = createRoot(container);
      const entry = { root, container };
      mounted.add(entry);
      try {
        act(() => root.render(ui));
      } catch (error) {
        mounted.delete(entry);
        container.remove();
        throw error;
      }
      return {
        container,
        rerender: (next) => act(() => root.render(next)),
        unmount() {
          if (!mounted.delete(entry)) return;
          act(() => root.unmount());
          container.remove();
        },
      };
    },
    async act(callback) {
      await React.act(async () => {
        await callback();
      });
    },
    cleanup() {
      for (const { root, container } of mounted) {
        act(() => root.unmount());
        container.remove();
      }
      mounted.clear();
    },
  };
}
