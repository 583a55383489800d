/** Which sample radiographs this build serves, and one of them as an opened file. */
import type { PickedFile } from '../files';
import { SAMPLES, SAMPLES_FOLDER, type Sample } from './catalog';

const base = () => `${import.meta.env.BASE_URL ?? '/'}${SAMPLES_FOLDER}`;

/** The catalogue's samples this build serves (none when it was built without the data folder). */
export async function availableSamples(fetchFn: typeof fetch = fetch): Promise<Sample[]> {
  try {
    const response = await fetchFn(`${base()}index.json`, { cache: 'no-cache' });
    // The dev server answers unknown paths with index.html: only JSON counts.
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return [];
    const present = new Set((await response.json()) as string[]);
    return SAMPLES.filter((s) => present.has(s.file));
  } catch {
    return [];
  }
}

/** A sample as a file the library opens like any other. */
export async function fetchSample(
  sample: Sample,
  fetchFn: typeof fetch = fetch,
): Promise<PickedFile> {
  const response = await fetchFn(`${base()}${sample.file}`);
  if (!response.ok)
    throw new Error(`${sample.file}: the sample could not be loaded (HTTP ${response.status})`);
  const file = new File([await response.blob()], sample.file, { type: 'image/jpeg' });
  return { file, path: sample.file };
}
