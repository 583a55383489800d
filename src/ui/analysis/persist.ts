/**
 * Settings kept in localStorage under one key each. Reading never throws: a missing,
 * unreadable or partly wrong value falls back to the defaults field by field.
 */

export type Checks<T> = { [K in keyof T]: (value: unknown) => boolean };

export function loadSettings<T extends object>(key: string, defaults: T, checks: Checks<T>): T {
  let stored: unknown;
  try {
    stored = JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    stored = null;
  }
  const out = { ...defaults };
  if (typeof stored !== 'object' || stored === null) return out;
  for (const field of Object.keys(checks) as (keyof T)[]) {
    const value = (stored as Record<keyof T, unknown>)[field];
    if (value !== undefined && checks[field](value)) out[field] = value as T[keyof T];
  }
  return out;
}

export function saveSettings(key: string, value: object): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage disabled or full: the settings last for this page only.
  }
}

export const isOneOf =
  <V extends string>(...values: V[]) =>
  (value: unknown): boolean =>
    typeof value === 'string' && (values as string[]).includes(value);

export const isNumberIn =
  (lo: number, hi: number) =>
  (value: unknown): boolean =>
    typeof value === 'number' && Number.isFinite(value) && value >= lo && value <= hi;

export const isBoolean = (value: unknown): boolean => typeof value === 'boolean';

export const isString = (value: unknown): boolean => typeof value === 'string';
