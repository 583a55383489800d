/**
 * A restricted unpickler for the pickles inside PyTorch checkpoints.
 *
 * It never executes anything. GLOBAL and STACK_GLOBAL resolve only the names
 * on a short allow-list (ordered dicts, tensor and parameter rebuilding,
 * typed storage classes, torch.Size) to inert markers; any other name, such
 * as "os.system", is refused before anything could call it. REDUCE, NEWOBJ,
 * INST and OBJ on an allowed marker build plain data (a dict, a tensor
 * description); nothing else is callable. Persistent ids (how torch refers to
 * tensor storages) come back as `PyPersistentRef` for the caller to resolve.
 *
 * All protocol 0-5 opcodes that carry data are read. The work is bounded:
 * input size, opcode count, stack depth and memo size have limits, every
 * length is checked against the bytes left, and corrupt input throws an
 * Error naming the opcode and its byte position; it cannot hang.
 */

export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

export class PyList {
  readonly items: PickleValue[] = [];
}

export class PySet {
  readonly items: PickleValue[] = [];
  constructor(readonly frozen: boolean) {}
}

export class PyDict {
  /** Keys are primitives (compared by value) or tuples/globals (by identity). */
  readonly items = new Map<PickleValue, PickleValue>();
  /** Instance attributes set by BUILD (e.g. a state dict's `_metadata`). */
  readonly attributes = new Map<string, PickleValue>();
}

/** An allow-listed global, resolved to a name only. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A persistent id (BINPERSID/PERSID) left for the caller to resolve. */
export class PyPersistentRef {
  constructor(readonly pid: PickleValue) {}
}

/** What `torch._utils._rebuild_tensor_v2` would have rebuilt, as a description. */
export class PyTensor {
  constructor(
    readonly storage: PickleValue,
    readonly storageOffset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyList
  | PySet
  | PyDict
  | PyGlobal
  | PyPersistentRef
  | PyTensor;

/** Names a pickle may refer to, and what calling them builds. */
export const ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  'torch.DoubleStorage',
  'torch.FloatStorage',
  'torch.HalfStorage',
  'torch.BFloat16Storage',
  'torch.LongStorage',
  'torch.IntStorage',
  'torch.ShortStorage',
  'torch.CharStorage',
  'torch.ByteStorage',
  'torch.BoolStorage',
];
const ALLOWED = new Set(ALLOWED_GLOBALS);

export interface UnpickleOptions {
  /** File name for messages. */
  source: string;
  maxBytes?: number;
  maxOps?: number;
  maxStack?: number;
  maxMemo?: number;
}

export const UNPICKLE_LIMITS = {
  maxBytes: 512 * 1024 * 1024,
  maxOps: 50_000_000,
  maxStack: 5_000_000,
  maxMemo: 5_000_000,
} as const;

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Describes a value for messages without walking into it. */
export function describePickleValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return `str ${JSON.stringify(value.slice(0, 60))}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `int/float ${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof Uint8Array) return `bytes (${value.byteLength})`;
  if (value instanceof PyTuple) return `tuple (${value.items.length} items)`;
  if (value instanceof PyList) return `list (${value.items.length} items)`;
  if (value instanceof PySet) return `set (${value.items.length} items)`;
  if (value instanceof PyDict) return `dict (${value.items.size} items)`;
  if (value instanceof PyGlobal) return `global ${value.qualifiedName}`;
  if (value instanceof PyPersistentRef) return 'persistent id';
  return 'tensor';
}

/** Reads one pickle from `bytes` (which must end at or after its STOP). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private readonly file: string;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly latin1 = new TextDecoder('latin1');
  private pos = 0;
  private opStart = 0;
  private op = 0;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly maxOps: number;
  private readonly maxStack: number;
  private readonly maxMemo: number;

  constructor(
    private readonly bytes: Uint8Array,
    options: UnpickleOptions,
  ) {
    this.file = options.source;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.maxOps = options.maxOps ?? UNPICKLE_LIMITS.maxOps;
    this.maxStack = options.maxStack ?? UNPICKLE_LIMITS.maxStack;
    this.maxMemo = options.maxMemo ?? UNPICKLE_LIMITS.maxMemo;
    const maxBytes = options.maxBytes ?? UNPICKLE_LIMITS.maxBytes;
    if (bytes.byteLength > maxBytes) {
      throw new Error(
        `${this.file}: pickle of ${bytes.byteLength} bytes is over the ${maxBytes}-byte limit`,
      );
    }
  }

  private fail(message: string): never {
    const name = OPCODE_NAMES[this.op] ?? 'opcode';
    throw new Error(
      `${this.file}: pickle ${name} (0x${hex(this.op)}) at byte ${this.opStart}: ${message}`,
    );
  }

  private need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.byteLength) {
      this.fail(
        `needs ${n} bytes, but only ${this.bytes.byteLength - this.pos} are left; the pickle is truncated or corrupt`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)];
  }
  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  private i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  private u64(): number {
    const at = this.need(8);
    const value = this.view.getUint32(at + 4, true) * 2 ** 32 + this.view.getUint32(at, true);
    if (!Number.isSafeInteger(value)) this.fail(`length ${value} is too large`);
    return value;
  }
  private take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('line has no end; the pickle is truncated or corrupt');
    const text = this.latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
  private text(bytes: Uint8Array): string {
    try {
      return this.utf8.decode(bytes);
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  private push(value: PickleValue): void {
    if (this.stack.length >= this.maxStack) this.fail(`stack deeper than ${this.maxStack}`);
    this.stack.push(value);
  }
  private floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
  }
  private pop(): PickleValue {
    if (this.stack.length <= this.floor()) this.fail('stack underflow');
    return this.stack.pop() as PickleValue;
  }
  private top(): PickleValue {
    if (this.stack.length <= this.floor()) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('no MARK to pop to');
    return this.stack.splice(mark);
  }
  private put(index: number, value: PickleValue): void {
    if (!Number.isSafeInteger(index) || index < 0) this.fail(`memo index ${index} is invalid`);
    if (!this.memo.has(index) && this.memo.size >= this.maxMemo) {
      this.fail(`memo larger than ${this.maxMemo} entries`);
    }
    this.memo.set(index, value);
  }
  private get(index: number): void {
    if (!this.memo.has(index)) this.fail(`memo has no entry ${index}`);
    this.push(this.memo.get(index) as PickleValue);
  }

  private global(module: string, name: string): PyGlobal {
    const qualified = `${module}.${name}`;
    if (!ALLOWED.has(qualified)) {
      throw new Error(
        `${this.file}: pickle names the global "${qualified}", which is not allowed (only tensor rebuilding and ordered dicts are)`,
      );
    }
    return new PyGlobal(module, name);
  }

  private int(value: bigint): number | bigint {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }

  private long(bytes: Uint8Array): number | bigint {
    if (bytes.byteLength === 0) return 0;
    let value = 0n;
    for (let i = bytes.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    if (bytes[bytes.byteLength - 1] & 0x80) value -= 1n << BigInt(bytes.byteLength * 8);
    return this.int(value);
  }

  private parseInt(text: string): number | bigint {
    const t = text.trim().replace(/L$/, '');
    if (!/^[+-]?\d+$/.test(t) || t.length > 4000) this.fail(`"${text.slice(0, 40)}" is not an int`);
    return this.int(BigInt(t));
  }

  private dictSet(dict: PickleValue, key: PickleValue, value: PickleValue): void {
    if (!(dict instanceof PyDict)) this.fail(`cannot set an item on ${describePickleValue(dict)}`);
    if (key instanceof PyList || key instanceof PyDict || key instanceof PySet) {
      this.fail(`${describePickleValue(key)} cannot be a dict key`);
    }
    dict.items.set(key, value);
  }

  private call(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PyGlobal)) {
      this.fail(`cannot call ${describePickleValue(callable)}`);
    }
    if (!(args instanceof PyTuple)) this.fail(`arguments are ${describePickleValue(args)}`);
    const a = args.items;
    const what = callable.qualifiedName;
    switch (what) {
      case 'collections.OrderedDict': {
        const dict = new PyDict();
        if (a.length === 0) return dict;
        const pairs = a[0];
        if (a.length === 1 && (pairs instanceof PyList || pairs instanceof PyTuple)) {
          for (const pair of pairs.items) {
            if (!(pair instanceof PyTuple) || pair.items.length !== 2) {
              this.fail('OrderedDict items are not (key, value) pairs');
            }
            this.dictSet(dict, pair.items[0], pair.items[1]);
          }
          return dict;
        }
        return this.fail('OrderedDict called with unexpected arguments');
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        const v2 = what.endsWith('_v2');
        if (v2 ? a.length !== 6 && a.length !== 7 : a.length !== 4) {
          this.fail(`${what} called with ${a.length} arguments`);
        }
        const offset = a[1];
        if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
          this.fail(`tensor storage offset is ${describePickleValue(offset)}`);
        }
        const size = this.intTuple(a[2], 'size');
        const stride = this.intTuple(a[3], 'stride');
        if (size.length !== stride.length) {
          this.fail(`tensor size has ${size.length} dims but stride has ${stride.length}`);
        }
        const requiresGrad = v2 ? a[4] : false;
        if (typeof requiresGrad !== 'boolean') this.fail('tensor requires_grad is not a bool');
        return new PyTensor(a[0], offset, size, stride, requiresGrad);
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        if (a.length < 1 || !(a[0] instanceof PyTensor)) {
          this.fail(`${what} called without a tensor`);
        }
        return a[0];
      }
      case 'torch.Size':
        if (a.length === 1 && (a[0] instanceof PyTuple || a[0] instanceof PyList)) {
          return new PyTuple([...a[0].items]);
        }
        return this.fail('torch.Size called with unexpected arguments');
      default:
        return this.fail(`${what} cannot be called`);
    }
  }

  private intTuple(value: PickleValue, what: string): number[] {
    if (!(value instanceof PyTuple) && !(value instanceof PyList)) {
      this.fail(`tensor ${what} is ${describePickleValue(value)}`);
    }
    const out: number[] = [];
    for (const v of value.items) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        this.fail(`tensor ${what} holds ${describePickleValue(v)}`);
      }
      out.push(v);
    }
    return out;
  }

  private build(target: PickleValue, state: PickleValue): void {
    if (!(target instanceof PyDict)) {
      this.fail(`cannot set state on ${describePickleValue(target)}`);
    }
    const parts =
      state instanceof PyTuple && state.items.length === 2 ? state.items : ([state] as const);
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof PyDict)) this.fail(`state is ${describePickleValue(part)}`);
      for (const [k, v] of part.items) {
        if (typeof k !== 'string') this.fail('state has a non-string attribute name');
        target.attributes.set(k, v);
      }
    }
  }

  run(): PickleValue {
    const bytes = this.bytes;
    const end = bytes.byteLength;
    let ops = 0;
    while (this.pos < end) {
      if (++ops > this.maxOps) {
        throw new Error(`${this.file}: pickle runs past ${this.maxOps} opcodes; refusing it`);
      }
      this.opStart = this.pos;
      this.op = bytes[this.pos++];
      switch (this.op) {
        case 0x80: {
          const protocol = this.u8();
          if (protocol > 5) this.fail(`protocol ${protocol} is not supported`);
          break;
        }
        case 0x95: {
          const length = this.u64();
          if (this.pos + length > end) this.fail(`frame of ${length} bytes runs past the end`);
          break;
        }
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          if (this.marks.length >= this.maxStack) this.fail('too many marks');
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.stack.length > this.floor()) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;

        // Constants and numbers.
        case 0x4e:
          this.push(null);
          break;
        case 0x88:
          this.push(true);
          break;
        case 0x89:
          this.push(false);
          break;
        case 0x4a:
          this.push(this.i32());
          break;
        case 0x4b:
          this.push(this.u8());
          break;
        case 0x4d:
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.take(this.u8())));
          break;
        case 0x8b: {
          const n = this.i32();
          if (n < 0) this.fail('negative length');
          if (n > 1 << 16) this.fail(`integer of ${n} bytes is implausible`);
          this.push(this.long(this.take(n)));
          break;
        }
        case 0x47: // BINFLOAT: big-endian double
          this.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x49: {
          // INT (text); "01"/"00" are True/False.
          const text = this.line();
          if (text === '01' || text === '00') this.push(text === '01');
          else this.push(this.parseInt(text));
          break;
        }
        case 0x4c: // LONG (text)
          this.push(this.parseInt(this.line()));
          break;
        case 0x46: {
          const text = this.line().trim();
          const value = Number(text);
          if (text === '' || (Number.isNaN(value) && !/^[+-]?nan$/i.test(text))) {
            this.fail(`"${text.slice(0, 40)}" is not a float`);
          }
          this.push(value);
          break;
        }

        // Strings and bytes.
        case 0x58:
          this.push(this.text(this.take(this.u32())));
          break;
        case 0x8c:
          this.push(this.text(this.take(this.u8())));
          break;
        case 0x8d:
          this.push(this.text(this.take(this.u64())));
          break;
        case 0x54: {
          const n = this.i32();
          if (n < 0) this.fail('negative length');
          this.push(this.latin1.decode(this.take(n)));
          break;
        }
        case 0x55:
          this.push(this.latin1.decode(this.take(this.u8())));
          break;
        case 0x42:
          this.push(this.take(this.u32()).slice());
          break;
        case 0x43:
          this.push(this.take(this.u8()).slice());
          break;
        case 0x8e:
        case 0x96:
          this.push(this.take(this.u64()).slice());
          break;
        case 0x53: // STRING (text, quoted)
          this.push(this.quoted(this.line()));
          break;
        case 0x56: // UNICODE (text, raw-unicode-escape)
          this.push(this.rawUnicode(this.line()));
          break;

        // Containers.
        case 0x7d:
          this.push(new PyDict());
          break;
        case 0x5d:
          this.push(new PyList());
          break;
        case 0x29:
          this.push(new PyTuple([]));
          break;
        case 0x8f:
          this.push(new PySet(false));
          break;
        case 0x74:
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x85: {
          const a = this.pop();
          this.push(new PyTuple([a]));
          break;
        }
        case 0x86: {
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x6c: {
          const list = new PyList();
          for (const item of this.popMark()) list.items.push(item);
          this.push(list);
          break;
        }
        case 0x64: {
          const items = this.popMark();
          if (items.length % 2) this.fail('odd number of items');
          const dict = new PyDict();
          for (let i = 0; i < items.length; i += 2) this.dictSet(dict, items[i], items[i + 1]);
          this.push(dict);
          break;
        }
        case 0x91: {
          const set = new PySet(true);
          for (const item of this.popMark()) set.items.push(item);
          this.push(set);
          break;
        }
        case 0x61: {
          const value = this.pop();
          const list = this.top();
          if (!(list instanceof PyList)) this.fail(`cannot append to ${describePickleValue(list)}`);
          list.items.push(value);
          break;
        }
        case 0x65: {
          const items = this.popMark();
          const list = this.top();
          if (!(list instanceof PyList)) this.fail(`cannot append to ${describePickleValue(list)}`);
          for (const item of items) list.items.push(item);
          break;
        }
        case 0x90: {
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof PySet)) this.fail(`cannot add to ${describePickleValue(set)}`);
          for (const item of items) set.items.push(item);
          break;
        }
        case 0x73: {
          const value = this.pop();
          const key = this.pop();
          this.dictSet(this.top(), key, value);
          break;
        }
        case 0x75: {
          const items = this.popMark();
          if (items.length % 2) this.fail('odd number of items');
          const dict = this.top();
          for (let i = 0; i < items.length; i += 2) this.dictSet(dict, items[i], items[i + 1]);
          break;
        }

        // Memo.
        case 0x71:
          this.put(this.u8(), this.top());
          break;
        case 0x72:
          this.put(this.u32(), this.top());
          break;
        case 0x70:
          this.put(this.memoIndex(this.line()), this.top());
          break;
        case 0x94:
          this.put(this.memo.size, this.top());
          break;
        case 0x68:
          this.get(this.u8());
          break;
        case 0x6a:
          this.get(this.u32());
          break;
        case 0x67:
          this.get(this.memoIndex(this.line()));
          break;

        // Names, calls and object state: allow-listed, inert.
        case 0x63: {
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            this.fail('module and name are not strings');
          }
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          const args = this.pop();
          const callable = this.pop();
          this.push(this.call(callable, args));
          break;
        }
        case 0x81: {
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case 0x92: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof PyDict) || kwargs.items.size > 0) {
            this.fail('keyword arguments are not supported');
          }
          this.push(this.call(cls, args));
          break;
        }
        case 0x69: {
          const module = this.line();
          const name = this.line();
          const cls = this.global(module, name);
          this.push(this.call(cls, new PyTuple(this.popMark())));
          break;
        }
        case 0x6f: {
          const items = this.popMark();
          if (items.length === 0) this.fail('no class to instantiate');
          this.push(this.call(items[0], new PyTuple(items.slice(1))));
          break;
        }
        case 0x62: {
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x51:
          this.push(new PyPersistentRef(this.pop()));
          break;
        case 0x50:
          this.push(new PyPersistentRef(this.line()));
          break;
        case 0x82:
        case 0x83:
        case 0x84:
          this.fail('the copyreg extension registry is not supported');
          break;
        case 0x97:
          this.fail('out-of-band buffers are not supported');
          break;
        case 0x98: // READONLY_BUFFER: no change to the value.
          this.top();
          break;
        default:
          throw new Error(
            `${this.file}: unknown pickle opcode 0x${hex(this.op)} at byte ${this.opStart}; the pickle is corrupt or not a PyTorch checkpoint`,
          );
      }
    }
    throw new Error(`${this.file}: pickle ends without a STOP opcode; it is truncated`);
  }

  private memoIndex(text: string): number {
    const value = this.parseInt(text);
    if (typeof value !== 'number') this.fail('memo index too large');
    return value;
  }

  private quoted(line: string): string {
    const t = line.trim();
    const q = t[0];
    if (t.length < 2 || (q !== "'" && q !== '"') || t[t.length - 1] !== q) {
      this.fail('STRING argument is not quoted');
    }
    const body = t.slice(1, -1);
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '"': '"',
      n: '\n',
      r: '\r',
      t: '\t',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '0': '\0',
    };
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = body[++i];
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else if (next !== undefined && next in simple) {
        out += simple[next];
      } else {
        this.fail('STRING has an escape this reader does not know');
      }
    }
    return out;
  }

  private rawUnicode(line: string): string {
    return line.replace(
      /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
      (_m, u4?: string, u8?: string) => {
        const code = parseInt((u4 ?? u8) as string, 16);
        if (code > 0x10ffff) this.fail('UNICODE escape beyond U+10FFFF');
        return String.fromCodePoint(code);
      },
    );
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
