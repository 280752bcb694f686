// DP8390 register offsets and bits, and the page-3 bus-master extension.
// Sources: National Semiconductor DP8390D/NS32490D "Network Interface Controller" datasheet
// (register map, CR/ISR/RCR/TCR/DCR/RSR/TSR bits, buffer ring header), the NE2000 board
// layout as Linux drivers/net/ethernet/8390/ne.c and 8390.h use it (data port 0x10, reset
// port 0x1F, 16 KiB buffer at 0x4000), and HARDWARE.md §3 (the page-3 extension, ID bytes).

// ---- ports relative to the I/O base ----
export const PORT_COUNT = 0x20;
export const NE_DATAPORT = 0x10;
export const NE_RESET = 0x1f;

// ---- CR: command register (every page, offset 0) ----
export const CR = 0x00;
export const CR_STP = 0x01;
export const CR_STA = 0x02;
export const CR_TXP = 0x04;
export const CR_RD_MASK = 0x38;
export const CR_RD_READ = 0x08;
export const CR_RD_WRITE = 0x10;
export const CR_RD_SEND = 0x18;
export const CR_RD_ABORT = 0x20; // 1xx: abort/complete remote DMA
export const CR_PS_SHIFT = 6;

// ---- page 0, read ----
export const P0_CLDA0 = 0x01;
export const P0_CLDA1 = 0x02;
export const P0_BNRY = 0x03;
export const P0_TSR = 0x04;
export const P0_NCR = 0x05;
export const P0_FIFO = 0x06;
export const P0_ISR = 0x07;
export const P0_CRDA0 = 0x08;
export const P0_CRDA1 = 0x09;
export const P0_ID0 = 0x0a; // reads 0x50 'P' (RTL8029-style ID, HARDWARE.md §3.1)
export const P0_ID1 = 0x0b; // reads 0x43 'C'
export const P0_RSR = 0x0c;
export const P0_CNTR0 = 0x0d; // frame alignment errors
export const P0_CNTR1 = 0x0e; // CRC errors
export const P0_CNTR2 = 0x0f; // missed packets
export const ID_BYTE0 = 0x50;
export const ID_BYTE1 = 0x43;

// ---- page 0, write ----
export const P0_PSTART = 0x01;
export const P0_PSTOP = 0x02;
export const P0_TPSR = 0x04;
export const P0_TBCR0 = 0x05;
export const P0_TBCR1 = 0x06;
export const P0_RSAR0 = 0x08;
export const P0_RSAR1 = 0x09;
export const P0_RBCR0 = 0x0a;
export const P0_RBCR1 = 0x0b;
export const P0_RCR = 0x0c;
export const P0_TCR = 0x0d;
export const P0_DCR = 0x0e;
export const P0_IMR = 0x0f;

// ---- page 1 ----
export const P1_PAR0 = 0x01; // PAR0..PAR5 at 0x01..0x06
export const P1_CURR = 0x07;
export const P1_MAR0 = 0x08; // MAR0..MAR7 at 0x08..0x0f

// ---- page 2 (read back of the page-0 write registers) ----
export const P2_PSTART = 0x01;
export const P2_PSTOP = 0x02;
export const P2_TPSR = 0x04;
export const P2_RCR = 0x0c;
export const P2_TCR = 0x0d;
export const P2_DCR = 0x0e;
export const P2_IMR = 0x0f;

// ---- ISR / IMR bits ----
export const ISR_PRX = 0x01;
export const ISR_PTX = 0x02;
export const ISR_RXE = 0x04;
export const ISR_TXE = 0x08;
export const ISR_OVW = 0x10;
export const ISR_CNT = 0x20;
export const ISR_RDC = 0x40;
export const ISR_RST = 0x80; // status only: never interrupts
export const ISR_IRQ_MASK = 0x7f;

// ---- RCR bits ----
export const RCR_SEP = 0x01; // save errored packets
export const RCR_AR = 0x02; // accept runts
export const RCR_AB = 0x04; // accept broadcast
export const RCR_AM = 0x08; // accept multicast (through the MAR hash)
export const RCR_PRO = 0x10; // promiscuous
export const RCR_MON = 0x20; // monitor: check, count, do not buffer

// ---- TCR bits ----
export const TCR_CRC = 0x01; // inhibit CRC
export const TCR_LB_MASK = 0x06; // loopback mode (0 = normal)

// ---- DCR bits ----
export const DCR_WTS = 0x01; // word transfer select

// ---- RSR bits ----
export const RSR_PRX = 0x01;
export const RSR_CRC = 0x02;
export const RSR_FAE = 0x04;
export const RSR_FO = 0x08;
export const RSR_MPA = 0x10;
export const RSR_PHY = 0x20; // multicast/broadcast destination
export const RSR_DIS = 0x40;

// ---- TSR bits ----
export const TSR_PTX = 0x01;
export const TSR_ABT = 0x08;
export const TSR_FU = 0x20; // FIFO underrun

// ---- buffer memory (NE2000 board) ----
export const PAGE_BYTES = 256;
export const BUFFER_START = 0x4000;
export const BUFFER_END = 0x8000;
export const RING_HEADER_BYTES = 4;
/** The tally counters set ISR.CNT when their most significant bit sets. */
export const COUNTER_MSB = 0x80;
export const COUNTER_MAX = 0xff;

// ---- page 3: bus-master extension (HARDWARE.md §3.2) ----
export const P3_RDBA0 = 0x01; // ..0x04
export const P3_RDLEN = 0x05;
export const P3_TDBA0 = 0x06; // ..0x09
export const P3_TDLEN = 0x0a;
export const P3_BMCR = 0x0b;
export const P3_BMSR = 0x0c;
export const P3_RDH = 0x0d;
export const P3_TDH = 0x0e;

export const BMCR_RXEN = 0x01;
export const BMCR_TXEN = 0x02;
export const BMCR_RXPOLL = 0x04;
export const BMCR_TXPOLL = 0x08;
export const BMCR_IE = 0x10;

export const BMSR_RU = 0x01; // receive unavailable
export const BMSR_TD = 0x02; // transmit done
export const BMSR_RD = 0x04; // receive done
export const BMSR_BE = 0x08; // bus error

export const DESC_BYTES = 16;
export const DESC_ADDR = 0;
export const DESC_CTRL = 4;
export const DESC_STATUS = 8;
export const CTRL_LEN_MASK = 0xffff;
export const CTRL_SOF = 1 << 30;
export const CTRL_EOF = 1 << 31;
export const STATUS_OWN = 1 << 31;
export const STATUS_ERR = 1 << 24;
export const STATUS_RSR_SHIFT = 16;
export const STATUS_LEN_MASK = 0xffff;
export const MAX_DESCRIPTORS = 128;
