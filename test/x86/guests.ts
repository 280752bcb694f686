// Tiny multiboot guests assembled by hand for platform tests (no nasm needed): a header
// with address fields loading the file at 1 MiB, followed by a few instructions.

const MB_MAGIC = 0x1badb002;
const MB_FLAGS = 0x00010000;
const LOAD = 0x100000;
const CODE_OFFSET = 32;

/** A multiboot image whose code (at file offset 32) is `code`. */
export function tinyGuest(code: number[]): Uint8Array {
  const img = new Uint8Array(CODE_OFFSET + code.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, MB_MAGIC, true);
  dv.setUint32(4, MB_FLAGS, true);
  dv.setUint32(8, -(MB_MAGIC + MB_FLAGS) >>> 0, true);
  dv.setUint32(12, LOAD, true); // header_addr
  dv.setUint32(16, LOAD, true); // load_addr
  dv.setUint32(28, LOAD + CODE_OFFSET, true); // entry_addr
  img.set(code, CODE_OFFSET);
  return img;
}

/** mov dx, 0x3f8; mov al, c; out dx, al — for each character. */
export function printCode(text: string): number[] {
  return [...text].flatMap((c) => [0x66, 0xba, 0xf8, 0x03, 0xb0, c.charCodeAt(0), 0xee]);
}

/** mov al, code; out 0xf4, al; then cli; hlt. */
export function exitCode(code: number): number[] {
  return [0xb0, code, 0xe6, 0xf4, 0xfa, 0xf4];
}

export const SPIN_FOREVER = [0xeb, 0xfe]; // jmp $
export const HALT_WITH_INTERRUPTS_OFF = [0xfa, 0xf4]; // cli; hlt
export const HALT_WITH_INTERRUPTS_ON = [0xfb, 0xf4, 0xeb, 0xfd]; // sti; hlt; jmp back to hlt
