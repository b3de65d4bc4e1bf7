import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INFRA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(INFRA_DIR, '..', '..');

/** Where downloaded and built artifacts live; survives `wipe`, so a second start takes seconds. */
export const CACHE_DIR = process.env.KEYWARD_CACHE_DIR ?? join(homedir(), '.cache', 'keyward');

/** Where the platform's (npm start) Kafka and FerretDB keep their data; `wipe` removes it. */
export const DATA_DIR = process.env.KEYWARD_DATA_DIR ?? join(CACHE_DIR, 'data');
