/**
 * The models the analysis can use: those saved in this browser (the model cache) and
 * the demo model bundled with the app, when this build ships one.
 */
import type { MapKind } from '../../lib/mae/map-views';
import { recommendedMap, validateManifest, type VariantName } from '../../lib/model/manifest';
import type { ModelStore } from '../../lib/model/store';
import type { ModelSource } from './engine';

export interface ModelChoice {
  /** Stable key for selects and settings: "store:<id>" or "url:<base URL>". */
  key: string;
  label: string;
  source: ModelSource;
  variants: VariantName[];
  /** Served with the app from its own origin: a fresh page may load it unasked. */
  bundled: boolean;
  /** The error map the bundle recommends showing first. */
  recommendedMap: MapKind;
}

/** Bundles served with the app, under the app's base URL. */
export const BUNDLED_MODELS: readonly { folder: string; label: string }[] = [
  { folder: 'models/demo/', label: 'demo model (bundled)' },
];

export function sourceKey(source: ModelSource): string {
  return source.kind === 'store' ? `store:${source.id}` : `url:${source.baseUrl}`;
}

/** A bundled model when its model.json is served and valid; undefined otherwise. */
async function probeBundled(
  folder: string,
  label: string,
  fetchFn: typeof fetch,
): Promise<ModelChoice | undefined> {
  const baseUrl = `${import.meta.env.BASE_URL ?? '/'}${folder}`;
  try {
    const response = await fetchFn(`${baseUrl}model.json`, { cache: 'no-cache' });
    if (!response.ok) return undefined;
    // The dev server answers unknown paths with index.html: only JSON counts.
    if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
    const manifest = validateManifest(await response.json(), `${baseUrl}model.json`);
    if (!manifest.mae || !manifest.variants) return undefined;
    const source: ModelSource = { kind: 'url', baseUrl };
    return {
      key: sourceKey(source),
      label: manifest.name ? `${manifest.name} (bundled)` : label,
      source,
      variants: Object.keys(manifest.variants) as VariantName[],
      bundled: true,
      recommendedMap: recommendedMap(manifest),
    };
  } catch {
    return undefined;
  }
}

export interface ModelListing {
  choices: ModelChoice[];
  /** Why the model cache could not be read, when it could not. */
  error?: string;
}

/** Saved MAE models (oldest first) after the bundled ones. */
export async function listModelChoices(
  store: Pick<ModelStore, 'listModels'>,
  fetchFn: typeof fetch = fetch,
): Promise<ModelListing> {
  const bundled = (
    await Promise.all(BUNDLED_MODELS.map((b) => probeBundled(b.folder, b.label, fetchFn)))
  ).filter((c): c is ModelChoice => c !== undefined);
  try {
    const saved = (await store.listModels())
      .filter((m) => m.missingFiles === 0)
      .map((m): ModelChoice => {
        const source: ModelSource = { kind: 'store', id: m.id };
        return {
          key: sourceKey(source),
          label: `${m.name} ${m.version}`.trim(),
          source,
          variants: m.variants.map((v) => v.name),
          bundled: false,
          recommendedMap: m.recommendedMap,
        };
      });
    return { choices: [...bundled, ...saved] };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { choices: bundled, error: `The model cache cannot be read: ${reason}` };
  }
}
