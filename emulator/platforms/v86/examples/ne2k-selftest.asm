; ne2k-selftest.asm: an NE2000 self-test for a real x86 CPU, booted by a multiboot loader
; (v86 loads it without a BIOS: `reloaded x86 --image ne2k-selftest.img --peer echo`).
;
; It probes the card at 0x300 the way Linux's ne.c does, resets it, reads the station
; address PROM (bytes doubled, 0x57 0x57 signature), initialises the receive ring as
; lib8390.c's NS8390_init does, then sends frames to an echo peer and reads the echoes:
; first in classic mode (every byte through the data port), then in bus-master mode (page-3
; descriptor rings in host memory, HARDWARE.md §3.2). Results go to COM1; the exit code goes
; to port 0xF4 (0 = every check passed, else the number of the failed check).
;
; Build (npm run build:x86): nasm -f bin -o ne2k-selftest.img ne2k-selftest.asm
; With -DBENCH_FRAMES=N it becomes the benchmark guest instead: after init it echoes N
; full-size frames in classic mode (which v86's own NE2000 also supports) and exits.
;
; Register offsets and bits: DP8390D datasheet (National Semiconductor) and the NE2000 board
; layout used by Linux drivers/net/ethernet/8390/ne.c; page 3: HARDWARE.md §3.2.

bits 32
org 0x100000

; ---------------------------------------------------------------- multiboot (spec 0.6.96 §3.1)
MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00010000              ; bit 16: the address fields below are valid

mb_header:
        dd MB_MAGIC
        dd MB_FLAGS
        dd (-(MB_MAGIC + MB_FLAGS)) & 0xFFFFFFFF
        dd mb_header                        ; header_addr
        dd mb_header                        ; load_addr: the file starts with this header
        dd 0                                ; load_end_addr: the whole file
        dd 0                                ; bss_end_addr: no BSS (buffers are at fixed addresses)
        dd start                            ; entry_addr

; ---------------------------------------------------------------- the PC
COM1            equ 0x3F8                   ; 16550 UART: data register
COM1_LSR        equ COM1 + 5                ; line status
LSR_THRE        equ 0x20                    ; transmit holding register empty
EXIT_PORT       equ 0xF4                    ; isa-debug-exit style: the byte written is the exit code
PIC2_CMD        equ 0xA0                    ; slave 8259
OCW3_READ_IRR   equ 0x0A                    ; 8259 OCW3: next read of the command port returns IRR
IRQ9_SLAVE_BIT  equ 0x02                    ; IRQ 9 is input 1 of the slave PIC
PIC1_CMD        equ 0x20                    ; master 8259
PIC1_DATA       equ 0x21
PIC2_DATA       equ 0xA1
ICW1_INIT_ICW4  equ 0x11                    ; 8259 ICW1: initialise, edge-triggered, cascade, ICW4 follows
ICW4_8086       equ 0x01
PIC_EOI         equ 0x20                    ; OCW2: non-specific end of interrupt
IRQ_BASE_MASTER equ 0x20                    ; vectors 0x20-0x27 (past the CPU's exceptions)
IRQ_BASE_SLAVE  equ 0x28                    ; vectors 0x28-0x2F: IRQ 9 is vector 0x29
VECTORS         equ 0x30                    ; IDT entries: exceptions and the 16 IRQs
GATE_INTERRUPT  equ 0x8E                    ; present, DPL 0, 32-bit interrupt gate
CODE_SELECTOR   equ 0x08
DATA_SELECTOR   equ 0x10

; ---------------------------------------------------------------- the card (DP8390 + NE2000 board)
NE_BASE         equ 0x300
NE_CR           equ NE_BASE + 0x00          ; command register, every page
NE_DATA         equ NE_BASE + 0x10          ; remote DMA data port
NE_RESET        equ NE_BASE + 0x1F          ; reading resets the card, writing ends the pulse
; page 0
P0_PSTART       equ NE_BASE + 0x01
P0_PSTOP        equ NE_BASE + 0x02
P0_BNRY         equ NE_BASE + 0x03
P0_TPSR         equ NE_BASE + 0x04
P0_TBCR0        equ NE_BASE + 0x05
P0_TBCR1        equ NE_BASE + 0x06
P0_ISR          equ NE_BASE + 0x07
P0_RSAR0        equ NE_BASE + 0x08
P0_RSAR1        equ NE_BASE + 0x09
P0_RBCR0        equ NE_BASE + 0x0A
P0_RBCR1        equ NE_BASE + 0x0B
P0_RCR          equ NE_BASE + 0x0C
P0_TCR          equ NE_BASE + 0x0D
P0_CNTR0        equ NE_BASE + 0x0D          ; read: frame alignment error tally (clears on read)
P0_DCR          equ NE_BASE + 0x0E
P0_IMR          equ NE_BASE + 0x0F
; page 1
P1_PAR0         equ NE_BASE + 0x01
P1_CURR         equ NE_BASE + 0x07
P1_MAR0         equ NE_BASE + 0x08
P1_MAR5         equ NE_BASE + 0x0D
; page 3 (bus-master extension)
P3_RDBA0        equ NE_BASE + 0x01
P3_RDLEN        equ NE_BASE + 0x05
P3_TDBA0        equ NE_BASE + 0x06
P3_TDLEN        equ NE_BASE + 0x0A
P3_BMCR         equ NE_BASE + 0x0B
P3_BMSR         equ NE_BASE + 0x0C

CR_STP          equ 0x01
CR_STA          equ 0x02
CR_TXP          equ 0x04
CR_RD_READ      equ 0x08
CR_RD_WRITE     equ 0x10
CR_RD_ABORT     equ 0x20
CR_PAGE0        equ 0x00
CR_PAGE1        equ 0x40
CR_PAGE3        equ 0xC0

ISR_PRX         equ 0x01
ISR_PTX         equ 0x02
ISR_RDC         equ 0x40
ISR_RST         equ 0x80
ISR_ALL         equ 0xFF

DCR_BYTE        equ 0x48                    ; byte-wide DMA, normal mode, FIFO threshold 8 (ne.c's probe)
DCR_WORD        equ 0x49                    ; word-wide DMA (ne.c after the probe on a 16-bit card)
RCR_MON         equ 0x20                    ; monitor: receive nothing into the ring
RCR_AB          equ 0x04                    ; accept broadcast
TCR_LOOPBACK    equ 0x02                    ; internal loopback
TCR_NORMAL      equ 0x00

TX_PAGE         equ 0x40                    ; transmit buffer: 6 pages at the start of the 16 KiB
RX_START        equ 0x46                    ; receive ring: the rest (lib8390.c's layout)
RX_STOP         equ 0x80
PROM_BYTES      equ 32                      ; the 16-byte PROM, every byte doubled
NE_SIGNATURE    equ 0x57                    ; PROM bytes 14 and 15

BMCR_RXEN       equ 0x01
BMCR_TXEN       equ 0x02
BMCR_TXPOLL     equ 0x08
BMSR_ALL        equ 0x0F
DESC_BYTES      equ 16
DESC_OWN        equ 0x80000000              ; status word: the card owns the descriptor
DESC_SOF        equ 0x40000000              ; control word: start of frame
DESC_EOF        equ 0x80000000              ; control word: end of frame
DESC_ERR        equ 0x01000000              ; status word: error
RX_DESCS        equ 4
TX_DESCS        equ 4
RX_BUF_BYTES    equ 0x800

; ---------------------------------------------------------------- memory map (identity, no paging)
STACK_TOP       equ 0x1F0000
TX_FRAME        equ 0x300000                ; frame being sent (classic)
RX_FRAME        equ 0x302000                ; frame read back (classic)
RX_RING         equ 0x310000                ; bus-master receive descriptors
TX_RING         equ 0x310100                ; bus-master transmit descriptors
RX_BUFS         equ 0x320000                ; receive buffers, RX_BUF_BYTES each
TX_HEADER       equ 0x330000                ; transmit fragment 1: the 14-byte header
TX_PAYLOAD      equ 0x331000                ; transmit fragment 2: the rest

ETH_HEADER      equ 14
ETHERTYPE_HI    equ 0x88                    ; 0x88B5: IEEE local experimental ethertype
ETHERTYPE_LO    equ 0xB5
TIMEOUT         equ 100000                  ; polls before a check fails (~0.4 s at 133 MHz with the spin below)
POLL_SPIN       equ 512                     ; loop turns between two polls: the wait burns CPU time, not port accesses

; exit codes: the number of the failed check
FAIL_PROBE      equ 1
FAIL_RESET      equ 2
FAIL_PROM       equ 3
FAIL_CLASSIC_TX equ 4
FAIL_CLASSIC_RX equ 5
FAIL_CLASSIC_EQ equ 6
FAIL_IRQ        equ 7
FAIL_BM_TX      equ 8
FAIL_BM_RX      equ 9
FAIL_BM_EQ      equ 10
FAIL_UNEXPECTED equ 11
FAIL_IRQ_RX     equ 12

%macro outb 2
        mov dx, %1
        mov al, %2
        out dx, al
%endmacro

%macro inb 1
        mov dx, %1
        in al, dx
%endmacro

%macro spin 0                               ; a short pause between polls (clobbers nothing but flags)
        push ecx
        mov ecx, POLL_SPIN
%%turn:
        dec ecx
        jnz %%turn
        pop ecx
%endmacro

%macro check_fail 2                         ; jump to failure with code %1 and message %2 if CF set
        jnc %%ok
        mov esi, %2
        mov bl, %1
        jmp failure
%%ok:
%endmacro

; ================================================================ entry
start:
        mov esp, STACK_TOP
        cld
        mov esi, msg_banner
        call puts

        ; ---- probe (ne.c ne_probe1): the command register must not float high, and a
        ; counter register must clear on read while MAR5 on page 1 keeps what was written.
        inb NE_CR
        cmp al, 0xFF
        je .no_card
        outb NE_CR, CR_RD_ABORT | CR_PAGE1 | CR_STP
        inb P1_MAR5
        mov bh, al                          ; keep MAR5
        outb P1_MAR5, 0xFF
        outb NE_CR, CR_RD_ABORT | CR_PAGE0
        inb P0_CNTR0                        ; clears the counter
        inb P0_CNTR0
        test al, al
        jnz .no_card
        outb NE_CR, CR_RD_ABORT | CR_PAGE1 | CR_STP
        mov dx, P1_MAR5
        mov al, bh
        out dx, al                          ; restore MAR5
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STP
        mov esi, msg_probe
        call puts
        jmp reset
.no_card:
        mov esi, msg_no_card
        mov bl, FAIL_PROBE
        jmp failure

        ; ---- reset through the reset port; ISR.RST reports that it happened
reset:
        inb NE_RESET
        out dx, al
        mov bl, ISR_RST
        call wait_isr
        check_fail FAIL_RESET, msg_reset_fail
        outb P0_ISR, ISR_ALL
        mov esi, msg_reset
        call puts

        ; ---- the station address PROM, byte-wide as ne.c reads it
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STP
        outb P0_DCR, DCR_BYTE
        outb P0_RBCR0, 0
        outb P0_RBCR1, 0
        outb P0_IMR, 0
        outb P0_ISR, ISR_ALL
        outb P0_RCR, RCR_MON
        outb P0_TCR, TCR_LOOPBACK
        mov ecx, PROM_BYTES
        xor ebx, ebx
        call remote_read_setup
        mov edi, prom
        mov ecx, PROM_BYTES
        mov dx, NE_DATA
        rep insb
        ; doubled bytes mean a 16-bit card; bytes 28..31 are the 0x57 signature
        mov esi, prom
        mov ecx, PROM_BYTES / 2
.doubled:
        lodsw
        cmp al, ah
        jne .prom_bad
        loop .doubled
        cmp dword [prom + 28], NE_SIGNATURE * 0x01010101
        jne .prom_bad
        xor ecx, ecx
.mac:
        mov al, [prom + ecx * 2]
        mov [mac + ecx], al
        inc ecx
        cmp ecx, 6
        jb .mac
        mov esi, msg_prom
        call puts
        mov esi, mac
        call put_mac
        mov esi, msg_prom_sig
        call puts
        jmp init
.prom_bad:
        mov esi, msg_prom_fail
        mov bl, FAIL_PROM
        jmp failure

        ; ---- NS8390_init: word mode, ring, station address, then start
init:
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STP
        outb P0_DCR, DCR_WORD
        outb P0_RBCR0, 0
        outb P0_RBCR1, 0
        outb P0_RCR, RCR_MON
        outb P0_TCR, TCR_LOOPBACK
        outb P0_TPSR, TX_PAGE
        outb P0_PSTART, RX_START
        outb P0_BNRY, RX_STOP - 1           ; lib8390: BNRY trails CURR by one page (ring order)
        outb P0_PSTOP, RX_STOP
        outb P0_ISR, ISR_ALL
        outb P0_IMR, ISR_PRX                ; the receive interrupt is enabled (we also poll)
        outb NE_CR, CR_RD_ABORT | CR_PAGE1 | CR_STP
        xor ecx, ecx
.par:
        mov al, [mac + ecx]
        lea edx, [P1_PAR0 + ecx]
        out dx, al
        inc ecx
        cmp ecx, 6
        jb .par
        mov ecx, 8
        mov dx, P1_MAR0
        mov al, 0xFF
.mar:
        out dx, al
        inc dx
        loop .mar
        outb P1_CURR, RX_START
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STA
        outb P0_TCR, TCR_NORMAL
        outb P0_RCR, RCR_AB
        mov byte [next_page], RX_START

%ifdef BENCH_FRAMES
        jmp bench
%endif

        ; ---- classic mode: each frame through the data port both ways
        mov dword [frame_no], 0
.classic_next:
        mov eax, [frame_no]
        mov ecx, [classic_lengths + eax * 4]
        test ecx, ecx
        jz .classic_done
        call classic_echo
        mov esi, msg_classic
        call report_frame
        jmp .classic_next
.classic_done:

        ; ---- the card's IRQ reached the PIC: IRQ 9 is pending in the slave's IRR
        outb PIC2_CMD, OCW3_READ_IRR
        in al, dx
        test al, IRQ9_SLAVE_BIT
        jnz .irq_ok
        mov esi, msg_irq_fail
        mov bl, FAIL_IRQ
        jmp failure
.irq_ok:
        outb P0_IMR, 0
        mov esi, msg_irq
        call puts

        ; ---- interrupt-driven: the CPU sleeps in HLT until the echo's IRQ 9 wakes it
        call setup_interrupts
        outb P0_ISR, ISR_ALL
        outb P0_IMR, ISR_PRX
        mov dword [frame_len], 60
        mov dword [frame_no], 4
        mov edi, TX_FRAME
        call make_frame
        call classic_send
        check_fail FAIL_CLASSIC_TX, msg_classic_tx_fail
.sleep:
        cli                                 ; check and sleep without a window for the IRQ to slip in:
        cmp dword [irq_count], 0            ; STI takes effect after the next instruction, so an IRQ
        jne .woken                          ; pending now wakes the HLT at once
        sti
        hlt
        jmp .sleep
.woken:
        call classic_receive
        check_fail FAIL_IRQ_RX, msg_irq_rx_fail
        mov esi, RX_FRAME
        call check_echo
        check_fail FAIL_IRQ_RX, msg_irq_rx_fail
        outb P0_IMR, 0
        mov esi, msg_irq_wake
        call puts

        ; ---- bus-master mode: descriptor rings in host memory (page 3)
        call bm_setup
        mov dword [frame_no], 0
.bm_next:
        mov eax, [frame_no]
        mov ecx, [bm_lengths + eax * 4]
        test ecx, ecx
        jz .bm_done
        mov [frame_len], ecx
        call bm_send
        check_fail FAIL_BM_TX, msg_bm_tx_fail
        call bm_receive
        check_fail FAIL_BM_RX, msg_bm_rx_fail
        call check_echo                     ; esi = the buffer bm_receive returned
        check_fail FAIL_BM_EQ, msg_bm_eq_fail
        inc dword [frame_no]
        mov esi, msg_bm
        call report_frame
        jmp .bm_next
.bm_done:
        mov esi, msg_passed
        call puts
        xor bl, bl
        jmp finish

%ifdef BENCH_FRAMES
        ; ---- benchmark: echo BENCH_FRAMES full-size frames in classic mode
bench:
        mov dword [frame_no], 0
.next:
        mov ecx, 1514
        call classic_echo
        cmp dword [frame_no], BENCH_FRAMES
        jb .next
        mov esi, msg_bench
        call puts
        mov eax, [frame_no]
        call put_dec
        mov esi, msg_bench_tail
        call puts
        xor bl, bl
        jmp finish
%endif

; ================================================================ classic mode
; classic_echo: one round trip through the data port of a frame of ecx bytes: count it in
; frame_no, build it, send it, receive the echo and compare; a failure does not return.
classic_echo:
        mov [frame_len], ecx
        inc dword [frame_no]
        mov edi, TX_FRAME
        call make_frame
        call classic_send
        check_fail FAIL_CLASSIC_TX, msg_classic_tx_fail
        call classic_receive
        check_fail FAIL_CLASSIC_RX, msg_classic_rx_fail
        mov esi, RX_FRAME
        call check_echo
        check_fail FAIL_CLASSIC_EQ, msg_classic_eq_fail
        ret

; remote_read_setup / remote_write_setup: remote DMA of ecx bytes at card address ebx.
remote_read_setup:
        mov ah, CR_RD_READ | CR_STA
        jmp remote_setup
remote_write_setup:
        mov ah, CR_RD_WRITE | CR_STA
remote_setup:
        mov dx, P0_RBCR0
        mov al, cl
        out dx, al
        mov dx, P0_RBCR1
        mov al, ch
        out dx, al
        mov dx, P0_RSAR0
        mov al, bl
        out dx, al
        mov dx, P0_RSAR1
        mov al, bh
        out dx, al
        mov dx, NE_CR
        mov al, ah
        out dx, al
        ret

; classic_send: copy [frame_len] bytes at TX_FRAME into the transmit buffer through the data
; port, then transmit them and wait for PTX. CF set on timeout.
classic_send:
        mov ecx, [frame_len]
        inc ecx
        and ecx, ~1                         ; word mode moves whole words
        mov ebx, TX_PAGE << 8
        call remote_write_setup
        mov esi, TX_FRAME
        shr ecx, 1
        mov dx, NE_DATA
        rep outsw
        mov bl, ISR_RDC
        call wait_isr
        jc .out
        outb P0_ISR, ISR_RDC
        outb P0_TPSR, TX_PAGE
        mov ecx, [frame_len]
        mov dx, P0_TBCR0
        mov al, cl
        out dx, al
        mov dx, P0_TBCR1
        mov al, ch
        out dx, al
        outb NE_CR, CR_RD_ABORT | CR_TXP | CR_STA
        mov bl, ISR_PTX
        call wait_isr
        jc .out
        outb P0_ISR, ISR_PTX
        clc
.out:
        ret

; classic_receive: wait for the next packet in the ring (CURR moves past it), read its
; header and data into RX_FRAME, advance BNRY (lib8390.c ei_receive). CF set on timeout
; or when the packet is shorter than the frame sent.
classic_receive:
        mov ebp, TIMEOUT
.wait:
        outb NE_CR, CR_RD_ABORT | CR_PAGE1 | CR_STA
        inb P1_CURR
        mov ah, al
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STA
        cmp ah, [next_page]
        jne .packet
        spin
        dec ebp
        jnz .wait
        stc
        ret
.packet:
        ; the 4-byte header: status, next page, count (header included)
        movzx ebx, byte [next_page]
        shl ebx, 8
        mov ecx, 4
        call remote_read_setup
        mov dx, NE_DATA
        in ax, dx
        mov [rx_header], ax
        in ax, dx
        mov [rx_header + 2], ax
        call end_remote
        movzx ecx, word [rx_header + 2]
        sub ecx, 4
        cmp ecx, [frame_len]
        jb .short
        ; the data, in two pieces if it wraps past the end of the ring (ne.c ne_block_input)
        movzx ebx, byte [next_page]
        shl ebx, 8
        add ebx, 4
        mov edi, RX_FRAME
        mov eax, RX_STOP << 8
        sub eax, ebx                        ; bytes before the ring's end
        cmp ecx, eax
        jbe .one_piece
        sub ecx, eax                        ; what remains for the second piece
        push ecx
        mov ecx, eax
        call read_block
        pop ecx
        mov ebx, RX_START << 8
.one_piece:
        call read_block
        ; BNRY = next - 1, in ring order
        mov al, [rx_header + 1]
        mov [next_page], al
        dec al
        cmp al, RX_START
        jae .bnry
        mov al, RX_STOP - 1
.bnry:
        mov dx, P0_BNRY
        out dx, al
        outb P0_ISR, ISR_PRX
        clc
        ret
.short:
        stc
        ret

; read_block: ecx bytes from card address ebx to [edi] (edi advances), word-wide.
read_block:
        push ecx
        inc ecx
        and ecx, ~1
        call remote_read_setup
        shr ecx, 1
        mov dx, NE_DATA
        rep insw
        pop ecx
        test ecx, 1
        jz .even
        dec edi                             ; the odd count read one byte too many
.even:
        call end_remote
        ret

; end_remote: wait for RDC and acknowledge it.
end_remote:
        push ebx
        mov bl, ISR_RDC
        call wait_isr
        outb P0_ISR, ISR_RDC
        pop ebx
        ret

; wait_isr: poll ISR (page 0) until a bit of bl is set. CF set on timeout.
wait_isr:
        mov ebp, TIMEOUT
        mov dx, P0_ISR
.poll:
        in al, dx
        test al, bl
        jnz .set
        spin
        dec ebp
        jnz .poll
        stc
        ret
.set:
        clc
        ret

; ================================================================ bus-master mode
; bm_setup: receive descriptors all owned by the card, transmit ring empty, both engines on.
bm_setup:
        mov edi, RX_RING
        mov ebx, RX_BUFS
        mov ecx, RX_DESCS
.rx:
        mov [edi], ebx                      ; buffer address
        mov dword [edi + 4], RX_BUF_BYTES   ; capacity
        mov dword [edi + 8], DESC_OWN
        mov dword [edi + 12], 0
        add ebx, RX_BUF_BYTES
        add edi, DESC_BYTES
        loop .rx
        mov edi, TX_RING
        xor eax, eax
        mov ecx, TX_DESCS * DESC_BYTES / 4
        rep stosd
        outb NE_CR, CR_RD_ABORT | CR_PAGE3 | CR_STA
        mov ebx, RX_RING
        mov dx, P3_RDBA0
        call out_dword
        outb P3_RDLEN, RX_DESCS
        mov ebx, TX_RING
        mov dx, P3_TDBA0
        call out_dword
        outb P3_TDLEN, TX_DESCS
        outb P3_BMSR, BMSR_ALL
        outb P3_BMCR, BMCR_RXEN | BMCR_TXEN
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STA
        mov dword [tx_index], 0
        mov dword [rx_index], 0
        ret

; out_dword: write ebx to four consecutive byte ports starting at dx.
out_dword:
        mov ecx, 4
.byte:
        mov al, bl
        out dx, al
        shr ebx, 8
        inc dx
        loop .byte
        ret

; bm_send: build the frame as two fragments (header, payload) in two descriptors, hand them
; to the card and ask it to poll; wait until it hands the last one back. CF set on timeout.
bm_send:
        mov edi, TX_FRAME
        mov ecx, [frame_len]
        call make_frame
        mov esi, TX_FRAME
        mov edi, TX_HEADER
        mov ecx, ETH_HEADER
        rep movsb
        mov edi, TX_PAYLOAD
        mov ecx, [frame_len]
        sub ecx, ETH_HEADER
        rep movsb
        mov eax, [tx_index]
        shl eax, 4
        lea edi, [TX_RING + eax]            ; first descriptor: the header
        mov dword [edi], TX_HEADER
        mov dword [edi + 4], ETH_HEADER | DESC_SOF
        mov dword [edi + 12], 0
        mov eax, [tx_index]
        inc eax
        and eax, TX_DESCS - 1
        shl eax, 4
        lea esi, [TX_RING + eax]            ; second descriptor: the payload, end of frame
        mov dword [esi], TX_PAYLOAD
        mov ecx, [frame_len]
        sub ecx, ETH_HEADER
        or ecx, DESC_EOF
        mov [esi + 4], ecx
        mov dword [esi + 12], 0
        mov dword [esi + 8], DESC_OWN       ; the card may take the frame: last descriptor first,
        mov dword [edi + 8], DESC_OWN       ; so it never sees a half-built frame
        add dword [tx_index], 2
        and dword [tx_index], TX_DESCS - 1
        outb NE_CR, CR_RD_ABORT | CR_PAGE3 | CR_STA
        outb P3_BMCR, BMCR_RXEN | BMCR_TXEN | BMCR_TXPOLL
        outb NE_CR, CR_RD_ABORT | CR_PAGE0 | CR_STA
        mov ebp, TIMEOUT
        mov dx, NE_CR
.wait:
        in al, dx                           ; a port access lets the card's time advance
        test dword [esi + 8], DESC_OWN
        jz .done
        spin
        dec ebp
        jnz .wait
        stc
        ret
.done:
        test dword [esi + 8], DESC_ERR
        jnz .error
        clc
        ret
.error:
        stc
        ret

; bm_receive: wait until the card hands back the next receive descriptor; esi = its buffer.
; Give the descriptor back to the card. CF set on timeout, error, or a short frame.
bm_receive:
        mov eax, [rx_index]
        shl eax, 4
        lea edi, [RX_RING + eax]
        mov ebp, TIMEOUT
        mov dx, NE_CR
.wait:
        in al, dx
        test dword [edi + 8], DESC_OWN
        jz .done
        spin
        dec ebp
        jnz .wait
        stc
        ret
.done:
        mov eax, [edi + 8]
        test eax, DESC_ERR
        jnz .bad
        and eax, 0xFFFF                     ; received length (FCS included)
        cmp eax, [frame_len]
        jb .bad
        mov esi, [edi]
        mov dword [edi + 8], DESC_OWN       ; back to the card (we keep the data in esi's buffer
        inc dword [rx_index]                ; until the next frame, four descriptors away)
        and dword [rx_index], RX_DESCS - 1
        clc
        ret
.bad:
        stc
        ret

; ================================================================ frames
; make_frame: a frame of [frame_len] bytes at edi: to the peer, from us, ethertype 0x88B5,
; payload byte i = frame number * 7 + i.
make_frame:
        push edi
        mov esi, peer_mac
        movsd
        movsw
        mov esi, mac
        movsd
        movsw
        mov byte [edi], ETHERTYPE_HI
        mov byte [edi + 1], ETHERTYPE_LO
        add edi, 2
        mov ecx, [frame_len]
        sub ecx, ETH_HEADER
        mov eax, [frame_no]
        imul eax, eax, 7
.fill:
        stosb
        inc eax
        loop .fill
        pop edi
        ret

; check_echo: the frame at esi must be the one at TX_FRAME with the addresses swapped.
; CF set when it is not.
check_echo:
        push esi
        mov edi, mac
        mov ecx, 6
        repe cmpsb
        jne .bad
        mov edi, peer_mac
        mov ecx, 6
        repe cmpsb
        jne .bad
        mov edi, TX_FRAME + 12
        mov ecx, [frame_len]
        sub ecx, 12
        repe cmpsb
        jne .bad
        pop esi
        clc
        ret
.bad:
        pop esi
        stc
        ret

; report_frame: print "<esi>frame N len L echoed ok".
report_frame:
        call puts
        mov esi, msg_frame
        call puts
        mov eax, [frame_no]
        call put_dec
        mov esi, msg_len
        call puts
        mov eax, [frame_len]
        call put_dec
        mov esi, msg_echoed
        call puts
        ret

; ================================================================ interrupts
; setup_interrupts: our own GDT (an interrupt gate loads CS from it), an IDT whose every
; entry fails the test except IRQ 9's, and the 8259 pair remapped to vectors 0x20-0x2F with
; only IRQ 9 (and the cascade, IRQ 2) unmasked. Interrupts stay disabled (IF clear).
setup_interrupts:
        lgdt [gdt_desc]
        jmp CODE_SELECTOR:.reload
.reload:
        mov ax, DATA_SELECTOR
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        xor ecx, ecx
.gate:
        mov eax, unexpected_interrupt
        call set_gate
        inc ecx
        cmp ecx, VECTORS
        jb .gate
        mov eax, irq9_handler
        mov ecx, IRQ_BASE_SLAVE + 1
        call set_gate
        lidt [idt_desc]
        outb PIC1_CMD, ICW1_INIT_ICW4
        outb PIC2_CMD, ICW1_INIT_ICW4
        outb PIC1_DATA, IRQ_BASE_MASTER     ; ICW2: vector base
        outb PIC2_DATA, IRQ_BASE_SLAVE
        outb PIC1_DATA, 0x04                ; ICW3: the slave hangs on IRQ 2
        outb PIC2_DATA, 0x02                ; ICW3: the slave's cascade identity
        outb PIC1_DATA, ICW4_8086
        outb PIC2_DATA, ICW4_8086
        outb PIC1_DATA, 0xFB                ; OCW1 masks: master only IRQ 2,
        outb PIC2_DATA, 0xFF & ~IRQ9_SLAVE_BIT ; slave only IRQ 9
        ret

; set_gate: IDT entry ecx -> handler eax (clobbers eax, edi).
set_gate:
        lea edi, [idt + ecx * 8]
        mov [edi], ax
        mov word [edi + 2], CODE_SELECTOR
        mov byte [edi + 4], 0
        mov byte [edi + 5], GATE_INTERRUPT
        shr eax, 16
        mov [edi + 6], ax
        ret

irq9_handler:
        push eax
        inc dword [irq_count]
        mov al, PIC_EOI
        out PIC2_CMD, al                    ; end of interrupt at the slave, then the master
        out PIC1_CMD, al
        pop eax
        iret

unexpected_interrupt:
        mov esi, msg_unexpected
        mov bl, FAIL_UNEXPECTED
        jmp failure

; ================================================================ COM1 and exit
putc:                                       ; al
        push edx
        push ecx
        mov ah, al
        mov ecx, TIMEOUT
        mov dx, COM1_LSR
.wait:
        in al, dx
        test al, LSR_THRE
        jnz .ready
        loop .wait
.ready:
        mov al, ah
        mov dx, COM1
        out dx, al
        pop ecx
        pop edx
        ret

puts:                                       ; zero-terminated string at esi
        push eax
.next:
        lodsb
        test al, al
        jz .end
        call putc
        jmp .next
.end:
        pop eax
        ret

put_hex8:                                   ; al as two hex digits
        push eax
        push eax
        shr al, 4
        call .digit
        pop eax
        and al, 0x0F
        call .digit
        pop eax
        ret
.digit:
        cmp al, 10
        jb .num
        add al, 'a' - 10
        jmp putc
.num:
        add al, '0'
        jmp putc

put_dec:                                    ; eax, unsigned decimal
        push ebx
        push ecx
        push edx
        mov ebx, 10
        xor ecx, ecx
.div:
        xor edx, edx
        div ebx
        push edx
        inc ecx
        test eax, eax
        jnz .div
.out:
        pop eax
        add al, '0'
        call putc
        loop .out
        pop edx
        pop ecx
        pop ebx
        ret

put_mac:                                    ; six bytes at esi as aa:bb:cc:dd:ee:ff
        push ecx
        mov ecx, 6
.byte:
        lodsb
        call put_hex8
        dec ecx
        jz .end
        mov al, ':'
        call putc
        jmp .byte
.end:
        pop ecx
        ret

; failure: print "FAIL: <esi>" and exit with code bl.
failure:
        push esi
        mov esi, msg_fail
        call puts
        pop esi
        call puts
finish:
        mov al, bl
        out EXIT_PORT, al
.halt:
        cli
        hlt
        jmp .halt

; ================================================================ data

msg_banner:      db "ne2k self-test on x86", 10, 0
msg_probe:       db "probe: card at 0x300", 10, 0
msg_no_card:     db "no card at 0x300", 10, 0
msg_reset:       db "reset: ok", 10, 0
msg_reset_fail:  db "reset: ISR.RST never set", 10, 0
msg_prom:        db "prom: ", 0
msg_prom_sig:    db " signature 57 57, 16-bit", 10, 0
msg_prom_fail:   db "prom: bytes not doubled or no 0x57 0x57 signature", 10, 0
msg_classic:     db "classic: ", 0
msg_bm:          db "busmaster: ", 0
msg_frame:       db "frame ", 0
msg_len:         db " len ", 0
msg_echoed:      db " echoed ok", 10, 0
msg_classic_tx_fail: db "classic: transmit timed out", 10, 0
msg_classic_rx_fail: db "classic: no echo received", 10, 0
msg_classic_eq_fail: db "classic: echo differs from the frame sent", 10, 0
msg_irq:         db "irq: line 9 pending at the slave PIC", 10, 0
msg_irq_fail:    db "irq: line 9 never reached the PIC", 10, 0
msg_irq_wake:    db "irq: the echo woke the CPU from HLT through IRQ 9", 10, 0
msg_irq_rx_fail: db "irq: woken, but no echo in the ring", 10, 0
msg_unexpected:  db "unexpected interrupt or exception", 10, 0
msg_bm_tx_fail:  db "busmaster: transmit descriptor never returned", 10, 0
msg_bm_rx_fail:  db "busmaster: no echo received", 10, 0
msg_bm_eq_fail:  db "busmaster: echo differs from the frame sent", 10, 0
msg_passed:      db "self-test passed", 10, 0
msg_fail:        db "FAIL: ", 0
msg_bench:       db "bench: ", 0
msg_bench_tail:  db " frames echoed", 10, 0
classic_lengths: dd 60, 600, 1514, 0
bm_lengths:      dd 60, 1000, 1514, 0
peer_mac:        db 0x02, 0x00, 0x00, 0x00, 0x00, 0xFE

; Variables live on their own page: a write to a page holding code makes v86 throw away the
; code it compiled from that page (self-modifying code), which would keep us interpreted.
align 4096
mac:             times 6 db 0
prom:            times PROM_BYTES db 0
rx_header:       dd 0
frame_no:        dd 0
frame_len:       dd 0
tx_index:        dd 0
rx_index:        dd 0
next_page:       db 0
irq_count:       dd 0
align 8
gdt:             dq 0                       ; null descriptor
                 dq 0x00CF9A000000FFFF      ; 0x08: code, base 0, limit 4 GiB, 32-bit, DPL 0
                 dq 0x00CF92000000FFFF      ; 0x10: data, base 0, limit 4 GiB
gdt_desc:        dw 3 * 8 - 1
                 dd gdt
idt_desc:        dw VECTORS * 8 - 1
                 dd idt
align 8
idt:             times VECTORS dq 0
