/** summary.csv, the overlay picture and the JSON report the exports use, and the batch table's sorting. */
import { describe, expect, it } from 'vitest';
import { composeOverlay } from '../../src/lib/imaging/overlay';
import { csvField, summaryCsv } from '../../src/lib/report/summary';
import { imageReport } from '../../src/lib/report/image-report';
import type { EngineAnalysis } from '../../src/lib/engine/protocol';
import type { EngineStatus } from '../../src/lib/engine/types';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import { sortRows, type BatchRow } from '../../src/ui/batch/batch.svelte';

describe('summaryCsv', () => {
  it('quotes fields with commas, quotes or line breaks, and leaves missing values empty', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(NaN)).toBe('');
    expect(csvField(0.5)).toBe('0.5');
  });

  it('writes the fixed columns, then each head column, for good and bad rows', () => {
    const heads = [
      {
        column: 'fracture/fracture',
        head: 'fracture',
        activation: 'sigmoid' as const,
        label: 'fracture',
        probability: 0.25,
      },
    ];
    const csv = summaryCsv([
      { file: 'bad.dcm', ok: false, error: 'bad.dcm: truncated, at byte 12' },
      {
        file: 'a.png',
        ok: true,
        width: 10,
        height: 8,
        meanError: 0.1,
        top1Error: 0.4,
        roi: { x: 1, y: 2, width: 3, height: 3 },
        heads,
      },
    ]);
    expect(csv.split('\n')).toEqual([
      'file,ok,error,width,height,mean_error,top1_error,roi_x,roi_y,roi_w,roi_h,fracture/fracture',
      'bad.dcm,false,"bad.dcm: truncated, at byte 12",,,,,,,,,',
      'a.png,true,,10,8,0.1,0.4,1,2,3,3,0.25',
      '',
    ]);
  });
});

describe('composeOverlay', () => {
  const gray = new Uint8Array([0, 100, 200, 255]);
  it('blends the colour map over the image at the opacity and shows the image where the map is NaN', () => {
    const map = new Float32Array([0, 1, NaN, 1]);
    const clear = composeOverlay(gray, 2, 2, map, { lo: 0, hi: 1, colormap: 'hot', opacity: 0 });
    expect(Array.from(clear.filter((_, i) => i % 4 === 0))).toEqual([0, 100, 200, 255]);
    const full = composeOverlay(gray, 2, 2, map, { lo: 0, hi: 1, colormap: 'hot', opacity: 1 });
    expect(Array.from(full.slice(4, 8))).toEqual([255, 255, 255, 255]); // hot at its top is white
    expect(Array.from(full.slice(8, 12))).toEqual([200, 200, 200, 255]); // NaN: the image itself
  });

  it('outlines the region of interest', () => {
    const big = new Uint8Array(10 * 10);
    const out = composeOverlay(big, 10, 10, new Float32Array(100), {
      lo: 0,
      hi: 1,
      colormap: 'hot',
      opacity: 0,
      roi: { x: 2, y: 2, width: 6, height: 6 },
      roiWidth: 1,
    });
    const at = (x: number, y: number) =>
      Array.from(out.slice((y * 10 + x) * 4, (y * 10 + x) * 4 + 3));
    expect(at(2, 2)).toEqual([56, 189, 248]);
    expect(at(7, 5)).toEqual([56, 189, 248]);
    expect(at(4, 4)).toEqual([0, 0, 0]);
    expect(at(1, 1)).toEqual([0, 0, 0]);
  });
});

describe('imageReport', () => {
  const size = 32;
  const patch = 8;
  const radiograph = {
    width: 64,
    height: 48,
    frameIndex: 0,
    transferSyntaxName: 'Explicit VR Little Endian',
    photometric: 'MONOCHROME2',
    metadata: { modality: 'DX', bodyPart: 'HAND' },
    patient: { patientName: 'Doe^Jane', patientId: 'P-1' },
  } as unknown as Radiograph;
  const map = Float32Array.from({ length: size * size }, (_, i) => (i % size) / size);
  const counts = new Uint16Array(size * size).fill(1);
  counts.fill(0, 0, size * patch); // the first patch row never measured
  const box = { x: 1, y: 2, width: 20, height: 20 };
  const analysis = {
    map,
    counts,
    meanError: 0.25,
    top1Error: 0.9,
    relativeMap: map,
    roi: { raw: { box, found: true, score: 1 }, relative: { box, found: false, score: 0 } },
    classification: {
      whole: [
        {
          column: 'fracture/fracture',
          head: 'fracture',
          activation: 'sigmoid',
          label: 'fracture',
          probability: 0.3,
        },
      ],
      raw: [],
      relative: [],
    },
    size,
    geometry: {},
    gray: new Uint8Array(size * size),
    passes: [],
    timings: { preprocessMs: 1, encoderMs: 2, decoderMs: 3, classifyMs: 4, totalMs: 10 },
  } as unknown as EngineAnalysis;
  const status = {
    modelName: 'tiny',
    variant: 'int8',
    backend: 'wasm',
    threads: 2,
    maskRatio: 0.75,
    spec: { size, patch, channels: 3, mean: [0.5], std: [0.25], normPixLoss: false },
  } as unknown as EngineStatus;
  const input = {
    file: 'a/b.dcm',
    radiograph,
    analysis,
    status,
    options: { schedule: 'complementary', passes: 4, seed: 1, metric: 'l2', letterbox: false },
  } as const;

  it('leaves patient tags out unless asked, and keeps the image tags', () => {
    const report = imageReport(input);
    expect(report.patient).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain('Doe');
    expect(JSON.stringify(report)).not.toContain('P-1');
    expect(report.image.tags).toEqual({ modality: 'DX', bodyPart: 'HAND' });
    expect(imageReport(input, { includePatient: true }).patient).toEqual(radiograph.patient);
  });

  it('gives scores, regions, probabilities and patch errors on the model grid', () => {
    const report = imageReport(input);
    expect(report.scores).toEqual({ meanError: 0.25, top1Error: 0.9 });
    expect(report.regionsOfInterest.raw.box).toEqual(box);
    expect(report.classification?.wholeImage).toEqual({ 'fracture/fracture': 0.3 });
    expect(report.model).toMatchObject({ name: 'tiny', variant: 'int8', backend: 'wasm' });
    const grid = report.patchErrors.raw;
    expect(grid).toHaveLength(size / patch);
    expect(grid[0]).toEqual([null, null, null, null]); // never measured
    // Patch (x=1) covers columns 8..15: mean of i/32 for i in 8..15.
    expect(grid[1][1]).toBeCloseTo((8 + 15) / 2 / 32, 4);
    expect(report.patchErrors.relative[0][0]).not.toBeNull();
  });
});

describe('batch table sorting', () => {
  const row = (file: string, meanError?: number, p?: number): BatchRow => ({
    entryId: file.length,
    file,
    status: meanError === undefined ? 'error' : 'done',
    meanError,
    heads:
      p === undefined
        ? undefined
        : [{ column: 'h/x', head: 'h', activation: 'sigmoid', label: 'x', probability: p }],
  });
  const rows = [
    row('b.dcm', 0.2, 0.9),
    row('A.png', 0.5, 0.1),
    row('broken.dcm'),
    row('c.jpg', NaN, 0.5),
  ];

  it('sorts by any column either way, missing values last', () => {
    expect(sortRows(rows, 'file', false).map((r) => r.file)).toEqual([
      'A.png',
      'b.dcm',
      'broken.dcm',
      'c.jpg',
    ]);
    expect(sortRows(rows, 'meanError', true).map((r) => r.file)).toEqual([
      'A.png',
      'b.dcm',
      'broken.dcm',
      'c.jpg',
    ]);
    expect(
      sortRows(rows, 'meanError', false)
        .map((r) => r.file)
        .slice(0, 2),
    ).toEqual(['b.dcm', 'A.png']);
    expect(sortRows(rows, 'h/x', true).map((r) => r.file)).toEqual([
      'b.dcm',
      'c.jpg',
      'A.png',
      'broken.dcm',
    ]);
  });
});
