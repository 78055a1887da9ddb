import { act, cleanup, render } from '@testing-library/react';
import { createTailor } from '@tailor/browser';
import { createFakePlatform } from '@tailor/test-utils';
import { version } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { TailorProvider, useNextBestOffer } from './index';
import { createFakeDecisions } from './test-support/fake-decisions';
import { describeHooks } from './test-support/hooks.suite';

describe('React 19', () => {
  it('runs the suite on React 19', () => {
    expect(version).toMatch(/^19\./);
  });
});

describeHooks({
  name: `React ${version}`,
  render: (ui) => render(ui),
  act: async (callback) => {
    await act(async () => {
      await callback();
    });
  },
  cleanup,
});

describe('React 19: hydration', () => {
  it('hydrates from the idle server snapshot, then shows what the decisions already know, without a mismatch', async () => {
    const client = createTailor({ writeKey: 'wk_test', storage: 'memory', platform: createFakePlatform() });
    const decisions = createFakeDecisions();
    decisions.answer('home-hero', undefined, ['o-1'], 'd-1'); // e.g. restored on the device before hydration
    function Hero() {
      const { status, offers } = useNextBestOffer('home-hero');
      return <p>{status}:{offers[0]?.offerId ?? '-'}</p>;
    }
    const ui = (
      <TailorProvider client={client} decisions={decisions}>
        <Hero />
      </TailorProvider>
    );
    const container = document.body.appendChild(document.createElement('div'));
    container.innerHTML = renderToString(ui);
    expect(container.textContent).toBe('idle:-');

    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let root: ReturnType<typeof hydrateRoot> | undefined;
    await act(async () => {
      root = hydrateRoot(container, ui);
    });
    // The client state replaced the server's, and the mount effect asked for a fresh decision (keeping the offer).
    expect(container.textContent).toBe('loading:o-1');
    expect(errors).not.toHaveBeenCalled();

    await act(async () => root?.unmount());
    container.remove();
    client.close();
    errors.mockRestore();
  });
});
