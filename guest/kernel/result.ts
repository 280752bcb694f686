// Results of kernel operations: a value or an error code (api/context.ts), or BLOCKED when
// the calling domain must wait and will be woken with its result later.

import type { ErrorCode, Result } from './api/context.js';

export const BLOCKED: unique symbol = Symbol('blocked');
export type Blocked = typeof BLOCKED;

export function ok(): Result<void>;
export function ok<T>(value: T): Result<T>;
export function ok<T>(value?: T): Result<T | undefined> {
  return { ok: true, value };
}

export function err(error: ErrorCode): { readonly ok: false; readonly error: ErrorCode } {
  return { ok: false, error };
}
