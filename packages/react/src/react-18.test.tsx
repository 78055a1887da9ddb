import { version } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { describeHooks } from './test-support/hooks.suite';
import { react18Harness } from './test-support/react-18';

// Every `react` import of the code under test (and the JSX runtime of these files) becomes React 18.
vi.mock('react', async () => (await import('./test-support/react-18')).load18('react'));
vi.mock('react/jsx-runtime', async () => (await import('./test-support/react-18')).load18('react/jsx-runtime'));
vi.mock('react/jsx-dev-runtime', async () => (await import('./test-support/react-18')).load18('react/jsx-dev-runtime'));

describe('React 18 compatibility', () => {
  it('runs the suite on React 18', () => {
    expect(version).toMatch(/^18\./);
  });
});

describeHooks(react18Harness());
