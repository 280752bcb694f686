// Checks a multiboot (version 1) kernel image before v86 sees it, so a bad image gets a
// clear error instead of v86 silently booting nothing or asserting deep in its loader.
//
// What v86 0.5.x loads without a BIOS (src/cpu.js `load_multiboot_option_rom`): it scans
// the first 8 KiB for the header magic on a 4-byte boundary, checks that magic + flags +
// checksum is 0 mod 2^32, honours flag bits 0, 1 and 16 only, and loads either the region
// the header's address fields describe (flag 16, the "a.out kludge") or the image's ELF
// program headers. It puts the multiboot info at 0x7C00, so the kernel must load at or
// above 1 MiB and end inside RAM.
// Source of the format: the Multiboot Specification 0.6.96, §3.1.

/** The header magic (spec §3.1.2). */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** What the loader leaves in EAX (spec §3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie wholly in the first 8192 bytes, 32-bit aligned (spec §3.1.1). */
export const MULTIBOOT_SEARCH_BYTES = 8192;
/** Flag bits: 0 align modules on pages, 1 wants memory info, 16 the address fields are valid (spec §3.1.2). */
export const MB_FLAG_PAGE_ALIGN = 1 << 0;
export const MB_FLAG_MEMORY_INFO = 1 << 1;
export const MB_FLAG_VIDEO_MODE = 1 << 2;
export const MB_FLAG_ADDRESS_FIELDS = 1 << 16;
const SUPPORTED_FLAGS = MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_ADDRESS_FIELDS;
/** Lowest load address: v86 keeps the multiboot info below it, and 640 KiB–1 MiB is the VGA/ROM hole. */
export const MIN_LOAD_ADDRESS = 0x100000;
const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian

export class MultibootError extends Error {
  override readonly name = 'MultibootError';
}

export interface MultibootImage {
  /** Byte offset of the header in the file. */
  readonly headerOffset: number;
  readonly flags: number;
  /** 'address-fields' (flag 16) or 'elf' (v86 reads the program headers). */
  readonly format: 'address-fields' | 'elf';
  /** For address-fields images: where the file's bytes go, where they end, where BSS ends, the entry point. */
  readonly loadAddr?: number;
  readonly loadEnd?: number;
  readonly bssEnd?: number;
  readonly entry?: number;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Validate `image` for a guest with `memoryBytes` of RAM; throws MultibootError saying what is wrong. */
export function checkMultiboot(image: Uint8Array, memoryBytes: number): MultibootImage {
  if (image.length === 0) throw new MultibootError('the image is empty');
  if (image.length > memoryBytes - MIN_LOAD_ADDRESS) {
    throw new MultibootError(`the image is too large: ${image.length} bytes, but a guest with ${memoryBytes} bytes of RAM can load at most ${memoryBytes - MIN_LOAD_ADDRESS} above 1 MiB`);
  }
  const dv = new DataView(image.buffer, image.byteOffset, image.length);
  const u32 = (off: number) => dv.getUint32(off, true);
  let sawBadChecksum = -1;
  const last = Math.min(MULTIBOOT_SEARCH_BYTES, image.length) - 12;
  for (let off = 0; off <= last; off += 4) {
    if (u32(off) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(off + 4);
    if (((MULTIBOOT_HEADER_MAGIC + flags + u32(off + 8)) >>> 0) !== 0) {
      if (sawBadChecksum < 0) sawBadChecksum = off;
      continue;
    }
    const unsupported = flags & ~SUPPORTED_FLAGS;
    if (unsupported !== 0) {
      const what = (unsupported & MB_FLAG_VIDEO_MODE) !== 0 ? ' (bit 2: a video mode request)' : '';
      throw new MultibootError(`unsupported multiboot flags ${hex(unsupported)}${what} in the header at offset ${off}: v86 honours only bits 0, 1 and 16`);
    }
    if ((flags & MB_FLAG_ADDRESS_FIELDS) === 0) {
      if (image.length < 4 || u32(0) !== ELF_MAGIC) {
        throw new MultibootError('the multiboot header has no address fields (flag 16 clear) and the image is not ELF, so there is nothing v86 can load');
      }
      return { headerOffset: off, flags, format: 'elf' };
    }
    return { headerOffset: off, flags, format: 'address-fields', ...addressFields(image, off, u32, memoryBytes) };
  }
  if (sawBadChecksum >= 0) {
    throw new MultibootError(`bad multiboot checksum in the header at offset ${sawBadChecksum}: magic + flags + checksum must be 0 mod 2^32`);
  }
  throw new MultibootError(`no multiboot header (magic ${hex(MULTIBOOT_HEADER_MAGIC)} on a 4-byte boundary) in the first ${MULTIBOOT_SEARCH_BYTES} bytes`);
}

function addressFields(image: Uint8Array, off: number, u32: (o: number) => number, memoryBytes: number) {
  if (off + 32 > image.length) throw new MultibootError(`the header at offset ${off} has flag 16 but the file ends before its address fields`);
  const headerAddr = u32(off + 12);
  const loadAddr = u32(off + 16);
  const loadEndField = u32(off + 20);
  const bssEndField = u32(off + 24);
  const entry = u32(off + 28);
  if (loadAddr > headerAddr) throw new MultibootError(`load_addr ${hex(loadAddr)} is above header_addr ${hex(headerAddr)}`);
  const fileStart = off - (headerAddr - loadAddr);
  if (fileStart < 0) throw new MultibootError(`header_addr − load_addr (${headerAddr - loadAddr}) puts the load start before the file's first byte`);
  if (loadAddr < MIN_LOAD_ADDRESS) throw new MultibootError(`load_addr ${hex(loadAddr)} is below 1 MiB, where v86 keeps the multiboot info and the VGA/ROM hole lies`);
  const loadEnd = loadEndField === 0 ? loadAddr + (image.length - fileStart) : loadEndField;
  if (loadEnd < loadAddr) throw new MultibootError(`load_end_addr ${hex(loadEnd)} is below load_addr ${hex(loadAddr)}`);
  if (loadEnd - loadAddr > image.length - fileStart) {
    throw new MultibootError(`load_end_addr ${hex(loadEnd)} asks for ${loadEnd - loadAddr} bytes but the file has only ${image.length - fileStart} after the load start`);
  }
  const bssEnd = bssEndField === 0 ? loadEnd : bssEndField;
  if (bssEnd < loadEnd) throw new MultibootError(`bss_end_addr ${hex(bssEnd)} is below load_end_addr ${hex(loadEnd)}`);
  if (bssEnd > memoryBytes) throw new MultibootError(`the image is too large: it ends at ${hex(bssEnd)}, beyond the guest's ${memoryBytes} bytes of RAM`);
  if (entry < loadAddr || entry >= loadEnd) throw new MultibootError(`entry_addr ${hex(entry)} is outside the loaded bytes [${hex(loadAddr)}, ${hex(loadEnd)})`);
  return { loadAddr, loadEnd, bssEnd, entry };
}
