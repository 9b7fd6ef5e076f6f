import { enableProdMode } from '@tensorflow/tfjs';

/**
 * Production mode, switched on before the wasm backend module registers its kernels. The USE-lite
 * embedder bundles its own copy of tfjs and of the wasm backend, and both copies share tfjs's global
 * kernel registry: whichever loads second would print one "kernel … is already registered" warning
 * per kernel (about 150) in any process that embeds and runs the local model, such as `twin eval`.
 * Production mode also skips tfjs's per-op debug checks; our code validates its own inputs.
 */
enableProdMode();
