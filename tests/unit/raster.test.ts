import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openImage } from '../../src/lib/imaging/open';
import { dataPath, readData } from '../helpers/data';

describe('16-bit PNG', () => {
  const names = readdirSync(dataPath('png16')).filter((n) => n.endsWith('.png'));

  it.each(names)('keeps all 16 bits of %s', async (name) => {
    const r = await openImage(name, readData('png16', name));
    expect(r.kind).toBe('png');
    expect(r.bitsStored).toBe(16);
    expect(r.stored).toBeInstanceOf(Uint16Array);
    expect(r.samplesPerPixel).toBe(1);
    const distinct = new Set(r.stored).size;
    // An 8-bit decode could hold at most 256 values.
    expect(distinct).toBeGreaterThan(1000);
    expect(r.maxStored).toBeGreaterThan(255);
  });
});

describe('FracAtlas JPEG', () => {
  const labels = readFileSync(dataPath('fracatlas', 'labels.csv'), 'utf8').trim().split('\n');
  const header = labels[0].split(',');
  const rows = labels
    .slice(1, 6)
    .map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));

  it.each(rows)('opens $image_id at its listed size', async (row) => {
    const r = await openImage(row.image_id, readData('fracatlas', 'images', row.image_id));
    expect(r.kind).toBe('jpeg');
    expect([r.width, r.height]).toEqual([Number(row.width), Number(row.height)]);
    expect(r.samplesPerPixel).toBe(1);
    expect(r.maxStored).toBeGreaterThan(r.minStored);
  });

  it('refuses a truncated JPEG with a reason naming the file', async () => {
    const bytes = readData('fracatlas', 'images', rows[0].image_id).slice(0, 300);
    await expect(openImage('cut.jpg', bytes)).rejects.toThrow(/^cut\.jpg: /);
  });
});
