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

/** ELF32 i386 executable layout used by `elfGuest`: header, one program header, multiboot header, code. */
export const ELF_PHOFF = 52;
export const ELF_MB_HEADER = 84;
export const ELF_CODE = 96;

/**
 * An ELF multiboot image (flag 16 clear, so the loader reads the program headers): one
 * PT_LOAD segment mapping the whole file at `LOAD` (virtual and physical), entry at the code.
 */
export function elfGuest(code: number[]): Uint8Array {
  const img = new Uint8Array(ELF_CODE + code.length);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0); // magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true); // e_version
  dv.setUint32(24, LOAD + ELF_CODE, true); // e_entry
  dv.setUint32(28, ELF_PHOFF, true); // e_phoff
  dv.setUint16(40, 52, true); // e_ehsize
  dv.setUint16(42, 32, true); // e_phentsize
  dv.setUint16(44, 1, true); // e_phnum
  dv.setUint16(46, 40, true); // e_shentsize
  dv.setUint32(ELF_PHOFF, 1, true); // PT_LOAD
  dv.setUint32(ELF_PHOFF + 4, 0, true); // p_offset
  dv.setUint32(ELF_PHOFF + 8, LOAD, true); // p_vaddr
  dv.setUint32(ELF_PHOFF + 12, LOAD, true); // p_paddr
  dv.setUint32(ELF_PHOFF + 16, img.length, true); // p_filesz
  dv.setUint32(ELF_PHOFF + 20, img.length, true); // p_memsz
  const flags = 0x2; // memory info only
  dv.setUint32(ELF_MB_HEADER, MB_MAGIC, true);
  dv.setUint32(ELF_MB_HEADER + 4, flags, true);
  dv.setUint32(ELF_MB_HEADER + 8, -(MB_MAGIC + flags) >>> 0, true);
  img.set(code, ELF_CODE);
  return img;
}

/** mov ecx, n; loop $ — about n instructions of busy waiting. */
export function spin(n: number): number[] {
  return [0xb9, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0xe2, 0xfe];
}

/** Where platform tests' probe devices listen. */
export const REPORT_PORT = 0x340;
/** The dword DMA_POLL_GUEST polls (a page of its own, so writes to it never touch code pages). */
export const DMA_POLL_FLAG = 0x200000;
/**
 * 30 rounds of: clear the dword at DMA_POLL_FLAG, write a byte to port 0x340 (the device
 * then sets the dword after a delay), count polls of the dword until it is set, write the
 * count to port 0x340 (32-bit). Then exit 0. Assembled with nasm (org 0x100020).
 */
export const DMA_POLL_GUEST = [
  0xbb, 0x1e, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x66, 0xba, 0x40, 0x03, 0xee,
  0x31, 0xf6, 0x46, 0x83, 0x3d, 0x00, 0x00, 0x20, 0x00, 0x00, 0x74, 0xf6, 0x89, 0xf0, 0xef, 0x4b, 0x75, 0xdf, 0xb0, 0x00,
  0xe6, 0xf4, 0xfa, 0xf4,
];
