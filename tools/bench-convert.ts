/**
 * npm run bench:convert — converts a ViT-Large-size MAE checkpoint (random
 * weights, written to a temp folder, never committed) to fp32, int8 and q4,
 * and prints the time and peak memory (max RSS) of each conversion.
 *
 * Each conversion runs in a child process so its peak memory is its own.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** ViT-L/16 MAE as SKELEX uses it (HF facebook/vit-mae-large sizes). */
const CONFIG = {
  architectures: ['ViTMAEForPreTraining'],
  model_type: 'vit_mae',
  hidden_size: 1024,
  num_hidden_layers: 24,
  num_attention_heads: 16,
  intermediate_size: 4096,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-6,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  decoder_hidden_size: 512,
  decoder_num_hidden_layers: 8,
  decoder_num_attention_heads: 16,
  decoder_intermediate_size: 2048,
  mask_ratio: 0.75,
  norm_pix_loss: false,
};

function tensorShapes(): [string, number[]][] {
  const d = CONFIG.hidden_size;
  const dd = CONFIG.decoder_hidden_size;
  const n = (CONFIG.image_size / CONFIG.patch_size) ** 2;
  const shapes: [string, number[]][] = [
    ['vit.embeddings.cls_token', [1, 1, d]],
    ['vit.embeddings.position_embeddings', [1, n + 1, d]],
    ['vit.embeddings.patch_embeddings.projection.weight', [d, 3, 16, 16]],
    ['vit.embeddings.patch_embeddings.projection.bias', [d]],
  ];
  const layers = (prefix: string, count: number, width: number, inner: number) => {
    for (let i = 0; i < count; i++) {
      const p = `${prefix}.${i}`;
      for (const name of ['query', 'key', 'value']) {
        shapes.push(
          [`${p}.attention.attention.${name}.weight`, [width, width]],
          [`${p}.attention.attention.${name}.bias`, [width]],
        );
      }
      shapes.push(
        [`${p}.attention.output.dense.weight`, [width, width]],
        [`${p}.attention.output.dense.bias`, [width]],
        [`${p}.intermediate.dense.weight`, [inner, width]],
        [`${p}.intermediate.dense.bias`, [inner]],
        [`${p}.output.dense.weight`, [width, inner]],
        [`${p}.output.dense.bias`, [width]],
        [`${p}.layernorm_before.weight`, [width]],
        [`${p}.layernorm_before.bias`, [width]],
        [`${p}.layernorm_after.weight`, [width]],
        [`${p}.layernorm_after.bias`, [width]],
      );
    }
  };
  layers('vit.encoder.layer', CONFIG.num_hidden_layers, d, CONFIG.intermediate_size);
  shapes.push(['vit.layernorm.weight', [d]], ['vit.layernorm.bias', [d]]);
  shapes.push(
    ['decoder.decoder_embed.weight', [dd, d]],
    ['decoder.decoder_embed.bias', [dd]],
    ['decoder.mask_token', [1, 1, dd]],
    ['decoder.decoder_pos_embed', [1, n + 1, dd]],
  );
  layers(
    'decoder.decoder_layers',
    CONFIG.decoder_num_hidden_layers,
    dd,
    CONFIG.decoder_intermediate_size,
  );
  shapes.push(
    ['decoder.decoder_norm.weight', [dd]],
    ['decoder.decoder_norm.bias', [dd]],
    ['decoder.decoder_pred.weight', [16 * 16 * 3, dd]],
    ['decoder.decoder_pred.bias', [16 * 16 * 3]],
  );
  return shapes;
}

/** Streams a safetensors file of small random F32 values, one tensor at a time. */
function writeRandomCheckpoint(dir: string): number {
  const shapes = tensorShapes();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const fd = openSync(path.join(dir, 'model.safetensors'), 'w');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, prefix);
  writeSync(fd, Buffer.from(json));
  let state = 0x9e3779b9;
  for (const [, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      values[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 0.04;
    }
    writeSync(fd, new Uint8Array(values.buffer));
  }
  closeSync(fd);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  return offset;
}

/** Runs `skelex convert` under GNU time for its wall time and peak RSS. */
function timeConversion(
  checkpoint: string,
  out: string,
  variants: string,
): { seconds: number; peakMb: number } {
  const report = `${out}.time`;
  const cli = path.join(ROOT, 'bin/skelex.js');
  const args = ['-o', report, '-f', '%e %M', process.execPath, cli, 'convert', checkpoint];
  execFileSync('/usr/bin/time', [...args, '--out', out, '--variants', variants], {
    stdio: 'ignore',
  });
  const [seconds, kb] = readFileSync(report, 'utf8').trim().split(' ').map(Number);
  return { seconds, peakMb: kb / 1024 };
}

const folderBytes = (dir: string) =>
  readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);

const work = mkdtempSync(path.join(tmpdir(), 'skelex-bench-convert-'));
try {
  const checkpoint = path.join(work, 'vit-large-mae');
  mkdirSync(checkpoint);
  const started = performance.now();
  const bytes = writeRandomCheckpoint(checkpoint);
  console.log(
    `random ViT-L/16 MAE checkpoint: ${(bytes / 2 ** 30).toFixed(2)} GiB F32 (written in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log('variant  time s  peak RSS MB  bundle MB');
  for (const variant of (process.env.BENCH_VARIANTS ?? 'fp32,int8,q4').split(',')) {
    const out = path.join(work, `bundle-${variant}`);
    const { seconds, peakMb } = timeConversion(checkpoint, out, variant);
    console.log(
      `${variant.padEnd(7)}  ${seconds.toFixed(1).padStart(6)}  ${peakMb.toFixed(0).padStart(11)}  ${(folderBytes(out) / 2 ** 20).toFixed(0).padStart(9)}`,
    );
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
