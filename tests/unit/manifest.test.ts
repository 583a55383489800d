import { describe, expect, it } from 'vitest';
import {
  recommendedMap,
  validateManifest,
  type BundleManifest,
} from '../../src/lib/model/manifest';

const file = (path: string) => ({ path, sha256: 'a'.repeat(64), bytes: 10 });

function manifest(): BundleManifest {
  return {
    format: 'skelex-bundle/1',
    name: 'demo',
    version: '1',
    license: 'MIT',
    source: 'tests',
    input: {
      imageSize: 224,
      patchSize: 16,
      channels: 3,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      resample: 'bicubic',
    },
    mae: { maskRatio: 0.75, normPixLoss: false },
    variants: { fp32: { encoder: file('encoder.fp32.onnx'), decoder: file('decoder.fp32.onnx') } },
    classifier: {
      variants: { fp32: file('classifier.fp32.onnx') },
      heads: [{ name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] }],
    },
  };
}

describe('model.json validation', () => {
  it('accepts the layout DESIGN.md gives', () => {
    expect(validateManifest(manifest()).name).toBe('demo');
  });

  it("recommends SKELEX's raw map unless the bundle names another", () => {
    expect(recommendedMap(validateManifest(manifest()))).toBe('raw');
    const relative = manifest();
    relative.mae!.recommendedMap = 'relative';
    expect(recommendedMap(validateManifest(relative))).toBe('relative');
  });

  const broken: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ['wrong format', (m) => (m.format = 'other/1'), /"format"/],
    ['missing input', (m) => delete m.input, /"input" is missing/],
    [
      'a recommended map that is not raw or relative',
      (m) => ((m.mae as Record<string, unknown>).recommendedMap = 'pretty'),
      /"mae\.recommendedMap" must be "raw" or "relative"/,
    ],
    [
      'mean of the wrong length',
      (m) => ((m.input as { mean: number[] }).mean = [0.5]),
      /input\.mean/,
    ],
    [
      'image not a multiple of the patch',
      (m) => ((m.input as { imageSize: number }).imageSize = 225),
      /multiple/,
    ],
    [
      'a path leaving the bundle',
      (m) =>
        ((m.variants as { fp32: { encoder: { path: string } } }).fp32.encoder.path = '../x.onnx'),
      /variants\.fp32\.encoder\.path/,
    ],
    [
      'a bad hash',
      (m) =>
        ((m.variants as { fp32: { decoder: { sha256: string } } }).fp32.decoder.sha256 = 'xyz'),
      /variants\.fp32\.decoder\.sha256/,
    ],
    [
      'an unknown variant',
      (m) => ((m.variants as Record<string, unknown>).int3 = {}),
      /not a known variant/,
    ],
    [
      'a head with too few labels',
      (m) => ((m.classifier as { heads: { labels: string[] }[] }).heads[0].labels = []),
      /heads\[0\]\.labels/,
    ],
    [
      'an empty list of external data files',
      (m) =>
        ((m.variants as { fp32: { encoder: Record<string, unknown> } }).fp32.encoder.externalData =
          []),
      /variants\.fp32\.encoder\.externalData" must list at least one file/,
    ],
    [
      'an external data file with a bad hash',
      (m) =>
        ((m.variants as { fp32: { encoder: Record<string, unknown> } }).fp32.encoder.externalData =
          [{ path: 'encoder.fp32.onnx.data', sha256: 'x', bytes: 1 }]),
      /externalData\[0\]\.sha256/,
    ],
    [
      'no model at all',
      (m) => {
        delete m.mae;
        delete m.classifier;
      },
      /holds no model/,
    ],
  ];

  it('reads one external data object, as older bundles wrote it, as a list of one', () => {
    const m = manifest() as unknown as { variants: { fp32: { encoder: Record<string, unknown> } } };
    const data = { path: 'encoder.fp32.onnx.data', sha256: 'a'.repeat(64), bytes: 10 };
    m.variants.fp32.encoder.externalData = data;
    expect(validateManifest(m).variants!.fp32!.encoder.externalData).toEqual([data]);
  });

  it.each(broken)('refuses %s, naming the file and field', (_, breakIt, message) => {
    const m = manifest() as unknown as Record<string, unknown>;
    breakIt(m);
    expect(() => validateManifest(m, 'bundle/model.json')).toThrow(/^bundle\/model\.json: /);
    expect(() => validateManifest(m, 'bundle/model.json')).toThrow(message);
  });
});
