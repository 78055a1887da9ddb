export { createNodePlatform } from './node-platform';
