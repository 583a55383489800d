/**
 * Every file a model.json lists, with the variant and graph it belongs to, so the
 * cache can verify, store, size and delete a bundle without knowing its layout.
 */
import type { BundleFile, BundleManifest, VariantName } from './manifest';

export interface ListedFile {
  path: string;
  sha256: string;
  bytes: number;
  variant: VariantName;
  /** The graph: "encoder", "decoder", "classifier" or "features"; "... data" for external data. */
  role: string;
}

function add(out: ListedFile[], file: BundleFile, variant: VariantName, role: string): void {
  out.push({ path: file.path, sha256: file.sha256, bytes: file.bytes, variant, role });
  for (const data of file.externalData ?? []) {
    out.push({
      path: data.path,
      sha256: data.sha256,
      bytes: data.bytes,
      variant,
      role: `${role} data`,
    });
  }
}

/** The files of every variant and graph, in manifest order. */
export function bundleFiles(manifest: BundleManifest): ListedFile[] {
  const out: ListedFile[] = [];
  for (const [variant, graphs] of Object.entries(manifest.variants ?? {})) {
    if (!graphs) continue;
    add(out, graphs.encoder, variant as VariantName, 'encoder');
    add(out, graphs.decoder, variant as VariantName, 'decoder');
  }
  for (const [variant, file] of Object.entries(manifest.classifier?.variants ?? {})) {
    if (file) add(out, file, variant as VariantName, 'classifier');
  }
  for (const [variant, file] of Object.entries(manifest.features?.variants ?? {})) {
    if (file) add(out, file, variant as VariantName, 'features');
  }
  return out;
}

/** One entry per distinct content (files with the same SHA-256 are stored once). */
export function distinctFiles(files: ListedFile[]): ListedFile[] {
  const seen = new Map<string, ListedFile>();
  for (const f of files) if (!seen.has(f.sha256)) seen.set(f.sha256, f);
  return [...seen.values()];
}

export interface VariantSize {
  name: VariantName;
  bytes: number;
}

const ORDER: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

/** Bytes each variant needs (all its graphs and their data), in the order fp32, fp16, int8, q4. */
export function variantSizes(manifest: BundleManifest): VariantSize[] {
  const sizes = new Map<VariantName, Map<string, number>>();
  for (const f of bundleFiles(manifest)) {
    const files = sizes.get(f.variant) ?? new Map<string, number>();
    files.set(f.sha256, f.bytes);
    sizes.set(f.variant, files);
  }
  return ORDER.filter((v) => sizes.has(v)).map((name) => ({
    name,
    bytes: [...sizes.get(name)!.values()].reduce((a, b) => a + b, 0),
  }));
}
