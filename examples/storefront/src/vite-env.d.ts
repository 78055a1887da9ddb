/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The collector's origin. Default http://127.0.0.1:8787 (what `npm start` runs). */
  readonly VITE_TAILOR_ENDPOINT?: string;
  /** A write key of the collector's "web" source. Default: the demo key of examples/collector. */
  readonly VITE_TAILOR_WRITE_KEY?: string;
}
