import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createTailor } from '@tailor/browser';
import { createFakePlatform } from '@tailor/test-utils';
import { TailorProvider, useTailor } from './provider';

function AnonymousId() {
  const tailor = useTailor();
  return <span data-testid="client">{typeof tailor.track}</span>;
}

describe('TailorProvider / useTailor', () => {
  it('hands the client to hooks below it', () => {
    const client = createTailor({ writeKey: 'wk', platform: createFakePlatform() });
    render(
      <TailorProvider client={client}>
        <AnonymousId />
      </TailorProvider>,
    );
    expect(screen.getByTestId('client').textContent).toBe('function');
  });

  it('tells the developer to add the provider when it is missing', () => {
    expect(() => render(<AnonymousId />)).toThrow('[tailor] useTailor: wrap your app in <TailorProvider client={...}>');
  });
});
