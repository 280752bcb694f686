// The card's registers as the driver programs them (HARDWARE.md §3; National Semiconductor
// DP8390D datasheet for the DP8390 part; Linux drivers/net/ethernet/8390/ for the NE2000
// board layout). Domain code cannot import the device model, so the driver names the
// registers it uses here, from the same documents.

export const PORT_COUNT = 0x20;
export const DATA_PORT = 0x10;

// CR (every page)
export const CR = 0x00;
export const CR_STP = 0x01;
export const CR_STA = 0x02;
export const CR_TXP = 0x04;
export const CR_RD_READ = 0x08;
export const CR_RD_WRITE = 0x10;
export const CR_RD_ABORT = 0x20;
export const CR_PAGE0 = 0x00;
export const CR_PAGE1 = 0x40;
export const CR_PAGE3 = 0xc0;

// page 0
export const PSTART = 0x01;
export const PSTOP = 0x02;
export const BNRY = 0x03;
export const TPSR = 0x04;
export const TBCR0 = 0x05;
export const TBCR1 = 0x06;
export const ISR = 0x07;
export const RSAR0 = 0x08;
export const RSAR1 = 0x09;
export const RBCR0 = 0x0a;
export const RBCR1 = 0x0b;
export const RCR = 0x0c;
export const TCR = 0x0d;
export const DCR = 0x0e;
export const IMR = 0x0f;
export const CNTR2 = 0x0f; // read: missed packets (clears on read)

// page 1
export const PAR0 = 0x01;
export const CURR = 0x07;

// ISR / IMR bits
export const ISR_PRX = 0x01;
export const ISR_PTX = 0x02;
export const ISR_RXE = 0x04;
export const ISR_TXE = 0x08;
export const ISR_OVW = 0x10;
export const ISR_CNT = 0x20;
export const ISR_RDC = 0x40;
export const ISR_ALL = 0x7f;

export const RCR_AB = 0x04; // accept broadcast
export const DCR_WTS_LS_FT1 = 0x49; // word transfers, normal (not loopback) mode, FIFO threshold 8 bytes (as Linux ne.c)

// NE2000 buffer memory, in 256-byte pages: 0x40-0x45 one transmit buffer (1536 bytes), 0x46-0x7F the receive ring.
export const BUF_PAGE_BYTES = 256;
export const TX_START_PAGE = 0x40;
export const RX_START_PAGE = 0x46;
export const RX_STOP_PAGE = 0x80;
export const RING_HEADER_BYTES = 4;
export const FCS_BYTES = 4;

// page 3: the bus-master extension (HARDWARE.md §3.2)
export const RDBA0 = 0x01;
export const RDLEN = 0x05;
export const TDBA0 = 0x06;
export const TDLEN = 0x0a;
export const BMCR = 0x0b;
export const BMSR = 0x0c;
export const RDH = 0x0d;
export const BMCR_RXEN = 0x01;
export const BMCR_TXEN = 0x02;
export const BMCR_TXPOLL = 0x08;
export const BMCR_IE = 0x10;
export const BMSR_RU = 0x01;
export const BMSR_TD = 0x02;
export const BMSR_RD = 0x04;
export const BMSR_BE = 0x08;
export const BMSR_ALL = 0x0f;

// descriptors: 16 bytes, little-endian
export const DESC_BYTES = 16;
export const DESC_ADDR = 0;
export const DESC_CTRL = 4;
export const DESC_STATUS = 8;
export const DESC_SOFT = 12;
export const CTRL_SOF = 1 << 30;
export const CTRL_EOF = 1 << 31;
export const STATUS_OWN = 1 << 31;
export const STATUS_ERR = 1 << 24;
export const STATUS_LEN_MASK = 0xffff;
export const STATUS_RSR_SHIFT = 16;
export const RSR_PRX = 0x01;
