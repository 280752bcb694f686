// Checks a multiboot (version 1) kernel image before v86 sees it, so a bad image gets a
// clear error instead of v86 silently booting nothing or asserting deep in its loader.
//
// What v86 0.5.x loads without a BIOS (src/cpu.js `load_multiboot_option_rom`): it scans
// the first 8 KiB for the header magic on a 4-byte boundary, checks that magic + flags +
// checksum is 0 mod 2^32, honours flag bits 0, 1 and 16 only, and loads either the region
// the header's address fields describe (flag 16, the "a.out kludge") or the image's ELF
// program headers. It puts the multiboot info at 0x7C00, so the kernel must load at or
// above 1 MiB and end inside RAM. ELF images get their headers and PT_LOAD segments checked
// the same way (elfSegments), since v86's loader only logs or throws on bad ones.
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
/**
 * ELF32 layout (System V ABI, "ELF" chapter; the i386 supplement): header fields by
 * offset, the sizes v86's loader insists on, and the values an i386 executable has.
 */
const ELF_HEADER_BYTES = 52;
const ELF_PHDR_BYTES = 32;
const ELF_SHDR_BYTES = 40;
const EI_CLASS = 4;
const EI_DATA = 5;
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const E_TYPE = 16;
const E_MACHINE = 18;
const E_ENTRY = 24;
const E_PHOFF = 28;
const E_SHOFF = 32;
const E_EHSIZE = 40;
const E_PHENTSIZE = 42;
const E_PHNUM = 44;
const E_SHENTSIZE = 46;
const E_SHNUM = 48;
const ET_EXEC = 2;
const EM_386 = 3;
const PT_LOAD = 1;
const P_OFFSET = 4;
const P_VADDR = 8;
const P_PADDR = 12;
const P_FILESZ = 16;
const P_MEMSZ = 20;

export class MultibootError extends Error {
  override readonly name = 'MultibootError';
}

export interface MultibootImage {
  /** Byte offset of the header in the file. */
  readonly headerOffset: number;
  readonly flags: number;
  /** 'address-fields' (flag 16) or 'elf' (v86 reads the program headers). */
  readonly format: 'address-fields' | 'elf';
  /**
   * Where the file's bytes go, where they end, where BSS ends, the entry point (physical).
   * For ELF: the lowest segment start, the highest end of file bytes and of memory.
   */
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
      return { headerOffset: off, flags, format: 'elf', ...elfSegments(image, dv, memoryBytes) };
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

/**
 * Check an ELF32 executable's headers the way v86's loader reads them (src/cpu.js: it loads
 * each PT_LOAD segment at p_paddr if it ends inside RAM, silently skips it otherwise, and
 * translates the entry point through the segment whose p_vaddr range holds it), so that a
 * malformed file is refused here rather than failing inside v86 or booting nothing.
 */
function elfSegments(image: Uint8Array, dv: DataView, memoryBytes: number) {
  if (image.length < ELF_HEADER_BYTES) throw new MultibootError(`the ELF header is truncated: the file has ${image.length} bytes, the header needs ${ELF_HEADER_BYTES}`);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  if (image[EI_CLASS] !== ELFCLASS32 || image[EI_DATA] !== ELFDATA2LSB) throw new MultibootError('the ELF image is not 32-bit little-endian (v86 loads only ELF32 i386)');
  if (u16(E_TYPE) !== ET_EXEC) throw new MultibootError(`the ELF image is not an executable (e_type ${u16(E_TYPE)}, want ${ET_EXEC})`);
  if (u16(E_MACHINE) !== EM_386) throw new MultibootError(`the ELF image is not for i386 (e_machine ${u16(E_MACHINE)}, want ${EM_386})`);
  if (u16(E_EHSIZE) !== ELF_HEADER_BYTES || u16(E_PHENTSIZE) !== ELF_PHDR_BYTES) {
    throw new MultibootError(`unexpected ELF header sizes (e_ehsize ${u16(E_EHSIZE)}, e_phentsize ${u16(E_PHENTSIZE)}; v86 needs ${ELF_HEADER_BYTES} and ${ELF_PHDR_BYTES})`);
  }
  const phoff = u32(E_PHOFF);
  const phnum = u16(E_PHNUM);
  if (phnum === 0) throw new MultibootError('the ELF image has no program headers, so there is nothing to load');
  if (phoff + phnum * ELF_PHDR_BYTES > image.length) {
    throw new MultibootError(`the ELF program headers (e_phoff ${phoff}, ${phnum} of ${ELF_PHDR_BYTES} bytes) lie beyond the end of the ${image.length}-byte file`);
  }
  // v86 also reads the section header table (and throws if it lies outside the file).
  const shoff = u32(E_SHOFF);
  const shnum = u16(E_SHNUM);
  if (shnum > 0 && u16(E_SHENTSIZE) !== ELF_SHDR_BYTES) throw new MultibootError(`unexpected ELF e_shentsize ${u16(E_SHENTSIZE)} (v86 needs ${ELF_SHDR_BYTES})`);
  if (shoff + shnum * ELF_SHDR_BYTES > image.length) {
    throw new MultibootError(`the ELF section headers (e_shoff ${shoff}, ${shnum} entries) lie beyond the end of the ${image.length}-byte file`);
  }
  const entryVirtual = u32(E_ENTRY);
  let loadAddr = Infinity;
  let loadEnd = 0;
  let bssEnd = 0;
  let entry: number | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * ELF_PHDR_BYTES;
    if (u32(ph) !== PT_LOAD) continue;
    const [offset, vaddr, paddr, filesz, memsz] = [u32(ph + P_OFFSET), u32(ph + P_VADDR), u32(ph + P_PADDR), u32(ph + P_FILESZ), u32(ph + P_MEMSZ)];
    const which = `ELF segment ${i} (p_paddr ${hex(paddr)}, ${memsz} bytes)`;
    if (filesz > memsz) throw new MultibootError(`${which}: p_filesz ${filesz} exceeds p_memsz`);
    if (offset + filesz > image.length) throw new MultibootError(`${which}: its ${filesz} file bytes at offset ${offset} lie beyond the end of the ${image.length}-byte file`);
    if (paddr < MIN_LOAD_ADDRESS) throw new MultibootError(`${which} loads below 1 MiB, where v86 keeps the multiboot info and the VGA/ROM hole lies`);
    // v86 loads a segment only if p_paddr + p_memsz < its memory size.
    if (paddr + memsz >= memoryBytes) throw new MultibootError(`${which} ends at ${hex(paddr + memsz)}, beyond the guest's ${memoryBytes} bytes of RAM`);
    loadAddr = Math.min(loadAddr, paddr);
    loadEnd = Math.max(loadEnd, paddr + filesz);
    bssEnd = Math.max(bssEnd, paddr + memsz);
    if (entry === undefined && entryVirtual >= vaddr && entryVirtual - vaddr < memsz) entry = entryVirtual - vaddr + paddr;
  }
  if (loadAddr === Infinity) throw new MultibootError('the ELF image has no loadable (PT_LOAD) segment');
  if (entry === undefined) throw new MultibootError(`the ELF entry point ${hex(entryVirtual)} lies outside every loaded segment`);
  return { loadAddr, loadEnd, bssEnd, entry };
}
