import { stopTestServices } from './services.js';

/** Stops the embedded FerretDB and Redis once every test file has run. */
export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestServices();
}
