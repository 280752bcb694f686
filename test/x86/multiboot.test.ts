// Multiboot image validation (emulator/platforms/v86/multiboot.ts): every bad image gets a
// clear error naming what is wrong, and a well-formed one is accepted with its fields.

import { describe, expect, it } from 'vitest';
import {
  checkMultiboot, MB_FLAG_ADDRESS_FIELDS, MB_FLAG_MEMORY_INFO, MB_FLAG_VIDEO_MODE, MULTIBOOT_HEADER_MAGIC, MultibootError,
} from '../../emulator/platforms/v86/multiboot.js';
import { ELF_CODE, ELF_PHOFF, elfGuest, exitCode } from './guests.js';

const RAM = 32 * 1024 * 1024;
const LOAD = 0x100000;

interface Shape {
  size?: number;
  headerOffset?: number;
  flags?: number;
  checksumDelta?: number;
  loadAddr?: number;
  loadEnd?: number;
  bssEnd?: number;
  entry?: number;
}

/** A flat image whose header (at `headerOffset`, default 0) maps file offset 0 to LOAD. */
function image(s: Shape = {}): Uint8Array {
  const bytes = new Uint8Array(s.size ?? 256);
  const dv = new DataView(bytes.buffer);
  const off = s.headerOffset ?? 0;
  const flags = s.flags ?? MB_FLAG_ADDRESS_FIELDS | MB_FLAG_MEMORY_INFO;
  dv.setUint32(off, MULTIBOOT_HEADER_MAGIC, true);
  dv.setUint32(off + 4, flags, true);
  dv.setUint32(off + 8, (-(MULTIBOOT_HEADER_MAGIC + flags) + (s.checksumDelta ?? 0)) >>> 0, true);
  const loadAddr = s.loadAddr ?? LOAD;
  dv.setUint32(off + 12, loadAddr + off, true);
  dv.setUint32(off + 16, loadAddr, true);
  dv.setUint32(off + 20, s.loadEnd ?? 0, true);
  dv.setUint32(off + 24, s.bssEnd ?? 0, true);
  dv.setUint32(off + 28, s.entry ?? loadAddr + off + 32, true);
  return bytes;
}

function errorOf(img: Uint8Array, ram = RAM): string {
  try {
    checkMultiboot(img, ram);
  } catch (e) {
    expect(e).toBeInstanceOf(MultibootError);
    return (e as Error).message;
  }
  throw new Error('image was accepted');
}

describe('multiboot image validation', () => {
  it('accepts a flat image and reports its load layout', () => {
    const mb = checkMultiboot(image({ headerOffset: 64, bssEnd: LOAD + 0x3000 }), RAM);
    expect(mb).toEqual({
      headerOffset: 64, flags: MB_FLAG_ADDRESS_FIELDS | MB_FLAG_MEMORY_INFO, format: 'address-fields',
      loadAddr: LOAD, loadEnd: LOAD + 256, bssEnd: LOAD + 0x3000, entry: LOAD + 96,
    });
  });

  it('rejects an empty file', () => {
    expect(errorOf(new Uint8Array(0))).toMatch(/empty/);
  });

  it('rejects an image with no header in the first 8192 bytes', () => {
    expect(errorOf(new Uint8Array(4096))).toMatch(/no multiboot header .* first 8192 bytes/);
    // A header past 8 KiB does not count, nor one off a 4-byte boundary.
    expect(errorOf(image({ size: 12_288, headerOffset: 8192 }))).toMatch(/no multiboot header/);
    const unaligned = new Uint8Array(256);
    unaligned.set(image().subarray(0, 32), 2);
    expect(errorOf(unaligned)).toMatch(/no multiboot header/);
  });

  it('rejects a bad checksum, naming the header offset', () => {
    expect(errorOf(image({ headerOffset: 16, checksumDelta: 1 }))).toMatch(/bad multiboot checksum .* offset 16/);
  });

  it('rejects unsupported flags', () => {
    expect(errorOf(image({ flags: MB_FLAG_ADDRESS_FIELDS | MB_FLAG_VIDEO_MODE }))).toMatch(/unsupported multiboot flags 0x4 \(bit 2: a video mode request\)/);
    expect(errorOf(image({ flags: MB_FLAG_ADDRESS_FIELDS | (1 << 9) }))).toMatch(/unsupported multiboot flags 0x200/);
  });

  it('rejects an image that is neither address-fields nor ELF', () => {
    expect(errorOf(image({ flags: MB_FLAG_MEMORY_INFO }))).toMatch(/not ELF/);
  });

  it('rejects an image too large for the guest RAM', () => {
    expect(errorOf(new Uint8Array(RAM), RAM)).toMatch(/too large/);
    expect(errorOf(image({ bssEnd: RAM + 0x1000 }))).toMatch(/too large: it ends at 0x2001000/);
  });

  it('rejects inconsistent address fields', () => {
    expect(errorOf(image({ loadAddr: 0x8000 }))).toMatch(/below 1 MiB/);
    expect(errorOf(image({ loadEnd: LOAD + 0x10000 }))).toMatch(/file has only 256/);
    expect(errorOf(image({ loadEnd: LOAD + 128, bssEnd: LOAD + 64 }))).toMatch(/bss_end_addr .* below load_end_addr/);
    expect(errorOf(image({ entry: LOAD + 0x1000 }))).toMatch(/entry_addr 0x101000 is outside/);
    expect(errorOf(image().subarray(0, 30))).toMatch(/ends before its address fields/);
  });

  describe('ELF images (v86 loads their PT_LOAD segments)', () => {
    const elf = (edit: (dv: DataView, img: Uint8Array) => void = () => {}) => {
      const img = elfGuest(exitCode(0));
      edit(new DataView(img.buffer), img);
      return img;
    };
    const PH = ELF_PHOFF;

    it('accepts a well-formed one and reports its segment and physical entry', () => {
      const img = elf();
      expect(checkMultiboot(img, RAM)).toEqual({
        headerOffset: 84, flags: MB_FLAG_MEMORY_INFO, format: 'elf', loadAddr: LOAD, loadEnd: LOAD + img.length, bssEnd: LOAD + img.length, entry: LOAD + ELF_CODE,
      });
      // The entry is translated from p_vaddr to p_paddr, as v86 does.
      const high = elf((dv) => {
        dv.setUint32(PH + 8, 0xc0000000, true);
        dv.setUint32(24, 0xc0000000 + ELF_CODE, true);
      });
      expect(checkMultiboot(high, RAM).entry).toBe(LOAD + ELF_CODE);
    });

    it('rejects a truncated ELF header', () => {
      // ELF magic and a multiboot header (at 24), but the file ends before the ELF header does.
      const img = new Uint8Array(48);
      img.set(elf().subarray(0, 8));
      const dv = new DataView(img.buffer);
      dv.setUint32(24, MULTIBOOT_HEADER_MAGIC, true);
      dv.setUint32(28, MB_FLAG_MEMORY_INFO, true);
      dv.setUint32(32, -(MULTIBOOT_HEADER_MAGIC + MB_FLAG_MEMORY_INFO) >>> 0, true);
      expect(errorOf(img)).toMatch(/ELF header is truncated: the file has 48 bytes, the header needs 52/);
    });

    it('rejects program headers beyond the end of the file', () => {
      expect(errorOf(elf((dv) => dv.setUint32(28, 10_000, true)))).toMatch(/program headers \(e_phoff 10000, 1 of 32 bytes\) lie beyond the end of the 102-byte file/);
      expect(errorOf(elf((dv) => dv.setUint16(44, 3, true)))).toMatch(/program headers .* beyond the end/);
      expect(errorOf(elf((dv) => dv.setUint16(44, 0, true)))).toMatch(/no program headers/);
    });

    it('rejects a segment below 1 MiB', () => {
      expect(errorOf(elf((dv) => dv.setUint32(PH + 12, 0x8000, true)))).toMatch(/ELF segment 0 \(p_paddr 0x8000, 102 bytes\) loads below 1 MiB/);
    });

    it('rejects a segment beyond RAM', () => {
      expect(errorOf(elf((dv) => dv.setUint32(PH + 20, RAM, true)))).toMatch(/ELF segment 0 .* ends at 0x2100000, beyond the guest's 33554432 bytes of RAM/);
      expect(errorOf(elf((dv) => dv.setUint32(PH + 16, 4096, true)))).toMatch(/p_filesz 4096 exceeds p_memsz/);
      expect(errorOf(elf((dv) => dv.setUint32(PH + 4, 64, true)))).toMatch(/102 file bytes at offset 64 lie beyond the end/);
    });

    it('rejects an entry point outside every loaded segment', () => {
      expect(errorOf(elf((dv) => dv.setUint32(24, 0x200000, true)))).toMatch(/entry point 0x200000 lies outside every loaded segment/);
      expect(errorOf(elf((dv) => dv.setUint32(PH, 4, true)))).toMatch(/no loadable \(PT_LOAD\) segment/); // a PT_NOTE only
    });

    it('rejects what v86 cannot load: 64-bit, another machine, a relocatable, section headers outside the file', () => {
      expect(errorOf(elf((_, img) => (img[4] = 2)))).toMatch(/not 32-bit little-endian/);
      expect(errorOf(elf((dv) => dv.setUint16(18, 62, true)))).toMatch(/not for i386 \(e_machine 62/);
      expect(errorOf(elf((dv) => dv.setUint16(16, 1, true)))).toMatch(/not an executable/);
      expect(errorOf(elf((dv) => {
        dv.setUint32(32, 4096, true);
        dv.setUint16(48, 2, true);
      }))).toMatch(/section headers \(e_shoff 4096, 2 entries\) lie beyond/);
    });
  });
});
