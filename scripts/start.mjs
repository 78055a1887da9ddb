#!/usr/bin/env node
// `npm start`: the main job. Until the collector and the demo storefront land, it shows what exists,
// validates a sample of retail events against the contract and says what is coming.
console.log('start placeholder');
